"""browser_rt.testing streams each report while the session runs, in Node and in Chromium alike.

A small project with a test that never returns (a busy loop: the interpreter's only thread never
comes back) is run by pytest in its own process. The hang must be noticed after
`--pyodide-timeout` of silence, fail that one test, and leave a fresh interpreter to run the
rest; with `-x` the first failure must stop the run before the hanging test is waited for, which
only a report that arrives while the session is still running can do.
"""

from __future__ import annotations

import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from test_pytest_plugin import BUNDLE, run_sample, write

from browser_rt.testing.chrome_page import ChromePage
from browser_rt.testing.page_server import SESSION_PREFIX, serve
from browser_rt.testing.sample import outcomes_from_junit

PROJECT = {
    "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "tests/test_stream.py": (
        "def test_first():\n    pass\n\n\n"
        "def test_fails():\n    assert 1 == 2, 'planted'\n\n\n"
        "def test_hangs():\n    while True:\n        pass\n\n\n"
        "def test_after():\n    pass\n"
    ),
}
HANG_TIMEOUT_S = 10
STOP_TIMEOUT_S = 90
"""With -x the run must end well before this; a run that waits for the hanging test cannot."""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in PROJECT.items():
        write(tmp_path / "streaming" / name, text)
    return tmp_path / "streaming"


def inside(runtime: str, timeout: float) -> tuple[str, ...]:
    if not (BUNDLE / "pyodide.mjs").is_file():
        pytest.skip(f"no Pyodide bundle at {BUNDLE}: make bundle")
    if runtime == "chrome" and shutil.which("chromedriver") is None:
        pytest.skip("no chromedriver on PATH (apt-get install chromium-driver)")
    return ("--run-in-pyodide", f"--rt={runtime}", f"--dist-dir={BUNDLE}", f"--pyodide-timeout={timeout:g}")


@pytest.mark.host_only(reason="drives Pyodide in Node and Chromium itself, through pytest in a subprocess")
@pytest.mark.parametrize("runtime", ["node", "chrome"])
def test_a_hanging_test_fails_alone_and_a_fresh_interpreter_runs_the_rest(
    project: Path, runtime: str
) -> None:
    xml = project / "hang.xml"
    run = run_sample(
        project,
        "-k",
        "not fails",
        f"--junitxml={xml}",
        *inside(runtime, HANG_TIMEOUT_S),
        env={"SE_OFFLINE": "true"},
    )
    output = run.stdout + run.stderr
    assert outcomes_from_junit(xml.read_text(encoding="utf-8")) == {
        "test_stream.py::test_first": "passed",
        "test_stream.py::test_hangs": "failed",
        "test_stream.py::test_after": "passed",
    }, output[-6000:]
    assert (
        f"the Pyodide interpreter ({runtime}) hung (silent past --pyodide-timeout={HANG_TIMEOUT_S} s) "
        "while running this test"
    ) in output
    assert "1 interpreter(s) lost and replaced" in output


@pytest.mark.host_only(reason="drives Pyodide in Node and Chromium itself, through pytest in a subprocess")
@pytest.mark.parametrize("runtime", ["node", "chrome"])
def test_x_stops_at_the_first_failure_while_the_session_still_runs(project: Path, runtime: str) -> None:
    started = time.monotonic()
    run = run_sample(project, "-x", "-rA", *inside(runtime, STOP_TIMEOUT_S), env={"SE_OFFLINE": "true"})
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    assert run.returncode == 1, output[-6000:]
    assert "stopping after 1 failures" in output and "planted" in output, output[-6000:]
    assert "1 failed, 1 passed" in run.stdout.splitlines()[-1], output[-3000:]
    assert "test_hangs" not in output and "hung" not in output
    assert elapsed < STOP_TIMEOUT_S, f"the run waited for the hanging test: {elapsed:.0f} s"


# -- the browser and file server behind a Chromium session -----------------------------------------


@pytest.mark.host_only(reason="starts Chromium itself")
def test_pages_run_side_by_side_and_a_busy_page_is_closed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sessions' pages in two threads share nothing; closing a page whose thread is stuck
    makes a call still waiting on it fail within seconds (WebDriver alone would wait minutes)."""
    inside("chrome", HANG_TIMEOUT_S)
    monkeypatch.setenv("SE_OFFLINE", "true")
    pages: dict[int, ChromePage] = {}
    answers: dict[int, object] = {}

    def open_page(number: int) -> None:
        pages[number] = ChromePage(BUNDLE, {})
        answers[number] = pages[number].runner.run(f"import sys; f'{number} {{sys.platform}}'")

    try:
        threads = [threading.Thread(target=open_page, args=(number,)) for number in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert answers == {0: "0 emscripten", 1: "1 emscripten"}
        assert pages[0].base_url != pages[1].base_url
        pages[0].run_js("setTimeout(() => pyodide.runPython('while True: pass'), 200); return true;", 10)
        waiting: dict[str, object] = {}

        def wait_on_busy_page() -> None:
            try:
                waiting["answer"] = pages[0].run_js("return 'answered';", 10)
            except Exception as exc:
                waiting["error"] = exc

        time.sleep(1)  # the page's thread is in the loop by now
        caller = threading.Thread(target=wait_on_busy_page, daemon=True)
        caller.start()
        caller.join(timeout=3)
        assert caller.is_alive(), f"a stuck page answered: {waiting}"
        closed = time.monotonic()
        pages[0].close_tab()
        caller.join(timeout=30)
        assert not caller.is_alive() and "error" in waiting, waiting
        assert time.monotonic() - closed < 15
        assert pages[1].runner.run("1 + 1") == 2, "the other page is untouched"
    finally:
        for page in pages.values():
            page.close()


# -- the file server behind a Chromium session ---------------------------------------------------


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


@pytest.mark.host_only(reason="serves on a loopback port from a thread; Pyodide has neither")
def test_the_page_server_serves_templates_the_bundle_and_only_the_named_session_files(tmp_path: Path) -> None:
    dist = write(tmp_path / "dist" / "pyodide.mjs", "export {}").parent
    templates = write(tmp_path / "templates" / "module_test.html", "<html>").parent
    archive = write(tmp_path / "scratch" / "project.zip", "zip")
    write(tmp_path / "scratch" / "other.txt", "not named")
    with serve(dist, templates, {"project.zip": archive}) as base:
        assert base.startswith("http://127.0.0.1:")
        assert fetch(base + "module_test.html") == (200, b"<html>")
        assert fetch(base + "pyodide.mjs") == (200, b"export {}")
        session = base + SESSION_PREFIX.lstrip("/")
        assert fetch(session + "project.zip") == (200, b"zip")
        assert fetch(session + "other.txt")[0] == 404
        assert fetch(session + "..%2Fother.txt")[0] == 404
        assert fetch(base + "../scratch/other.txt")[0] == 404
