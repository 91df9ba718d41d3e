"""The protocol bounds check: every limit is configured, positive, and what the code enforces.

The code's side is measured, not read: each limit is found by a binary search over what the
Python loader (in this process) and the shipped JS bridge (in Node) accept. So a constant that
is declared but not enforced, or enforced differently in Python and JS, shows up here.
"""

from __future__ import annotations

import inspect
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from browser_rt.gate.config import Bound
from browser_rt.gate.report import CheckResult


@dataclass(frozen=True)
class KnownBound:
    """A limit the gate can measure: its shape and the implementations that enforce it."""

    shape: str  # "range" (default, low, high) or "value"
    sides: tuple[str, ...]


KNOWN_BOUNDS: dict[str, KnownBound] = {
    "policy.max_header_count": KnownBound("range", ("python", "js")),
    "policy.max_request_body_bytes": KnownBound("range", ("python", "js")),
    "policy.max_response_body_bytes": KnownBound("range", ("python", "js")),
    "policy.timeout_ms": KnownBound("range", ("python", "js")),
    "policy.max_concurrent_requests": KnownBound("range", ("python", "js")),
    "policy.max_queued_requests": KnownBound("range", ("python", "js")),
    "policy.max_requests_per_minute": KnownBound("range", ("python", "js")),
    "policy.max_json_bytes": KnownBound("value", ("python", "js")),
    "policy.max_origins": KnownBound("value", ("python", "js")),
    "policy.max_method_entries": KnownBound("value", ("python", "js")),
    "request.max_url_length": KnownBound("value", ("python", "js")),
    "runtime.cleanup_seconds": KnownBound("value", ("python",)),
}
POLICY_RANGE_LIMITS = tuple(
    name.removeprefix("policy.")
    for name, known in KNOWN_BOUNDS.items()
    if known.shape == "range" and name.startswith("policy.")
)
"""The policy's integer settings, measured by the same search in both implementations."""
_SEARCH_CEILING = 1 << 40
"""Integer limits are searched up to here; size limits use smaller ceilings (they allocate)."""


def _largest(accepts: Callable[[int], bool], low: int, high: int = _SEARCH_CEILING) -> int | None:
    """The largest n in [low, high] with accepts(n), given accepts is true up to it, false after."""
    if not accepts(low):
        return None
    if accepts(high):
        return high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if accepts(middle) else (low, middle)
    return low


def _smallest(accepts: Callable[[int], bool], high: int, low: int = -(1 << 31)) -> int | None:
    """The smallest n in [low, high] with accepts(n), given accepts is false below it, true after."""
    found = _largest(lambda n: accepts(-n), -high, -low)
    return None if found is None else -found


def measure_python() -> dict[str, dict[str, Any]]:
    """What the Python implementation enforces, plus the constants it declares."""
    from browser_rt.lab import LabRuntime
    from browser_rt.policy import FetchAuthority, FetchRequest, PolicyError
    from browser_rt.policy import authority as authority_module
    from browser_rt.policy import urls as urls_module
    from browser_rt.runtime import DEFAULT_CLEANUP_SECONDS, Runtime

    def loads(document: object) -> bool:
        try:
            FetchAuthority.from_dict(document)
        except PolicyError:
            return False
        return True

    def loads_json(size: int) -> bool:
        try:
            FetchAuthority.from_json("{}" + " " * (size - 2))
        except PolicyError:
            return False
        return True

    measured: dict[str, dict[str, Any]] = {}
    defaults = FetchAuthority.from_dict({}).to_dict()
    for name, limit in authority_module.LIMITS.items():
        measured[f"policy.{name}"] = {
            "default": defaults[name],
            "low": _smallest(lambda n, key=name: loads({key: n}), limit.default),  # type: ignore[misc]
            "high": _largest(lambda n, key=name: loads({key: n}), limit.default),  # type: ignore[misc]
            "declared": {"default": limit.default, "low": limit.low, "high": limit.high},
        }
    measured["policy.max_json_bytes"] = {
        "value": _largest(loads_json, 2, 1 << 24),
        "declared": authority_module.MAX_POLICY_JSON_BYTES,
    }
    measured["policy.max_origins"] = {
        "value": _largest(
            lambda n: loads({"origins": [f"https://h{i}.example" for i in range(n)]}), 0, 1 << 14
        ),
        "declared": authority_module.MAX_ORIGINS,
    }
    measured["policy.max_method_entries"] = {
        "value": _largest(
            lambda n: loads({"origins": ["https://a.example"], "methods": ["GET"] * n}), 1, 1 << 10
        ),
        "declared": getattr(authority_module, "MAX_METHOD_ENTRIES", None),
    }
    deny_all = FetchAuthority.deny_all()
    prefix = "https://a.example/"

    def url_ok(length: int) -> bool:
        url = prefix + "a" * (length - len(prefix))
        return deny_all.authorize(FetchRequest(method="GET", url=url)).reason != "invalid_url"

    measured["request.max_url_length"] = {
        "value": _largest(url_ok, len(prefix), 1 << 24),
        "declared": urls_module.MAX_URL_LENGTH,
    }
    defaults_seen = {
        inspect.signature(Runtime).parameters["cleanup"].default,
        inspect.signature(LabRuntime.run).parameters["cleanup"].default,
    }

    class _NoHost:
        async def fetch(self, request: object) -> object:
            raise NotImplementedError

    built = Runtime(authority=deny_all, fetch_host=_NoHost()).cleanup  # type: ignore[arg-type]
    measured["runtime.cleanup_seconds"] = {
        "value": built if defaults_seen == {built} else sorted({built, *defaults_seen}),
        "declared": DEFAULT_CLEANUP_SECONDS,
    }
    return measured


_JS_PROBE = r"""
const { FetchAuthority } = await import(process.argv[1]);
const rangeLimits = JSON.parse(process.argv[2]);
const loads = (doc) => {
  try { FetchAuthority.fromJSON(doc); return true; } catch { return false; }
};
const loadsText = (size) => loads("{}" + " ".repeat(size - 2));
function largest(accepts, low, high = 2 ** 40) {
  if (!accepts(low)) return null;
  if (accepts(high)) return high;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (accepts(mid)) low = mid; else high = mid;
  }
  return low;
}
const smallest = (accepts, high, low = -(2 ** 31)) => {
  const found = largest((n) => accepts(-n), -high, -low);
  return found === null ? null : -found;
};
const defaults = FetchAuthority.fromJSON({}).toJSON();
const out = {};
for (const name of rangeLimits) {
  out[`policy.${name}`] = {
    default: defaults[name],
    low: smallest((n) => loads({ [name]: n }), defaults[name]),
    high: largest((n) => loads({ [name]: n }), defaults[name]),
  };
}
const origins = (n) => Array.from({ length: n }, (_, i) => `https://h${i}.example`);
const methods = (n) => ({ origins: ["https://a.example"], methods: Array(n).fill("GET") });
out["policy.max_json_bytes"] = { value: largest(loadsText, 2, 1 << 24) };
out["policy.max_origins"] = { value: largest((n) => loads({ origins: origins(n) }), 0, 1 << 14) };
out["policy.max_method_entries"] = { value: largest((n) => loads(methods(n)), 1, 1 << 10) };
const denyAll = FetchAuthority.denyAll();
const prefix = "https://a.example/";
const urlOk = (len) => {
  const url = prefix + "a".repeat(len - prefix.length);
  const request = { method: "GET", url, headers: [], credentials: "omit", body: null };
  return denyAll.authorize(request).reason !== "invalid_url";
};
out["request.max_url_length"] = { value: largest(urlOk, prefix.length, 1 << 24) };
process.stdout.write(JSON.stringify(out));
"""


def measure_js(policy_module: Path, node: str = "node") -> dict[str, dict[str, Any]]:
    """What the JS implementation (the given policy.mjs) enforces, measured in Node."""
    result = subprocess.run(
        [
            node,
            "--input-type=module",
            "-e",
            _JS_PROBE,
            policy_module.resolve().as_uri(),
            json.dumps(POLICY_RANGE_LIMITS),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the JS probe failed: {result.stderr.strip()[-400:]}")
    measured: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return measured


def check_bounds(
    result: CheckResult,
    bounds: tuple[Bound, ...],
    python: dict[str, dict[str, Any]],
    js: dict[str, dict[str, Any]] | None,
) -> None:
    """Compare the configured limits with the measured ones; every known limit must be configured."""
    configured = {b.name: b for b in bounds}
    for name in KNOWN_BOUNDS:
        if name not in configured:
            result.fail("bound_missing", "not in security/policy.json", subject=name)
    rows = []
    for bound in bounds:
        known = KNOWN_BOUNDS.get(bound.name)
        if known is None:
            result.fail("bound_unknown", "the gate cannot measure this limit", subject=bound.name)
            continue
        report = result.fail if bound.blocking else result.warn
        expected = _expected(bound, known, report)
        if expected is None:
            continue
        row: dict[str, Any] = {"name": bound.name, "expected": expected}
        sides = {"python": python, "js": js}
        for side in known.sides:
            got = sides[side]
            if got is None:
                report("bound_unmeasured", f"{side}: not measured", subject=bound.name)
                continue
            measured = got.get(bound.name, {})
            actual = {key: measured.get(key) for key in expected}
            row[side] = actual
            if actual != expected:
                report(
                    "bound_mismatch", f"{side} enforces {actual}, policy says {expected}", subject=bound.name
                )
            declared = measured.get("declared")
            if declared is not None:
                declared_view = declared if isinstance(declared, dict) else {"value": declared}
                if {k: declared_view.get(k) for k in expected} != expected:
                    report("bound_declared_mismatch", f"{side} declares {declared}", subject=bound.name)
        if bound.note:
            row["note"] = bound.note
        rows.append(row)
    result.details["bounds"] = rows
    result.details["summary"] = f"{len(rows)} limits measured in Python and JS"


def _expected(
    bound: Bound, known: KnownBound, report: Callable[[str, str, str], None]
) -> dict[str, Any] | None:
    if known.shape == "value":
        if bound.value is None or bound.default is not None:
            report("bound_shape", "expected a single 'value'", bound.name)
            return None
        if not bound.value > 0:
            report("bound_not_positive", f"value {bound.value} is not positive", bound.name)
        return {"value": bound.value}
    if None in (bound.default, bound.low, bound.high) or bound.value is not None:
        report("bound_shape", "expected 'default', 'low' and 'high'", bound.name)
        return None
    assert bound.default is not None and bound.low is not None and bound.high is not None
    if not (bound.default > 0 and bound.high > 0 and bound.low >= 0):
        report(
            "bound_not_positive", f"default {bound.default}, high {bound.high}, low {bound.low}", bound.name
        )
    if not bound.low <= bound.default <= bound.high:
        report(
            "bound_inconsistent", f"default {bound.default} is outside {bound.low}..{bound.high}", bound.name
        )
    return {"default": bound.default, "low": bound.low, "high": bound.high}
