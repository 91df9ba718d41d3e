"""Run the gate: load the policy, run the selected checks, write the report and the event log."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from browser_rt.gate.bounds import check_bounds, measure_js, measure_python
from browser_rt.gate.config import CHECK_IDS, GateConfig, GateConfigError, load_config
from browser_rt.gate.deps import check_dependencies
from browser_rt.gate.fuzz import check_fuzz
from browser_rt.gate.integrity import check_integrity
from browser_rt.gate.prior import load_prior_reports, tree_state
from browser_rt.gate.redaction import check_redaction
from browser_rt.gate.report import (
    EVENTS_NAME,
    REPORT_NAME,
    CheckResult,
    EventLog,
    gate_passed,
    summary,
    timed,
    write_report,
)
from browser_rt.gate.runners import Toolchain
from browser_rt.gate.scenarios import check_scenarios
from browser_rt.gate.testids import RUNTIMES
from browser_rt.tooling.bundle import WHEEL_CACHE


class GateUsageError(ValueError):
    """A bad flag value (an unknown scenario or runtime); the CLI exits 2."""


@dataclass(frozen=True)
class GateOptions:
    root: Path
    policy: Path
    bundle: Path
    out: Path
    only: tuple[str, ...] = ()
    runtimes: tuple[str, ...] = RUNTIMES
    python: str = sys.executable
    node: str = "node"
    npx: str = "npx"
    python_env: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    reports: Path | None = None
    """A folder of stamped reports of earlier runs (browser_rt.gate.prior); None runs every test."""


@dataclass(frozen=True)
class Selection:
    checks: frozenset[str]
    scenarios: frozenset[str] | None  # None: all of them


def select(config: GateConfig, only: tuple[str, ...], runtimes: tuple[str, ...]) -> Selection:
    """What `--only` and `--runtimes` ask for; unknown names are a usage error, never ignored."""
    for runtime in runtimes:
        if runtime not in RUNTIMES:
            raise GateUsageError(f"--runtimes: unknown runtime {runtime!r} (known: {', '.join(RUNTIMES)})")
    if not only:
        return Selection(frozenset(CHECK_IDS), None)
    known = {s.id for s in config.scenarios}
    checks: set[str] = set()
    scenarios: set[str] = set()
    for token in only:
        if token in CHECK_IDS:
            checks.add(token)
        elif token in known:
            scenarios.add(token)
        else:
            raise GateUsageError(
                f"--only: {token!r} is neither a scenario ({', '.join(sorted(known))}) nor a check"
            )
    if scenarios:
        checks.add("scenarios")
    return Selection(
        frozenset(checks), frozenset(scenarios) if scenarios and "scenarios" not in only else None
    )


def run_gate(options: GateOptions, echo: Callable[[str], None] = print) -> int:
    """Exit code: 0 passed, 1 a blocking check failed, 2 the policy or the flags are unusable."""
    started = time.monotonic()
    options.out.mkdir(parents=True, exist_ok=True)
    events = EventLog(options.out / EVENTS_NAME)
    header: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "root": str(options.root),
        "policy": str(options.policy),
        "bundle": str(options.bundle),
        "only": list(options.only),
        "runtimes": list(options.runtimes),
        "reports": None if options.reports is None else str(options.reports),
        **_provenance(options),
    }
    events.emit("gate.start", **header)
    results: list[CheckResult] = []
    try:
        config = load_config(options.policy, options.root)
        selection = select(config, options.only, options.runtimes)
    except (GateConfigError, GateUsageError) as exc:
        failed = CheckResult("policy", blocking=True)
        failed.fail("policy_invalid" if isinstance(exc, GateConfigError) else "usage", str(exc))
        results.append(failed)
        events.emit("gate.end", passed=False, error=str(exc))
        _finish(options, header, results, started, events, echo)
        return 2

    tools = Toolchain(
        root=options.root,
        python=options.python,
        bundle=options.bundle,
        logs=options.out / "gate-logs",
        node=options.node,
        npx=options.npx,
    )
    for check_id in CHECK_IDS:
        spec = config.check(check_id)
        result = CheckResult(check_id, spec.blocking, ran=check_id in selection.checks)
        results.append(result)
        if not result.ran:
            continue
        if not options.quiet:
            echo(f"[gate] {check_id}: {spec.description}")
        with timed(result, events):
            _run_check(result, config, selection, options, tools, events)
    passed = _finish(options, header, results, started, events, echo)
    return 0 if passed else 1


def _run_check(
    result: CheckResult,
    config: GateConfig,
    selection: Selection,
    options: GateOptions,
    tools: Toolchain,
    events: EventLog,
) -> None:
    bridge = options.bundle / "js_bridge"
    if result.id == "scenarios":
        chosen = [s for s in config.scenarios if selection.scenarios is None or s.id in selection.scenarios]
        prior = None
        if options.reports is not None:
            prior = load_prior_reports(options.reports, tree_state(options.root, options.bundle))
        check_scenarios(result, chosen, options.runtimes, tools, events, prior)
    elif result.id == "protocol_bounds":
        js = measure_js(bridge / "policy.mjs", options.node) if (bridge / "policy.mjs").is_file() else None
        check_bounds(result, config.bounds, measure_python(), js)
    elif result.id == "dependencies":
        pins = [options.root / p for p in config.pin_files]
        check_dependencies(result, options.bundle, config.packages, pins, options.root / WHEEL_CACHE)
    elif result.id == "integrity":
        check_integrity(result, options.bundle, options.root, options.root / config.manifest)
    elif result.id == "redaction":
        check_redaction(
            result,
            root=options.root,
            js_bridge=bridge,
            python=options.python,
            node=options.node,
            python_env=options.python_env,
        )
    elif result.id == "fuzz":
        check_fuzz(result, config.fuzz_files, config.fuzz_profile, config.fuzz_timeout_s, tools, events)


def _finish(
    options: GateOptions,
    header: dict[str, Any],
    results: list[CheckResult],
    started: float,
    events: EventLog,
    echo: Callable[[str], None],
) -> bool:
    duration = round(time.monotonic() - started, 3)
    passed = gate_passed(results) and any(r.ran for r in results)
    header = {**header, "duration_s": duration}
    write_report(options.out / REPORT_NAME, header, results)
    events.emit("gate.end", passed=passed, duration_s=duration)
    events.close()
    if not options.quiet:
        echo(summary(results, duration))
        echo(f"report: {options.out / REPORT_NAME}")
    return passed


def _provenance(options: GateOptions) -> dict[str, Any]:
    """Which tree, policy and toolchain produced this report."""
    info: dict[str, Any] = {"python": platform.python_version()}
    try:
        info["policy_sha256"] = hashlib.sha256(options.policy.read_bytes()).hexdigest()
    except OSError:
        info["policy_sha256"] = None
    for key, command in (
        ("commit", ["git", "rev-parse", "HEAD"]),
        ("dirty_files", ["git", "status", "--porcelain"]),
        ("node", [options.node, "--version"]),
    ):
        try:
            done = subprocess.run(
                command, cwd=options.root, capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            info[key] = None
            continue
        out = done.stdout.strip()
        info[key] = len(out.splitlines()) if key == "dirty_files" else (out or None)
    return info
