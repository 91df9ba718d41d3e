"""Run mapped tests per runtime, one tool invocation per runtime, and say what happened to each id.

A mapped id ends in exactly one state: passed, failed, skipped or missing. Only `passed` counts;
a test the tool did not collect, did not run or did not report is `missing`, and an invocation
that crashes or times out leaves every id it held `missing` with the reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from browser_rt.gate.report import EventLog
from browser_rt.gate.results import (
    FAILED,
    MISSING,
    PASSED,
    SKIPPED,
    Case,
    ResultsError,
    read_node_junit,
    read_playwright_json,
    read_pytest_junit,
)
from browser_rt.gate.testids import PLAYWRIGHT_PROJECTS, Kind, TestId, pytest_case_matches, titles_match

_PYTEST_FLAGS = ("-p", "no:cacheprovider", "-p", "no:unraisableexception")
_SCRUBBED_ENV = ("PYTEST_ADDOPTS", "HYPOTHESIS_PROFILE", "NODE_OPTIONS")


@dataclass(frozen=True)
class Outcome:
    """What happened to one mapped id in one runtime; `cases` counts the results behind it."""

    state: str
    message: str = ""
    cases: int = 0

    @property
    def passed(self) -> bool:
        return self.state == PASSED


@dataclass(frozen=True)
class Toolchain:
    """Where the tools are and where runs write; the self-test points it at temporary copies."""

    root: Path
    python: str
    bundle: Path
    logs: Path
    node: str = "node"
    npx: str = "npx"
    timeout_s: int = 1200
    extra_env: Mapping[str, str] = field(default_factory=dict)

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env.update(self.extra_env)
        env.update(overrides)
        return env


@dataclass
class RunLog:
    """One tool invocation, for the report: what ran, how it ended, where its output is."""

    group: str
    command: list[str]
    returncode: int | None = None
    duration_s: float = 0.0
    log: str = ""
    note: str = ""


def run_group(
    kind: Kind,
    runtime: str,
    ids: Sequence[TestId],
    tools: Toolchain,
    events: EventLog,
    *,
    isolated: bool = False,
) -> tuple[dict[str, Outcome], list[RunLog]]:
    """Run every id of one (tool, runtime) pair and return an outcome for each of them.

    `isolated` ids get an invocation of their own, so a test that brings its runtime down
    (a fatal error inside Pyodide) cannot take the other tests' results with it.
    """
    unique = list({t.text: t for t in ids}.values())
    if kind in (Kind.PYTEST, Kind.BROWSER):
        return _run_pytest(kind, runtime, unique, tools, events, ".isolated" if isolated else "")
    if kind is Kind.NODE_TEST:
        return _run_node_tests(unique, tools, events)
    return _run_playwright(unique, runtime, tools, events)


# -- pytest ------------------------------------------------------------------------------------


def _pytest_runtime_args(kind: Kind, runtime: str, tools: Toolchain) -> list[str]:
    if runtime == "host":
        return []
    # One token each: pytest would otherwise take the folder for a test path when it picks rootdir.
    dist = [f"--rt={runtime}", f"--dist-dir={tools.bundle / 'pyodide'}"]
    return dist if kind is Kind.BROWSER else ["--run-in-pyodide", *dist]


def _run_pytest(
    kind: Kind, runtime: str, ids: list[TestId], tools: Toolchain, events: EventLog, suffix: str = ""
) -> tuple[dict[str, Outcome], list[RunLog]]:
    group = f"{kind.value}@{runtime}{suffix}"
    base = [
        tools.python,
        "-m",
        "pytest",
        *_PYTEST_FLAGS,
        f"--rootdir={tools.root}",
        *_pytest_runtime_args(kind, runtime, tools),
    ]
    env = tools.env(SE_OFFLINE="true") if runtime == "chrome" else tools.env()
    outcomes: dict[str, Outcome] = {}
    logs: list[RunLog] = []

    files = sorted({t.path for t in ids})
    collect = invoke(f"{group}.collect", [*base, "--collect-only", "-q", *files], tools, env, events)
    logs.append(collect)
    collected = _collected_ids(tools.logs / f"{group}.collect.log")
    present: list[TestId] = []
    for test in ids:
        if any(_collected_matches(test, node_id) for node_id in collected):
            present.append(test)
        else:
            outcomes[test.text] = Outcome(
                MISSING, "not collected: no such test (or its file fails to import)"
            )
    if not present:
        return outcomes, logs

    # Isolated ids stop at their first failure and the rest go on in a fresh invocation, so a
    # test that kills its runtime costs one restart instead of failing everything after it.
    stop_early = ["--maxfail=1"] if suffix else []
    remaining = present
    for attempt in range(1, len(present) + 2):
        name = group if attempt == 1 else f"{group}.retry{attempt - 1}"
        xml = tools.logs / f"{name}.junit.xml"
        xml.unlink(missing_ok=True)
        command = [*base, "-q", *stop_early, f"--junitxml={xml}", *(t.text for t in remaining)]
        run = invoke(name, command, tools, env, events)
        logs.append(run)
        try:
            cases = read_pytest_junit(xml)
        except ResultsError as exc:
            cases, run.note = [], str(exc)
        unfinished = []
        for test in remaining:
            matched = [c for c in cases if pytest_case_matches(test, c.classname, c.titles[-1])]
            if matched or not stop_early:
                outcomes[test.text] = _aggregate(matched, run)
            else:
                unfinished.append(test)
        if not unfinished or len(unfinished) == len(remaining):
            for test in unfinished:
                outcomes[test.text] = _aggregate([], run)
            break
        remaining = unfinished
    return _retry_harness_failures(present, outcomes, logs, base, group, tools, env, events)


_HARNESS_FAILURES = ("pexpect.exceptions.TIMEOUT", "did not run inside Pyodide")
"""Failures of the test harness (the Pyodide session never came up), not verdicts on a test."""


def _retry_harness_failures(
    present: list[TestId],
    outcomes: dict[str, Outcome],
    logs: list[RunLog],
    base: list[str],
    group: str,
    tools: Toolchain,
    env: dict[str, str],
    events: EventLog,
) -> tuple[dict[str, Outcome], list[RunLog]]:
    """Rerun, once and in a fresh invocation, the ids that only failed because the harness did.

    A test's own failure is never retried; its verdict stands.
    """
    again = [
        t
        for t in present
        if outcomes[t.text].state == FAILED and any(m in outcomes[t.text].message for m in _HARNESS_FAILURES)
    ]
    if not again:
        return outcomes, logs
    xml = tools.logs / f"{group}.harness-retry.junit.xml"
    xml.unlink(missing_ok=True)
    run = invoke(
        f"{group}.harness-retry",
        [*base, "-q", f"--junitxml={xml}", *(t.text for t in again)],
        tools,
        env,
        events,
    )
    logs.append(run)
    try:
        cases = read_pytest_junit(xml)
    except ResultsError as exc:
        cases, run.note = [], str(exc)
    for test in again:
        retried = _aggregate([c for c in cases if pytest_case_matches(test, c.classname, c.titles[-1])], run)
        outcomes[test.text] = replace(
            retried, message=f"{retried.message} (rerun after a harness failure)".strip()
        )
    return outcomes, logs


def _collected_ids(log: Path) -> list[str]:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [
        line.strip() for line in text.splitlines() if "::" in line and not line.startswith(("ERROR", " "))
    ]


def _collected_matches(test: TestId, node_id: str) -> bool:
    if "[" in test.text.rsplit("::", 1)[-1]:
        return node_id == test.text
    return node_id == test.text or node_id.startswith(test.text + "[")


# -- node --test -------------------------------------------------------------------------------


def _run_node_tests(
    ids: list[TestId], tools: Toolchain, events: EventLog
) -> tuple[dict[str, Outcome], list[RunLog]]:
    outcomes: dict[str, Outcome] = {}
    logs: list[RunLog] = []
    env = tools.env(BROWSER_RT_BUNDLE=str(tools.bundle))
    for path in sorted({t.path for t in ids}):
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(path).name)
        xml = tools.logs / f"node-test.{stem}.junit.xml"
        xml.unlink(missing_ok=True)
        command = [tools.node, "--test", "--test-reporter=junit", f"--test-reporter-destination={xml}", path]
        run = invoke(f"node-test.{stem}", command, tools, env, events)
        logs.append(run)
        try:
            cases = read_node_junit(xml)
        except ResultsError as exc:
            cases, run.note = [], str(exc)
        for test in (t for t in ids if t.path == path):
            outcomes[test.text] = _aggregate([c for c in cases if titles_match(test, c.titles)], run)
    return outcomes, logs


# -- Playwright --------------------------------------------------------------------------------


def _run_playwright(
    ids: list[TestId], runtime: str, tools: Toolchain, events: EventLog
) -> tuple[dict[str, Outcome], list[RunLog]]:
    project = PLAYWRIGHT_PROJECTS[runtime]
    group = f"playwright@{runtime}"
    report = tools.logs / f"playwright-{project}.json"
    report.unlink(missing_ok=True)
    grep = "|".join(_js_regex_escape(t.names[-1]) for t in ids)
    files = sorted({t.path for t in ids})
    command = [tools.npx, "--no-install", "playwright", "test", *files, "--reporter=json", f"--grep={grep}"]
    # The gate judges a test by its first run: a retry would only double a planted fault's run.
    command += [f"--project={project}", "--retries=0"]
    if project == "webkit" and not os.environ.get("DISPLAY"):
        # WebKitGTK's MiniBrowser has no headless mode.
        command = ["xvfb-run", "-a", *command]
    env = tools.env(PLAYWRIGHT_JSON_OUTPUT_NAME=str(report))
    run = invoke(group, command, tools, env, events)
    try:
        cases = read_playwright_json(report)
    except ResultsError as exc:
        cases, run.note = [], str(exc)
    outcomes = {}
    for test in ids:
        in_file = test.path.removeprefix("e2e/")
        matched = [c for c in cases if c.classname == in_file and titles_match(test, c.titles)]
        outcomes[test.text] = _aggregate(matched, run)
    return outcomes, [run]


def _js_regex_escape(text: str) -> str:
    return re.sub(r"([\\^$.*+?()\[\]{}|/-])", r"\\\1", text)


# -- shared ------------------------------------------------------------------------------------


def _aggregate(cases: list[Case], run: RunLog) -> Outcome:
    """All of an id's cases must pass; none at all means it never ran."""
    if not cases:
        reason = run.note or f"no result (exit code {run.returncode}; see {run.log})"
        return Outcome(MISSING, f"did not run: {reason}")
    for state in (FAILED, SKIPPED):
        bad = [c for c in cases if c.state == state]
        if bad:
            return Outcome(state, f"{len(bad)} of {len(cases)} {state}: {bad[0].message}", len(cases))
    return Outcome(PASSED, "", len(cases))


def invoke(group: str, command: list[str], tools: Toolchain, env: dict[str, str], events: EventLog) -> RunLog:
    """Run one command in its own process group, output to a log file, killed at the timeout."""
    tools.logs.mkdir(parents=True, exist_ok=True)
    log = tools.logs / f"{group}.log"
    record = RunLog(group, command, log=str(log))
    events.emit("run.start", group=group, command=command)
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        try:
            process = subprocess.Popen(
                command, cwd=tools.root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        except OSError as exc:
            record.note = f"could not start {command[0]}: {exc.strerror}"
        else:
            try:
                record.returncode = process.wait(timeout=tools.timeout_s)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                record.note = f"killed after {tools.timeout_s}s"
            except BaseException:  # the gate itself is stopping: take the tool's processes with it
                _kill_group(process)
                raise
    record.duration_s = round(time.monotonic() - started, 3)
    events.emit(
        "run.end", group=group, returncode=record.returncode, duration_s=record.duration_s, note=record.note
    )
    return record


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
