"""The scenarios check: run every mapped test in every runtime it names; all must run and pass.

Ids are grouped so each runtime is one invocation of its tool (one pytest process per runtime,
one `node --test` per file, one Playwright run), which keeps the whole gate within minutes.
Given `prior` reports (browser_rt.gate.prior) whose provenance matches, the ids they show as
passed in a runtime are taken from them and only the rest run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from browser_rt.gate.config import Scenario
from browser_rt.gate.prior import PriorReports
from browser_rt.gate.report import CheckResult, EventLog
from browser_rt.gate.results import MISSING, PASSED
from browser_rt.gate.runners import Outcome, RunLog, Toolchain, run_group
from browser_rt.gate.testids import RUNTIMES, Kind, TestId


def check_scenarios(
    result: CheckResult,
    scenarios: Iterable[Scenario],
    runtimes: Iterable[str],
    tools: Toolchain,
    events: EventLog,
    prior: PriorReports | None = None,
) -> None:
    """Fill `result` with one verdict per scenario and a finding per test that did not pass."""
    selected = list(scenarios)
    wanted = set(runtimes)
    groups: dict[tuple[Kind, str, bool], list[TestId]] = defaultdict(list)
    for scenario in selected:
        for mapped in scenario.tests:
            for runtime in mapped.runtimes:
                if runtime in wanted:
                    groups[(mapped.test.kind, runtime, mapped.isolated)].append(mapped.test)

    outcomes: dict[tuple[str, str], Outcome] = {}
    runs: list[RunLog] = []
    order = sorted(groups, key=lambda key: (RUNTIMES.index(key[1]), key[0].value, key[2]))
    sources: dict[tuple[str, str], str] = {}
    for kind, runtime, isolated in order:
        wanted_ids = groups[(kind, runtime, isolated)]
        if prior is not None:
            for test_id, (cases, report) in prior.passed(kind, runtime, wanted_ids).items():
                outcomes[(test_id, runtime)] = Outcome(PASSED, "", cases)
                sources[(test_id, runtime)] = report
                events.emit("test.reused", test=test_id, runtime=runtime, report=report)
            wanted_ids = [t for t in wanted_ids if (t.text, runtime) not in sources]
            if not wanted_ids:
                continue
        got, logs = run_group(kind, runtime, wanted_ids, tools, events, isolated=isolated)
        runs.extend(logs)
        for test_id, outcome in got.items():
            outcomes[(test_id, runtime)] = outcome

    verdicts: list[dict[str, Any]] = []
    for scenario in selected:
        rows: list[dict[str, Any]] = []
        for mapped in scenario.tests:
            for runtime in mapped.runtimes:
                if runtime not in wanted:
                    rows.append({"test": mapped.test.text, "runtime": runtime, "state": "deselected"})
                    continue
                outcome = outcomes.get((mapped.test.text, runtime), Outcome(MISSING, "never scheduled"))
                rows.append(
                    {
                        "test": mapped.test.text,
                        "runtime": runtime,
                        "state": outcome.state,
                        "cases": outcome.cases,
                        "message": outcome.message,
                        "source": sources.get((mapped.test.text, runtime), "run"),
                    }
                )
                if not outcome.passed:
                    result.fail(
                        f"test_{outcome.state}",
                        f"{scenario.id} in {runtime}: {outcome.message}",
                        subject=mapped.test.text,
                    )
                events.emit(
                    "test.result",
                    scenario=scenario.id,
                    test=mapped.test.text,
                    runtime=runtime,
                    state=outcome.state,
                    cases=outcome.cases,
                )
        passed = all(r["state"] in ("passed", "deselected") for r in rows)
        ran = sum(r["state"] != "deselected" for r in rows)
        if ran == 0:
            result.fail("scenario_not_run", f"{scenario.id}: none of its tests run in the selected runtimes")
            passed = False
        events.emit("scenario.result", scenario=scenario.id, passed=passed, tests=ran)
        verdicts.append({"id": scenario.id, "title": scenario.title, "passed": passed, "tests": rows})

    result.details["scenarios"] = verdicts
    result.details["runs"] = [vars(r) for r in runs]
    if prior is not None:
        result.details["reports"] = {
            "accepted": [{"report": a.path.name, "runtimes": list(a.runtimes)} for a in prior.accepted],
            "refused": [vars(r) for r in prior.refused],
            "reused": len(sources),
        }
        for refusal in prior.refused:
            result.warn(
                refusal.code, f"{refusal.report}: {refusal.message} (its tests run again)", refusal.report
            )
    good = sum(v["passed"] for v in verdicts)
    checked = sum(1 for v in verdicts for r in v["tests"] if r["state"] != "deselected")
    result.details["summary"] = (
        f"{good}/{len(verdicts)} scenarios, {checked} test runs ({len(sources)} taken from stamped reports)"
    )
