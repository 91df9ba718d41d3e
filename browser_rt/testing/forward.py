"""Run the forwarded tests as one pytest session per interpreter and report each on the host.

The host collects as usual; pytest-pyodide gives each test a runtime. For each runtime the
`Forwarder` starts one interpreter over the project's own folders (`browser_rt.testing.project`)
and runs one pytest session there over exactly the host's selection, in the host's order. Each
report comes back serialized by pytest itself (as pytest-xdist's do) and is handed to the host's
hooks as it arrives, so -v, -x, --maxfail, --lf, -k, -m, --tb, -rA, --junitxml and the summary
behave as they do on the host.

With `-n N` the files are split across N interpreters side by side (`browser_rt.testing.lanes`,
`browser_rt.testing.lane_runner`); the host's hooks still see one report at a time.

Honesty: a test with no report from inside fails (a collection error inside is quoted); when
the interpreter dies or stays silent past `--pyodide-timeout`, the running test fails with the
interpreter's last output and a fresh interpreter goes on from the next test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from browser_rt.testing import EXPECTED_RUNTIME_VARIABLE
from browser_rt.testing.fixes import enabled
from browser_rt.testing.lane_runner import LaneRunner, SessionRun
from browser_rt.testing.lanes import Unit, lane_count, lanes_wanted, split
from browser_rt.testing.project import (
    TEST_DEPENDENCIES_INI,
    PlanInputs,
    ProjectError,
    ProjectPlan,
    make_plan,
    unimportable_message,
)

DEFAULT_TIMEOUT_S = 120.0
BETWEEN_TESTS_S = 300.0
"""Silence allowed outside a test (starting, loading packages, collecting a large suite): the
per-test timeout is for tests, and a loaded machine can take a minute to start Pyodide."""
DID_NOT_RUN = "did not run inside Pyodide"
"""Words the security gate (`browser_rt.gate.runners`) reads as a harness failure worth a retry."""
INNER_SOURCE = Path(__file__).with_name("inner.py")
FORWARDED_OPTIONS: tuple[tuple[str, str], ...] = (
    ("--tb", "value"),
    ("--showlocals", "flag"),
    ("-W", "list"),
    ("-o", "list"),
    ("--strict-markers", "flag"),
    ("--runxfail", "flag"),
    ("--lab-seed", "value"),
    ("--hypothesis-profile", "value"),
    ("--hypothesis-seed", "value"),
    ("--hypothesis-verbosity", "value"),
    ("--hypothesis-show-statistics", "flag"),
    ("--hypothesis-explain", "flag"),
)
"""Host options that change how a test runs, passed on to pytest inside Pyodide."""

_DESTS = {"--tb": "tbstyle", "-W": "pythonwarnings", "-o": "override_ini"}


class Session(Protocol):
    """One interpreter running one spec: `NodeSession` or `ChromeSession`."""

    def next_message(self, timeout: float) -> dict[str, Any]: ...
    def console(self) -> str: ...
    def close(self) -> None: ...


SessionFactory = Callable[[str, dict[str, Any], pytest.Item], Session]


def is_forwarded(item: pytest.Item) -> bool:
    """A test pytest-pyodide runs inside Pyodide (not one of its own `runtime`-fixture tests)."""
    return hasattr(item, "pyodide_runtime") and "runtime" not in getattr(item, "fixturenames", ())


class Stop(Exception):
    """The host asked to stop (-x, --maxfail): the run ends without another report."""


@dataclass
class Forwarder:
    """The plugin's state for one `pytest --run-in-pyodide` run."""

    config: pytest.Config
    start_session: SessionFactory
    restarts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    lanes: int = 1
    _plan: ProjectPlan | None = None

    # -- the run loop --------------------------------------------------------------------------

    def run(self, session: pytest.Session) -> None:
        """Run every collected item: host ones through pytest's own protocol, the rest inside."""
        items = list(session.items)
        host = [item for item in items if not is_forwarded(item)]
        for index, item in enumerate(host):
            nextitem = host[index + 1] if index + 1 < len(host) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            _check_stop(session)
        inside: list[pytest.Item] = []
        for item in items:
            if not is_forwarded(item):
                continue
            reason = self.host_skip(item)
            if reason is None:
                inside.append(item)
            else:
                self.synthesize(item, "skipped", reason)
                _check_stop(session)
        if not inside:
            return
        try:
            plan = self.plan(session)
        except ProjectError as exc:
            for item in inside:
                self.synthesize(item, "failed", f"browser_rt.testing: {exc}")
                _check_stop(session)
            return
        by_runtime: dict[str, dict[str, pytest.Item]] = {}
        units: dict[tuple[str, str], list[str]] = {}
        for item in inside:
            runtime = str(item.pyodide_runtime)  # type: ignore[attr-defined]
            by_runtime.setdefault(runtime, {})[item.nodeid] = item
            units.setdefault((runtime, str(item.path)), []).append(item.nodeid)
        ordered = sorted(units.items(), key=lambda entry: list(by_runtime).index(entry[0][0]))
        work = split(
            [Unit(runtime, tuple(nodeids)) for (runtime, _), nodeids in ordered],
            lane_count(lanes_wanted(self.config)),
        )
        self.lanes = len(work)
        in_test = timeout_s(self.config)
        deadlines = (in_test, max(in_test, BETWEEN_TESTS_S))
        LaneRunner(self, session, plan, by_runtime, work, deadlines).run()

    # -- one interpreter's session, message by message -------------------------------------------

    def handle(self, session: pytest.Session, run: SessionRun, message: dict[str, Any]) -> bool:
        """Pass one message of `run` to the host's hooks; True once the session has ended."""
        hook = self.config.hook
        by_nodeid = run.by_nodeid
        kind = message["type"]
        if kind == "prepared" and message.get("missing"):
            text = f"browser_rt.testing: {unimportable_message(run.plan, list(message['missing']))}"
            for nodeid in run.pending:
                self.synthesize(by_nodeid[nodeid], "failed", text)
                _check_stop(session)
            run.done.update(run.pending)
            return True
        if kind == "collected":
            # Reported now, in the stream, so -x stops at the first of them too.
            for nodeid in message.get("missing", []):
                if nodeid in by_nodeid and nodeid not in run.done:
                    self.not_run(by_nodeid[nodeid], run.collect_errors)
                    run.done.add(nodeid)
                    _check_stop(session)
        elif kind == "collectreport":
            report = self.report(message["data"])
            run.collect_errors[report.nodeid] = str(report.longrepr)
        elif kind == "logstart" and message["nodeid"] in by_nodeid:
            run.current = message["nodeid"]
            hook.pytest_runtest_logstart(nodeid=run.current, location=tuple(message["location"]))
        elif kind == "report" and message["data"].get("nodeid") in by_nodeid:
            data = message["data"]
            run.last_report = (data["nodeid"], data.get("location"), data.get("keywords"))
            hook.pytest_runtest_logreport(report=self.host_view(self.report(data)))
            _check_stop(session)
        elif kind == "passed" and message.get("nodeid") in by_nodeid:
            hook.pytest_runtest_logreport(report=self.passed_report(run, message))
            _check_stop(session)
        elif kind == "logfinish" and message["nodeid"] in by_nodeid:
            hook.pytest_runtest_logfinish(nodeid=message["nodeid"], location=tuple(message["location"]))
            run.done.add(message["nodeid"])
            run.current = None
        elif kind == "finished":
            left = [nodeid for nodeid in run.pending if nodeid not in run.done]
            if left:
                # pytest inside stopped early (a usage error, an addopts plugin it lacks): its
                # own words are in the interpreter's output.
                run.collect_errors.setdefault(
                    "", f"pytest inside exited {message.get('exitstatus')}:\n{run.console()}"
                )
            for nodeid in left:
                self.not_run(by_nodeid[nodeid], run.collect_errors)
                run.done.add(nodeid)
                _check_stop(session)
            return True
        return False

    def failed_to_start(self, run: SessionRun, exc: BaseException) -> None:
        """No interpreter could be started for `run`: each of its tests fails, saying why."""
        if not isinstance(exc, (ProjectError, OSError)):
            raise exc
        for nodeid in run.pending:
            if nodeid not in run.done:
                self.synthesize(run.by_nodeid[nodeid], "failed", f"{nodeid} {DID_NOT_RUN}: {exc}")
                run.done.add(nodeid)

    def lost(self, run: SessionRun, exc: BaseException) -> list[str]:
        """The interpreter died or hung: the running test fails; a fresh one runs the rest."""
        runtime = run.runtime
        self.restarts[runtime] = self.restarts.get(runtime, 0) + 1
        hung = isinstance(exc, TimeoutError)
        current = run.current
        limit = f" (silent past --pyodide-timeout={timeout_s(self.config):g} s)" if current else ""
        what = f"hung{limit}" if hung else "crashed"
        console = run.console()
        run.close()
        text = (
            f"the Pyodide interpreter ({runtime}) {what} while running this test, so it has no result. "
            f"{type(exc).__name__}: {exc}"
            + (f"\n--- the interpreter's last output ---\n{console}" if console else "")
        )
        rest = [nodeid for nodeid in run.pending if nodeid not in run.done and nodeid != current]
        by_nodeid = run.by_nodeid
        if current is None:
            # Nothing was running: it died starting or collecting; a fresh one would do the same.
            for nodeid in rest:
                self.synthesize(by_nodeid[nodeid], "failed", f"{nodeid} {DID_NOT_RUN}: {text}")
            return []
        self.finish_lost(by_nodeid[current], text)
        if enabled("crash"):
            return rest
        for nodeid in rest:
            self.synthesize(
                by_nodeid[nodeid], "failed", f"Pyodide can no longer be used after {current} crashed it"
            )
        return []

    # -- reports made on the host ----------------------------------------------------------------

    def report(self, data: dict[str, Any]) -> Any:
        """pytest's own deserialization; JSON made the (path, line, reason) of a skip a list."""
        if isinstance(data.get("longrepr"), list):
            data["longrepr"] = tuple(data["longrepr"])
        return self.config.hook.pytest_report_from_serializable(config=self.config, data=data)

    def passed_report(self, run: SessionRun, message: dict[str, Any]) -> pytest.TestReport:
        """A compact passed report (`inner`), deserialized as pytest's own form of it would be."""
        nodeid = message["nodeid"]
        data = passed_report_data(message, run.last_report)
        if data is None:
            when = message.get("when")
            text = f"{nodeid}: the session inside sent a passed {when!r} report the host cannot read"
            phase = when if when in ("setup", "teardown") else "call"
            return _report(run.by_nodeid[nodeid], "failed", text, phase)
        run.last_report = (nodeid, data["location"], data["keywords"])
        report: pytest.TestReport = self.report(data)
        return report

    def host_view(self, report: pytest.TestReport) -> pytest.TestReport:
        """The inner report as the host shows it: with --pyodide-skips=fail a skip fails."""
        if report.skipped and not hasattr(report, "wasxfail") and skips_mode(self.config) == "fail":
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            report.outcome = "failed"
            report.longrepr = (
                f"{report.nodeid}: skipped inside Pyodide, and --pyodide-skips=fail makes that a "
                f"failure (mark a test that cannot run there host_only(reason=...)): {reason}"
            )
        return report

    def not_run(self, item: pytest.Item, collect_errors: dict[str, str]) -> None:
        """A selected test the session never reported: it fails, never passes."""
        if not enabled("report"):
            self.synthesize(item, "passed", "")  # pytest-pyodide's reading: no failure, a pass
            return
        why = "the session inside never reported it"
        for collector, error in collect_errors.items():
            if item.nodeid.startswith((collector + "::", collector + "/")):
                why = f"collecting {collector} failed inside Pyodide:\n{error}"
                break
            if not collector:
                why = error
        self.synthesize(item, "failed", f"{item.nodeid} {DID_NOT_RUN}: {why}")

    def finish_lost(self, item: pytest.Item, text: str) -> None:
        """The running test's failure, after the logstart (and maybe a setup report) it had."""
        hook = self.config.hook
        hook.pytest_runtest_logreport(report=_report(item, "failed", text, "call"))
        hook.pytest_runtest_logreport(report=_report(item, "passed", None, "teardown"))
        hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)

    def synthesize(self, item: pytest.Item, outcome: str, text: str) -> None:
        """A whole test made on the host: a skip at setup, or a pass or failure at call."""
        hook = self.config.hook
        hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        if outcome == "skipped":
            longrepr = (str(item.location[0]), (item.location[1] or 0) + 1, f"Skipped: {text}")
            hook.pytest_runtest_logreport(report=_report(item, "skipped", longrepr, "setup"))
        else:
            hook.pytest_runtest_logreport(report=_report(item, "passed", None, "setup"))
            hook.pytest_runtest_logreport(report=_report(item, outcome, text or None, "call"))
        hook.pytest_runtest_logreport(report=_report(item, "passed", None, "teardown"))
        hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)

    def host_skip(self, item: pytest.Item) -> str | None:
        """Why the host skips `item` without forwarding it: host_only, or (self-test) a host mark."""
        marker = item.get_closest_marker("host_only")
        if marker is not None:
            return f"host only: {host_only_reason(marker, item.nodeid)}"
        if not enabled("marks"):
            from _pytest.skipping import evaluate_skip_marks

            skipped = evaluate_skip_marks(item)
            if skipped is not None:
                return skipped.reason
        return None

    # -- what each session gets ---------------------------------------------------------------

    def plan(self, session: pytest.Session) -> ProjectPlan:
        if self._plan is None:
            config = self.config
            root = config.rootpath
            tests = sorted({Path(item.path) for item in session.items if is_forwarded(item)})
            conftests = {
                parent / "conftest.py"
                for test in tests
                for parent in test.parents
                if parent.is_relative_to(root) and (parent / "conftest.py").is_file()
            }
            inputs = PlanInputs(
                root=root,
                test_paths=(*tests, *sorted(conftests)),
                inifile=config.inipath,
                pythonpath=tuple(Path(p) for p in config.getini("pythonpath")),
                dist_dirs=tuple(d for d in (Path.cwd() / "dist", root / "dist") if d.is_dir()),
                pyodide_dir=Path(config.option.dist_dir),
                cache_dir=root / ".browser-rt" / "wheels",
                test_dependencies=tuple(config.getini(TEST_DEPENDENCIES_INI)),
                whole_tree=enabled("project"),
            )
            self._plan = make_plan(inputs, load_imports=enabled("imports"))
        return self._plan

    def spec(
        self, runtime: str, plan: ProjectPlan, pending: list[str], by_nodeid: dict[str, pytest.Item]
    ) -> dict[str, Any]:
        """What the interpreter gets: folders, packages, wheels, and the session's arguments."""
        root = str(plan.root)
        batches = [pending] if enabled("session") else [[nodeid] for nodeid in pending]
        return {
            "pyodideDir": str(Path(self.config.option.dist_dir).resolve()),
            "folders": [str(folder) for folder in plan.folders],
            "packages": plan.packages,
            "wheels": [str(wheel) for wheel in plan.wheels],
            "importNames": plan.import_names if enabled("project") else [],
            "runner": INNER_SOURCE.read_text(encoding="utf-8"),
            "session": {
                "environ": {EXPECTED_RUNTIME_VARIABLE: runtime},
                "sys_path": plan.sys_path,
                "hypothesis_profile": "hypothesis" in plan.packages,
                "rundir": root if enabled("rundir") else "/home/pyodide",
                "batches": [
                    {"nodeids": batch, "args": self.inner_args(batch, by_nodeid)} for batch in batches
                ],
            },
        }

    def inner_args(self, nodeids: list[str], by_nodeid: dict[str, pytest.Item]) -> list[str]:
        root = self.config.rootpath
        files = list(dict.fromkeys(os.path.relpath(by_nodeid[n].path, root) for n in nodeids))
        args = [*files, "-p", "no:cacheprovider", "--continue-on-collection-errors", "-q", "--color=no"]
        if enabled("rundir"):
            args.append(f"--rootdir={self.config.rootpath}")
            if self.config.inipath is not None:
                args += ["-c", str(self.config.inipath)]
        return args + list(forwarded_options(self.config))

    # -- end ---------------------------------------------------------------------------------

    def summary(self) -> Iterator[str]:
        plan = self._plan
        side_by_side = f", {self.lanes} interpreters side by side (-n)" if self.lanes > 1 else ""
        for runtime, seconds in self.seconds.items():
            line = f"{runtime}: one pytest session per interpreter{side_by_side}, {seconds:.1f} s"
            if self.restarts.get(runtime):
                line += f"; {self.restarts[runtime]} interpreter(s) lost and replaced"
            yield line
        if plan is not None:
            yield "folders: " + ", ".join(str(f) for f in plan.folders)
            yield "loaded: " + ", ".join(plan.packages)
            yield from plan.notes


def _check_stop(session: pytest.Session) -> None:
    if session.shouldfail or session.shouldstop:
        raise Stop()


def _report(item: pytest.Item, outcome: str, longrepr: Any, when: str) -> pytest.TestReport:
    return pytest.TestReport(
        nodeid=item.nodeid,
        location=item.location,
        keywords=dict.fromkeys(item.keywords, 1),
        outcome=outcome,  # type: ignore[arg-type]
        longrepr=longrepr,
        when=when,  # type: ignore[arg-type]
    )


def passed_report_data(
    message: dict[str, Any], previous: tuple[str, Any, Any] | None
) -> dict[str, Any] | None:
    """What `pytest_report_to_serializable` gives, through JSON, for the report a compact
    message stands for; `previous` holds the location and keywords it may leave out. None if
    the message is not one."""
    nodeid = str(message.get("nodeid"))
    if "keywords" in message:
        previous = (nodeid, message.get("location"), message["keywords"])
    if previous is None or previous[0] != nodeid or message.get("when") not in ("setup", "call", "teardown"):
        return None
    location, keywords = previous[1], previous[2]
    if not isinstance(location, list) or not isinstance(keywords, dict):
        return None
    return {
        "nodeid": nodeid,
        "location": list(location),
        "keywords": dict(keywords),
        "outcome": "passed",
        "longrepr": None,
        "when": message["when"],
        "user_properties": [],
        "sections": [],
        "duration": message.get("duration"),
        "start": message.get("start"),
        "stop": message.get("stop"),
        "$report_type": "TestReport",
    }


def host_only_reason(marker: Any, nodeid: str) -> str:
    """The reason a host_only marker gives; one is required."""
    reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
    if not isinstance(reason, str) or not reason.strip():
        raise pytest.UsageError(f"{nodeid}: host_only needs a reason, as host_only(reason=...)")
    return reason


def forwarded_options(config: pytest.Config) -> Iterator[str]:
    """The host's options in FORWARDED_OPTIONS that are set, as arguments for pytest inside."""
    for flag, kind in FORWARDED_OPTIONS:
        try:
            value = config.getoption(_DESTS.get(flag, flag), None)
        except ValueError:
            continue
        if value is None or value is False or value == []:
            continue
        if kind == "flag":
            yield flag
        elif kind == "list":
            for entry in value:
                yield from (flag, str(entry))
        elif not (flag == "--tb" and value == "auto"):
            yield f"{flag}={value}"
    # A plugin blocked on the host is blocked inside too. Plugins the host loads by name are
    # not: they may not exist inside.
    for name in config.getoption("plugins", None) or []:
        if isinstance(name, str) and name.startswith("no:"):
            yield from ("-p", name)


def skips_mode(config: pytest.Config) -> str:
    """`--pyodide-skips`, else the `pyodide_skips` ini value: `skip` (default) or `fail`."""
    value = config.getoption("pyodide_skips", None) or config.getini("pyodide_skips") or "skip"
    if value not in ("skip", "fail"):
        raise pytest.UsageError(f"pyodide_skips must be 'skip' or 'fail', got {value!r}")
    return str(value)


def timeout_s(config: pytest.Config) -> float:
    value = config.getoption("pyodide_timeout", None) or config.getini("pyodide_timeout")
    try:
        return float(value) if value else DEFAULT_TIMEOUT_S
    except ValueError:
        raise pytest.UsageError(f"pyodide_timeout must be a number of seconds, got {value!r}") from None
