"""Chromium pages booted while the host collects: used by a session of the same bundle only, and
never left running.

The plugin starts Chromium and Pyodide at `pytest_configure` (`browser_rt.testing.chrome_warm`).
A page booted for another Pyodide folder or runner must not run a session; a page no session
took, or one still booting when the run is interrupted, must be stopped with its chromedriver.
Each browser started here inherits a marker in its environment, so every process of it
(chromedriver, the browser and its helpers) is found in /proc whoever its parent is now.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from test_pytest_plugin import BUNDLE, write
from test_pytest_plugin_streaming import inside

from browser_rt.testing import chrome_warm
from browser_rt.testing.forward import INNER_SOURCE

MARK = "BROWSER_RT_TEST_BROWSER_MARK"
RUNNER = INNER_SOURCE.read_text(encoding="utf-8")
GONE_WITHIN_S = 15.0
PROJECT = {
    "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "tests/test_one.py": "def test_one():\n    assert sum(range(4)) == 6\n",
}


def processes_marked(mark: str) -> list[str]:
    """`pid name` of every live process whose environment holds MARK=mark."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(f"{entry.name} {(entry / 'comm').read_text().strip()}")
        except OSError:
            continue
    return found


def wait_until_gone(mark: str) -> list[str]:
    deadline = time.monotonic() + GONE_WITHIN_S
    while (left := processes_marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.fixture
def mark(monkeypatch: pytest.MonkeyPatch) -> str:
    inside("chrome", 60)
    if not Path("/proc/self/environ").is_file():
        pytest.skip("finds browser processes through /proc")
    value = uuid.uuid4().hex
    monkeypatch.setenv(MARK, value)
    monkeypatch.setenv("SE_OFFLINE", "true")
    return value


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in PROJECT.items():
        write(tmp_path / "warm" / name, text)
    return tmp_path / "warm"


@pytest.mark.host_only(reason="starts Chromium itself")
def test_a_warm_page_runs_only_sessions_of_its_own_bundle_and_runner(mark: str, tmp_path: Path) -> None:
    other_bundle = tmp_path / "other-pyodide"
    other_bundle.symlink_to(BUNDLE.resolve(), target_is_directory=True)
    bundle = str(BUNDLE.resolve())
    try:
        chrome_warm.prewarm(bundle, RUNNER, 1)
        assert chrome_warm.take(str(other_bundle), RUNNER) is None
        assert chrome_warm.take(bundle, RUNNER) is None, "a page of another bundle was kept"
        assert wait_until_gone(mark) == [], "the page booted for another bundle still runs"

        chrome_warm.prewarm(bundle, RUNNER, 1)
        assert chrome_warm.take(bundle, RUNNER + "\n# another runner\n") is None
        assert wait_until_gone(mark) == []

        chrome_warm.prewarm(bundle, RUNNER, 1)
        page = chrome_warm.take(bundle, RUNNER)
        assert page is not None
        try:
            booted = page.runner.run(
                "import sys; ['pytest' in sys.modules, callable(_browser_rt_runner['run']), "
                "[p for p in sys.path if p.startswith('/tmp')]]"
            )
            assert booted == [True, True, []], "booted without pytest and the runner, or with a project"
        finally:
            page.close()
        assert chrome_warm.take(bundle, RUNNER) is None, "one warm page was handed out twice"
    finally:
        chrome_warm.discard()
    assert wait_until_gone(mark) == []


@pytest.mark.host_only(reason="starts Chromium itself")
def test_pages_no_session_took_are_stopped_at_the_end(mark: str) -> None:
    chrome_warm.prewarm(str(BUNDLE.resolve()), RUNNER, 2)
    chrome_warm.discard()
    assert wait_until_gone(mark) == []


def start_pytest(
    project: Path, log: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """pytest in `project`, its output in `log`: a leaked browser holding a pipe cannot stall us."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    environment.update(env or {}, PYTHONUNBUFFERED="1")
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
            cwd=project,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def finish(process: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return log.read_text(encoding="utf-8", errors="replace")


@pytest.mark.host_only(reason="starts Chromium through pytest in a subprocess")
def test_a_run_warms_a_page_per_lane_uses_one_and_leaves_no_browser(
    mark: str, project: Path, tmp_path: Path
) -> None:
    log = tmp_path / "pytest.log"
    output = finish(start_pytest(project, log, "-n", "2", *inside("chrome", 60)), log, 300)
    assert "1 passed" in output.splitlines()[-1], output[-4000:]
    assert wait_until_gone(mark) == [], output[-3000:]


SLOW_COLLECTION = """
import os, time
from pathlib import Path


def pytest_collection_modifyitems(items):
    Path(os.environ["BROWSER_RT_TEST_FLAG"]).write_text("collecting")
    time.sleep(120)
"""


@pytest.mark.host_only(reason="starts Chromium through pytest in a subprocess and interrupts it")
@pytest.mark.parametrize("moment", ["booting", "running"])
def test_ctrl_c_leaves_no_browser(mark: str, project: Path, tmp_path: Path, moment: str) -> None:
    """Ctrl-C while the pages boot (the host still collecting), or while a test runs in one."""
    flag, log = tmp_path / "flag", tmp_path / "pytest.log"
    if moment == "booting":
        write(project / "conftest.py", SLOW_COLLECTION)
    else:
        write(project / "tests" / "test_one.py", "import time\n\n\ndef test_one():\n    time.sleep(120)\n")
    process = start_pytest(
        project, log, "-v", "-n", "2", *inside("chrome", 300), env={"BROWSER_RT_TEST_FLAG": str(flag)}
    )
    deadline = time.monotonic() + 120

    def ready() -> bool:
        if moment == "booting":
            return flag.exists() and any("driver" in p for p in processes_marked(mark))
        # -v writes the test's name when it starts, the rest of its line when it ends.
        return "test_one.py::test_one" in log.read_text(encoding="utf-8", errors="replace")

    while not ready() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    if moment == "running":
        time.sleep(2)  # the test is in its sleep
    alive = processes_marked(mark)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    output = finish(process, log, 120)
    assert alive, f"no browser was started: nothing to interrupt\n{output[-3000:]}"
    assert "KeyboardInterrupt" in output, output[-3000:]
    assert wait_until_gone(mark) == [], output[-3000:]


class _ArchiveConfig:
    """The two things `archive` reads from pytest's config."""

    def __init__(self, dist_dir: Path) -> None:
        self.option = type("Option", (), {"dist_dir": str(dist_dir)})()

    def getini(self, name: str) -> list[str]:
        assert name == "norecursedirs"
        return []


@pytest.mark.host_only(reason="the archive is made on the host, by the Chromium session (Selenium)")
def test_the_project_archive_takes_files_dated_before_1980(tmp_path: Path) -> None:
    """An sdist's PKG-INFO is often dated 1970 (reproducible builds); zip cannot store that date."""
    import zipfile

    from browser_rt.testing.chrome_session import archive

    old = write(tmp_path / "project" / "PKG-INFO", "Metadata-Version: 2.1\n")
    os.utime(old, (0, 0))
    out = tmp_path / "project.zip"
    archive(out, [tmp_path / "project"], _ArchiveConfig(tmp_path / "dist"))  # type: ignore[arg-type]
    with zipfile.ZipFile(out) as made:
        assert made.read(old.as_posix().lstrip("/")) == b"Metadata-Version: 2.1\n"

