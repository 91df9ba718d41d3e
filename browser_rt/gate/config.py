"""Load and validate security/policy.json, the gate's single source of what a release must prove.

Validation is strict because a lenient loader is how a gate ends up checking nothing: an unknown
key, a missing check, a missing scenario or a test in a runtime its tool cannot run is an error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from browser_rt.gate.testids import ALLOWED_RUNTIMES, RUNTIMES, TestId, TestIdError, parse_test_id

SCHEMA = "browser-rt-security-policy-v1"
CHECK_IDS = ("scenarios", "protocol_bounds", "dependencies", "integrity", "redaction", "fuzz")
"""Every check the gate has; the policy must list each one, blocking or not."""
REQUIRED_SCENARIOS = tuple(f"ADV-{n:02d}" for n in range(1, 17))
ROLES = ("project", "runtime", "test")
_SCENARIO_ID = re.compile(r"^ADV-[0-9]{2}$")


class GateConfigError(ValueError):
    """security/policy.json is malformed; the message names the offending entry."""


@dataclass(frozen=True)
class CheckSpec:
    id: str
    blocking: bool
    description: str


@dataclass(frozen=True)
class MappedTest:
    """A test that proves (part of) a scenario, and the runtimes it must pass in."""

    test: TestId
    runtimes: tuple[str, ...]
    isolated: bool = False
    """Run in an invocation of its own (a fresh Pyodide), because it may bring its runtime down."""


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    claim: str
    tests: tuple[MappedTest, ...]


@dataclass(frozen=True)
class Bound:
    """An expected protocol limit: `value`, or `default` with its `low`..`high` range."""

    name: str
    value: float | None
    default: int | None
    low: int | None
    high: int | None
    blocking: bool
    note: str


@dataclass(frozen=True)
class AllowedPackage:
    name: str
    version: str | None
    role: str


@dataclass(frozen=True)
class GateConfig:
    path: Path
    checks: tuple[CheckSpec, ...]
    scenarios: tuple[Scenario, ...]
    bounds: tuple[Bound, ...]
    packages: tuple[AllowedPackage, ...]
    pin_files: tuple[str, ...]
    manifest: str
    fuzz_files: tuple[str, ...]
    fuzz_profile: str
    fuzz_timeout_s: int

    def check(self, check_id: str) -> CheckSpec:
        return next(c for c in self.checks if c.id == check_id)


def load_config(path: Path, root: Path) -> GateConfig:
    """Read and validate the policy; GateConfigError says exactly what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GateConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise GateConfigError(f"{path}: not valid JSON ({exc})") from None
    return parse_config(document, path, root)


def parse_config(document: object, path: Path, root: Path) -> GateConfig:
    """Validate an already-parsed policy document (the self-test feeds broken ones here)."""
    doc = _object(document, "policy")
    _keys(
        doc,
        "policy",
        {"schema", "checks", "scenarios", "protocol_bounds", "dependencies", "integrity", "fuzz"},
    )
    if doc.get("schema") != SCHEMA:
        raise GateConfigError(f"schema: expected {SCHEMA!r}, got {doc.get('schema')!r}")
    dependencies = _object(doc.get("dependencies"), "dependencies")
    _keys(dependencies, "dependencies", {"allowed", "pins"})
    integrity = _object(doc.get("integrity"), "integrity")
    _keys(integrity, "integrity", {"manifest"})
    fuzz = _object(doc.get("fuzz"), "fuzz")
    _keys(fuzz, "fuzz", {"files", "profile", "timeout_seconds"})
    fuzz_files = tuple(
        _existing(t, f"fuzz.files[{i}]", root) for i, t in enumerate(_list(fuzz.get("files"), "fuzz.files"))
    )
    if not fuzz_files or not all(f.startswith("tests/") and f.endswith(".py") for f in fuzz_files):
        raise GateConfigError("fuzz.files: a non-empty list of pytest files under tests/")
    pins = _list(dependencies.get("pins"), "dependencies.pins")
    return GateConfig(
        path=path,
        checks=_checks(doc.get("checks")),
        scenarios=_scenarios(doc.get("scenarios"), root),
        bounds=_bounds(doc.get("protocol_bounds")),
        packages=_packages(dependencies.get("allowed")),
        pin_files=tuple(_existing(p, f"dependencies.pins[{i}]", root) for i, p in enumerate(pins)),
        manifest=_string(integrity.get("manifest"), "integrity.manifest"),
        fuzz_files=fuzz_files,
        fuzz_profile=_string(fuzz.get("profile"), "fuzz.profile"),
        fuzz_timeout_s=_positive_int(fuzz.get("timeout_seconds"), "fuzz.timeout_seconds"),
    )


def _checks(value: object) -> tuple[CheckSpec, ...]:
    checks: list[CheckSpec] = []
    for index, item in enumerate(_list(value, "checks")):
        where = f"checks[{index}]"
        entry = _object(item, where)
        _keys(entry, where, {"id", "blocking", "description"})
        check_id = _string(entry.get("id"), f"{where}.id")
        if check_id not in CHECK_IDS:
            raise GateConfigError(f"{where}.id: unknown check {check_id!r} (known: {', '.join(CHECK_IDS)})")
        if any(c.id == check_id for c in checks):
            raise GateConfigError(f"{where}.id: {check_id!r} is listed twice")
        blocking = entry.get("blocking")
        if not isinstance(blocking, bool):
            raise GateConfigError(f"{where}.blocking: must be true or false")
        checks.append(
            CheckSpec(check_id, blocking, _string(entry.get("description"), f"{where}.description"))
        )
    missing = [c for c in CHECK_IDS if all(spec.id != c for spec in checks)]
    if missing:
        raise GateConfigError(f"checks: {', '.join(missing)} missing (every check must be listed)")
    return tuple(checks)


def _scenarios(value: object, root: Path) -> tuple[Scenario, ...]:
    scenarios: list[Scenario] = []
    for index, item in enumerate(_list(value, "scenarios")):
        where = f"scenarios[{index}]"
        entry = _object(item, where)
        _keys(entry, where, {"id", "title", "claim", "tests"})
        scenario_id = _string(entry.get("id"), f"{where}.id")
        if not _SCENARIO_ID.match(scenario_id):
            raise GateConfigError(f"{where}.id: expected ADV-NN, got {scenario_id!r}")
        if any(s.id == scenario_id for s in scenarios):
            raise GateConfigError(f"{where}.id: {scenario_id} is listed twice")
        tests = tuple(
            _mapped_test(t, f"{scenario_id}.tests[{i}]", root)
            for i, t in enumerate(_list(entry.get("tests"), f"{where}.tests"))
        )
        if not tests:
            raise GateConfigError(f"{scenario_id}: maps no tests")
        seen = [t.test.text for t in tests]
        if len(set(seen)) != len(seen):
            raise GateConfigError(f"{scenario_id}: a test is listed twice")
        title = _string(entry.get("title"), f"{where}.title")
        scenarios.append(Scenario(scenario_id, title, _string(entry.get("claim"), f"{where}.claim"), tests))
    missing = [s for s in REQUIRED_SCENARIOS if all(sc.id != s for sc in scenarios)]
    if missing:
        raise GateConfigError(f"scenarios: {', '.join(missing)} missing")
    return tuple(scenarios)


def _mapped_test(value: object, where: str, root: Path) -> MappedTest:
    entry = _object(value, where)
    _keys(entry, where, {"id", "runtimes", "isolated"})
    test = _test_id(entry.get("id"), f"{where}.id", root)
    runtimes = tuple(
        _string(r, f"{where}.runtimes") for r in _list(entry.get("runtimes"), f"{where}.runtimes")
    )
    if not runtimes or len(set(runtimes)) != len(runtimes):
        raise GateConfigError(f"{where}.runtimes: a non-empty list without repeats")
    allowed = ALLOWED_RUNTIMES[test.kind]
    for runtime in runtimes:
        if runtime not in RUNTIMES:
            raise GateConfigError(
                f"{where}.runtimes: unknown runtime {runtime!r} (known: {', '.join(RUNTIMES)})"
            )
        if runtime not in allowed:
            raise GateConfigError(
                f"{where}.runtimes: a {test.kind.value} test cannot run in {runtime!r} "
                f"(it can in {', '.join(sorted(allowed))})"
            )
    isolated = entry.get("isolated", False)
    if not isinstance(isolated, bool):
        raise GateConfigError(f"{where}.isolated: must be true or false")
    return MappedTest(test, tuple(r for r in RUNTIMES if r in runtimes), isolated)


def _test_id(value: object, where: str, root: Path) -> TestId:
    try:
        test = parse_test_id(_string(value, where))
    except TestIdError as exc:
        raise GateConfigError(f"{where}: {exc}") from None
    if not (root / test.path).is_file():
        raise GateConfigError(f"{where}: {test.path} does not exist")
    return test


_BOUND_KEYS = {"value", "default", "low", "high", "blocking", "note"}


def _bounds(value: object) -> tuple[Bound, ...]:
    entries = _object(value, "protocol_bounds")
    bounds: list[Bound] = []
    for name, item in entries.items():
        where = f"protocol_bounds.{name}"
        entry = _object(item, where)
        _keys(entry, where, _BOUND_KEYS)
        blocking = entry.get("blocking", True)
        if not isinstance(blocking, bool):
            raise GateConfigError(f"{where}.blocking: must be true or false")
        note = entry.get("note", "")
        if not isinstance(note, str):
            raise GateConfigError(f"{where}.note: must be a string")
        raw = {key: entry.get(key) for key in ("value", "default", "low", "high")}
        for key, number in raw.items():
            if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
                raise GateConfigError(f"{where}.{key}: must be a number")
        if raw["value"] is None and raw["default"] is None:
            raise GateConfigError(f"{where}: needs 'value', or 'default' with 'low' and 'high'")
        bounds.append(
            Bound(
                name=name,
                value=raw["value"],
                default=_int_or_none(raw["default"], f"{where}.default"),
                low=_int_or_none(raw["low"], f"{where}.low"),
                high=_int_or_none(raw["high"], f"{where}.high"),
                blocking=blocking,
                note=note,
            )
        )
    return tuple(bounds)


def _packages(value: object) -> tuple[AllowedPackage, ...]:
    packages: list[AllowedPackage] = []
    for index, item in enumerate(_list(value, "dependencies.allowed")):
        where = f"dependencies.allowed[{index}]"
        entry = _object(item, where)
        _keys(entry, where, {"name", "version", "role"})
        role = _string(entry.get("role"), f"{where}.role")
        if role not in ROLES:
            raise GateConfigError(f"{where}.role: one of {', '.join(ROLES)}, got {role!r}")
        version = entry.get("version")
        if role != "project":
            version = _string(version, f"{where}.version")
        elif version is not None:
            raise GateConfigError(f"{where}.version: the project's own version is not pinned here")
        packages.append(AllowedPackage(_string(entry.get("name"), f"{where}.name"), version, role))
    if sum(p.role == "project" for p in packages) != 1:
        raise GateConfigError("dependencies.allowed: exactly one entry must have role 'project'")
    return tuple(packages)


def _existing(value: object, where: str, root: Path) -> str:
    text = _string(value, where)
    if not (root / text).is_file():
        raise GateConfigError(f"{where}: {text} does not exist")
    return text


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GateConfigError(f"{where}: must be an object")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise GateConfigError(f"{where}: must be a list")
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise GateConfigError(f"{where}: must be a non-empty string")
    return value


def _positive_int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise GateConfigError(f"{where}: must be a positive integer")
    return value


def _int_or_none(value: float | None, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int):
        raise GateConfigError(f"{where}: must be an integer")
    return value


def _keys(entry: dict[str, Any], where: str, known: set[str]) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        raise GateConfigError(f"{where}: unknown key {unknown[0]!r}")
