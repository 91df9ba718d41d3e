"""Forward each test to pytest inside Pyodide and raise its real outcome on the host.

pytest-pyodide keeps one Pyodide per runtime for the whole session. Before the first test in
each, the `Forwarder` copies the project into it (one archive over one HTTP request), installs
the wheels, loads the bundle packages the project imports and checks that the project's own
package can be found. Each test is then one `pytest.main([nodeid])` run from the copy's root;
its JUnit report is read strictly (`browser_rt.testing.verdict`). A test that crashes or hangs
the interpreter fails, and the runtime is replaced, so the tests after it still run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

from browser_rt.testing import EXPECTED_RUNTIME_VARIABLE, snippets, upstream
from browser_rt.testing.fixes import enabled
from browser_rt.testing.project import PlanInputs, ProjectError, ProjectPlan, make_plan, unimportable_message
from browser_rt.testing.verdict import Verdict, read_verdict

NODE_SHELL_PROMPT_COMMAND = '[ -n "$BROWSER_RT_NODE_STARTED" ] && exit; BROWSER_RT_NODE_STARTED=1'
HOST_EVALUATED_MARKS = frozenset({"skip", "skipif", "xfail"})
DEFAULT_TIMEOUT_S = 120.0
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


def is_forwarded(item: pytest.Item) -> bool:
    """A test pytest-pyodide runs inside Pyodide (not one of its own `runtime`-fixture tests)."""
    return hasattr(item, "pyodide_runtime") and "runtime" not in getattr(item, "fixturenames", ())


@dataclass
class RuntimeState:
    """One runtime's Pyodide as prepared, and what preparing it did."""

    runner: Any
    description: str


@dataclass
class Forwarder:
    """The plugin's state for one `pytest --run-in-pyodide` session."""

    config: pytest.Config
    test_paths: set[Path] = field(default_factory=set)
    states: dict[str, RuntimeState] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    ran: dict[str, int] = field(default_factory=dict)
    """Tests each runtime's current interpreter has run, so a crash can tell a fresh one apart."""
    rerun_after_crash: dict[str, list[str]] = field(default_factory=dict)
    failure: str | None = None
    _plan: ProjectPlan | None = None
    _served: Path | None = None

    # -- collection ----------------------------------------------------------------------------

    def adopt(self, items: list[pytest.Item]) -> None:
        """Repair pytest-pyodide's copies of the forwarded items (after it made them)."""
        for item in items:
            if not is_forwarded(item):
                continue
            self.test_paths.add(Path(item.path))
            ours: list[Any] = []
            marker = item.get_closest_marker("host_only")
            if marker is not None:
                skip = pytest.mark.skip(reason=f"host only: {host_only_reason(marker, item.nodeid)}")
                item.add_marker(skip)
                ours.append(skip.mark)
            if enabled("fixtures"):
                # The copy shares its original's fixture request, so fixtures register their
                # finalizers on the wrong node and error; and they would run on the host,
                # where the test does not. Give it a request of its own and leave the
                # fixtures to pytest inside Pyodide.
                if isinstance(item, pytest.Function):
                    item._initrequest()
                item.setup = _no_host_setup  # type: ignore[method-assign]
            if enabled("marks"):
                _evaluate_marks_inside(item, keep=ours)

    # -- setup: one prepared Pyodide per runtime ------------------------------------------------

    def start(self, item: pytest.Item) -> None:
        """Start this runtime's Pyodide, unless the test is host_only (its skip comes next).

        Called before pytest-pyodide's own setup, which would otherwise start it without the
        Node shell guard of `session_for`.
        """
        if item.get_closest_marker("host_only") is None and self.failure is None:
            session_for(item, str(item.pyodide_runtime))  # type: ignore[attr-defined]

    def setup(self, item: pytest.Item) -> None:
        """Make sure this runtime's Pyodide is prepared (host_only tests never get here: their
        skip mark is evaluated first)."""
        if self.failure is not None:
            pytest.fail(self.failure, pytrace=False)
        runtime = str(item.pyodide_runtime)  # type: ignore[attr-defined]
        runner = session_for(item, runtime)
        state = self.states.get(runtime)
        if state is not None and state.runner is runner:
            return
        try:
            self.states[runtime] = RuntimeState(runner, self._prepare(runtime, runner))
        except ProjectError as exc:
            self.failure = f"browser_rt.testing: {exc}"
        if self.failure is not None:  # failed here, outside the except: no chained traceback
            pytest.fail(self.failure, pytrace=False)

    def plan(self) -> ProjectPlan:
        if self._plan is None:
            config = self.config
            root = config.rootpath
            inputs = PlanInputs(
                root=root,
                test_paths=tuple(sorted(self.test_paths)),
                inifile=config.inipath,
                pythonpath=tuple(Path(p) for p in config.getini("pythonpath")),
                norecursedirs=tuple(config.getini("norecursedirs")),
                dist_dirs=tuple(d for d in (Path.cwd() / "dist", root / "dist") if d.is_dir()),
                pyodide_dir=Path(config.option.dist_dir),
                cache_dir=root / ".browser-rt" / "wheels",
                build_project=enabled("project"),
            )
            self._plan = make_plan(inputs, load_imports=enabled("imports"))
        return self._plan

    def _prepare(self, runtime: str, runner: Any) -> str:
        plan = self.plan()
        timeout = timeout_s(self.config)
        runner.set_script_timeout(timeout)
        if hasattr(runner, "p"):  # Node: pexpect's own read timeout bounds each call too
            runner.p.timeout = timeout
        runner.run(snippets.set_runtime(EXPECTED_RUNTIME_VARIABLE, runtime))
        done: list[str] = []
        if enabled("project"):
            served = self._archive(plan)
            with upstream.spawn_web_server(served) as (host, port, _log):
                base = f"http://{host}:{port}/"
                runner.run_async(snippets.extract_archive(base + "project.zip", plan.sys_path))
                done.append(f"copied {len(plan.files)} files ({plan.copied_bytes // 1024} KiB)")
                if plan.wheels:
                    try:
                        runner.run_async(snippets.install_wheels([base + w.name for w in plan.wheels]))
                    except Exception as exc:
                        raise ProjectError(
                            f"cannot install {', '.join(w.name for w in plan.wheels)} inside Pyodide "
                            f"(dependencies must be in {self.config.option.dist_dir}/pyodide-lock.json): "
                            f"{_python_error(exc)}"
                        ) from None
                    done.append("installed " + ", ".join(w.name for w in plan.wheels))
        try:
            runner.load_package(plan.packages)
        except RuntimeError as exc:
            raise ProjectError(str(exc)) from None
        done.append("loaded " + ", ".join(plan.packages))
        if "hypothesis" in plan.packages:
            runner.run(snippets.quiet_hypothesis())
        if plan.sys_path and enabled("project"):
            done.append("on sys.path: " + ", ".join(plan.sys_path))
        if plan.import_names and enabled("project"):
            missing = json.loads(runner.run(snippets.missing_imports(plan.import_names)))
            if missing:
                raise ProjectError(unimportable_message(plan, missing))
            done.append("importable: " + ", ".join(plan.import_names))
        return "; ".join(done)

    def _archive(self, plan: ProjectPlan) -> Path:
        """One zip of every planned file plus the wheels, in a folder of their own to serve."""
        if self._served is None:
            served = Path(tempfile.mkdtemp(prefix="browser-rt-forward-"))
            with zipfile.ZipFile(served / "project.zip", "w", zipfile.ZIP_DEFLATED) as archive:
                for name, path in sorted(plan.files.items()):
                    archive.write(path, name)
            for wheel in plan.wheels:
                shutil.copyfile(wheel, served / wheel.name)
            self._served = served
        return self._served

    # -- call: one forwarded test ------------------------------------------------------------

    def runtest(self, item: pytest.Item) -> None:
        """Run `item` inside its runtime's Pyodide and raise the outcome found there.

        When an interpreter that had already run other tests dies, the test is run once more in
        a fresh one: a crash that only a long-lived interpreter shows is named in the summary,
        and a test that crashes a fresh interpreter too fails.
        """
        runtime = str(item.pyodide_runtime)  # type: ignore[attr-defined]
        rundir = snippets.INSIDE_ROOT if enabled("rundir") else None
        args = self.inner_args(item.nodeid) if rundir else upstream_args(item.nodeid)
        code = snippets.run_pytest(args, rundir, snippets.JUNIT_PATH)
        while True:
            runner = session_for(item, runtime)
            fresh = self.ran.get(runtime, 0) == 0
            self.ran[runtime] = self.ran.get(runtime, 0) + 1
            crash: Exception | None = None
            try:
                runner.clean_logs()  # so a crash report quotes this test's console only
                raw = runner.run_js(snippets.watched(code)) if enabled("crash") else runner.run_async(code)
                exit_code, junit_xml, output = json.loads(raw)
            except Exception as exc:
                crash = exc  # failed outside this block, so the report holds no chained traceback
            if crash is None:
                break
            if fresh or not enabled("crash"):
                self._crashed(item, runtime, runner, crash)
            self._replace_session(runtime)
            self.rerun_after_crash.setdefault(runtime, []).append(item.nodeid)
            self.setup(item)
        verdict = read_verdict(item.nodeid, exit_code, junit_xml, output, strict=enabled("report"))
        raise_outcome(item, runtime, verdict, skips_fail=skips_mode(self.config) == "fail")

    def inner_args(self, nodeid: str) -> list[str]:
        args = [
            nodeid,
            "--rootdir=.",
            "--color=no",
            "-p",
            "no:cacheprovider",
            f"--junitxml={snippets.JUNIT_PATH}",
            "-o",
            "junit_logging=out-err",
        ]
        plan = self._plan
        if plan is not None and plan.inifile is not None:
            args += ["-c", plan.inifile]
        return args + list(forwarded_options(self.config))

    def _crashed(self, item: pytest.Item, runtime: str, runner: Any, exc: BaseException) -> NoReturn:
        """The interpreter died or hung: fail this test, and replace the runtime if we may."""
        logs = _logs(runner)
        restarted = ""
        if enabled("crash"):
            self._replace_session(runtime)
            restarted = " A fresh Pyodide runs the next test."
        pytest.fail(
            f"{item.nodeid}: the Pyodide interpreter ({runtime}) crashed or hung while running this "
            f"test, so it has no result.{restarted}\n{type(exc).__module__}.{type(exc).__name__}: "
            f"{_first_lines(exc, 30)}" + (f"\n--- console ---\n{logs}" if logs else ""),
            pytrace=False,
        )

    def _replace_session(self, runtime: str) -> None:
        """Stop a dead (or hung) interpreter; the next test starts and prepares a fresh one."""
        discard_session(runtime)
        self.states.pop(runtime, None)
        self.ran[runtime] = 0
        self.restarts[runtime] = self.restarts.get(runtime, 0) + 1

    # -- end ---------------------------------------------------------------------------------

    def summary(self) -> Iterator[str]:
        for runtime, state in sorted(self.states.items()):
            yield f"{runtime}: {state.description}"
        for runtime, count in sorted(self.restarts.items()):
            yield f"{runtime}: restarted {count} time(s) after a crash"
        for runtime, nodeids in sorted(self.rerun_after_crash.items()):
            yield (
                f"{runtime}: the interpreter died during {', '.join(nodeids)} after earlier tests; "
                "each was run again in a fresh Pyodide and its result there is the one reported"
            )
        if self._plan is not None:
            yield from self._plan.notes

    def close(self) -> None:
        if self._served is not None:
            shutil.rmtree(self._served, ignore_errors=True)
            self._served = None


def _no_host_setup() -> None:
    """Forwarded tests set up their fixtures inside Pyodide, not on the host."""


def _evaluate_marks_inside(item: pytest.Item, keep: list[Any]) -> None:
    """Hide skip, skipif and xfail from the host's evaluation: pytest inside Pyodide evaluates
    them where the test runs (`skipif(sys.platform != "emscripten")` is true on the host).
    The marks in `keep` (host_only's skip) stay for the host."""
    original = type(item).iter_markers_with_node.__get__(item)

    def iter_markers_with_node(name: str | None = None) -> Iterator[tuple[Any, Any]]:
        for node, mark in original(name):
            if mark.name not in HOST_EVALUATED_MARKS or any(mark is kept for kept in keep):
                yield node, mark

    item.iter_markers_with_node = iter_markers_with_node  # type: ignore[method-assign]


def host_only_reason(marker: Any, nodeid: str) -> str:
    """The reason a host_only marker gives; one is required."""
    reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
    if not isinstance(reason, str) or not reason.strip():
        raise pytest.UsageError(f"{nodeid}: host_only needs a reason, as host_only(reason=...)")
    return reason


def raise_outcome(item: pytest.Item, runtime: str, verdict: Verdict, *, skips_fail: bool) -> None:
    """Show the inner captured output, then pass, fail, skip or xfail as it happened inside."""
    if verdict.stdout:
        print(verdict.stdout)
    if verdict.stderr:
        print(verdict.stderr, file=sys.stderr)
    where = f"inside Pyodide ({runtime})"
    if verdict.outcome == "failed":
        pytest.fail(f"failed {where}:\n{verdict.message}", pytrace=False)
    if verdict.outcome == "skipped":
        if skips_fail:
            pytest.fail(
                f"{item.nodeid}: skipped {where}, and --pyodide-skips=fail makes that a failure "
                f"(mark a test that cannot run there host_only(reason=...)): {verdict.message}",
                pytrace=False,
            )
        # Reported at the test's own line, not this one (as a skip mark is).
        raise pytest.skip.Exception(f"{verdict.message} ({where})", _use_item_location=True)
    if verdict.outcome == "xfailed":
        pytest.xfail(f"{verdict.message} ({where})")


def upstream_args(nodeid: str) -> list[str]:
    """pytest-pyodide's own arguments, run from Pyodide's home (the self-test's `rundir` fault)."""
    return [nodeid, "--color=no", f"--junitxml={snippets.JUNIT_PATH}", "-o", "junit_logging=out-err"]


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
    # A plugin blocked on the host is blocked inside too (`-p no:unraisableexception` also saves
    # the five gc.collect() passes it makes after every session, about half of a small test's
    # time in Pyodide). Plugins the host loads by name are not: they may not exist inside.
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


def session_for(item: pytest.Item, runtime: str) -> Any:
    """pytest-pyodide's Pyodide for `runtime` (started on first use, then shared)."""

    class Request:
        config = item.config
        node = item

    if runtime != "node" or runtime in upstream.sessions():
        return upstream.get_browser_pyodide(Request, runtime)
    # pytest-pyodide types `node driver.js` into an interactive bash and waits for its output. When
    # node dies (os._exit, a fatal error) bash just prints a prompt, and the host waits out the
    # whole timeout. This PROMPT_COMMAND lets the first prompt pass and exits bash at the second,
    # so a dead node is an immediate EOF.
    saved = os.environ.get("PROMPT_COMMAND")
    os.environ["PROMPT_COMMAND"] = NODE_SHELL_PROMPT_COMMAND
    try:
        return upstream.get_browser_pyodide(Request, runtime)
    finally:
        if saved is None:
            os.environ.pop("PROMPT_COMMAND", None)
        else:
            os.environ["PROMPT_COMMAND"] = saved


def discard_session(runtime: str) -> None:
    """Stop `runtime`'s Pyodide (and its file server) so the next test starts a fresh one."""
    instance = upstream.sessions().pop(runtime, None)
    if instance is None:
        return
    runner = getattr(instance.selenium, "value", None)
    process = getattr(runner, "p", None)
    if process is not None:  # Node: a hung interpreter never reads the EOF quit() sends
        with contextlib.suppress(Exception):
            process.close(force=True)
    for unwrapper in (instance.selenium, instance.server):
        with contextlib.suppress(Exception):
            unwrapper.close()


def _logs(runner: Any) -> str:
    try:
        return "\n".join(str(runner.logs).splitlines()[-20:])
    except Exception:
        return ""


def _python_error(exc: BaseException) -> str:
    """The exception line of a Python traceback carried in a JavaScript error (micropip's)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)]
    return (errors or lines or [repr(exc)])[-1]


def _first_lines(exc: BaseException, count: int = 12) -> str:
    lines = str(exc).strip().splitlines()
    return "\n".join(lines[:count]) + ("\n..." if len(lines) > count else "")
