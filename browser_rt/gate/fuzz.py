"""The fuzz check: the Hypothesis targets and the WHATWG differential, on the host, time-bounded.

They run under the `ci-fuzz` settings profile (tests/conftest.py), which fixes the example
count so the whole run takes about two minutes; `make fuzz` runs the same files far longer.
Every collected test must pass, and there must be some.
"""

from __future__ import annotations

from dataclasses import replace

from browser_rt.gate.report import CheckResult, EventLog
from browser_rt.gate.results import PASSED, ResultsError, read_pytest_junit
from browser_rt.gate.runners import Toolchain, invoke

_PYTEST_FLAGS = ("-p", "no:cacheprovider", "-p", "no:unraisableexception", "-q")


def check_fuzz(
    result: CheckResult,
    files: tuple[str, ...],
    profile: str,
    timeout_s: int,
    tools: Toolchain,
    events: EventLog,
) -> None:
    xml = tools.logs / "fuzz.junit.xml"
    xml.unlink(missing_ok=True)
    command = [tools.python, "-m", "pytest", *_PYTEST_FLAGS, f"--junitxml={xml}", *files]
    run = invoke(
        "fuzz@host",
        command,
        replace(tools, timeout_s=timeout_s),
        tools.env(HYPOTHESIS_PROFILE=profile),
        events,
    )
    result.details["run"] = vars(run)
    try:
        cases = read_pytest_junit(xml)
    except ResultsError as exc:
        result.fail("fuzz_did_not_run", f"{exc} ({run.note or f'exit code {run.returncode}'})")
        return
    if not cases:
        result.fail("fuzz_did_not_run", f"no fuzz test ran (exit code {run.returncode}; see {run.log})")
    for case in cases:
        if case.state != PASSED:
            result.fail(f"fuzz_{case.state}", case.message, subject=f"{case.classname}::{case.titles[-1]}")
    passed = sum(c.state == PASSED for c in cases)
    result.details["summary"] = f"{passed}/{len(cases)} fuzz targets, profile {profile}"
