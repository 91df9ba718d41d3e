"""A Chromium page starts from the cached pytest session snapshot, or boots the normal way.

`browser_rt.testing.chrome_page` with `chrome_boot.mjs`: the page restores the Node-built
snapshot and keeps pytest-pyodide's runner working (`run`, `run_async`, `load_package`,
`run_js`, the console capture, `$handleTestResult`); a container the page cannot use (absent, a
changed byte, taken by another Pyodide build) is refused with its reason, and the same page boots
Pyodide the normal way and runs the session's runner. Whole runs restoring the snapshot are in
test_testing_session_snapshot.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_pytest_plugin import BUNDLE, ROOT

from browser_rt.testing import chrome_page, chrome_warm, session_snapshot, upstream
from browser_rt.testing.chrome_page import ChromePage
from browser_rt.testing.chromium import DEFAULT_FLAGS, read_flags
from browser_rt.testing.forward import INNER_SOURCE
from browser_rt.tooling.package_data import data_files

pytestmark = pytest.mark.host_only(reason="starts Chromium and Node itself")
RUNNER = INNER_SOURCE.read_text(encoding="utf-8")
BOOTED = "import sys; 'pytest' in sys.modules and callable(_browser_rt_runner['run'])"


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[session_snapshot.Entry, dict[str, Any]]]:
    """A session snapshot built for the bundle, in a cache of this module's own."""
    node = shutil.which("node")
    if not (BUNDLE / "pyodide.mjs").is_file() or node is None or shutil.which("chromedriver") is None:
        pytest.skip(f"needs the Pyodide bundle at {BUNDLE} (make bundle), node and chromedriver")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        entry = session_snapshot.locate(BUNDLE.resolve(), ("pytest",), node)
        assert entry is not None
        session_snapshot.build(entry)
        info = session_snapshot.usable(entry)
        assert info is not None
        yield entry, info


@pytest.fixture
def snapshots(monkeypatch: pytest.MonkeyPatch) -> session_snapshot.SessionSnapshots:
    """The pages' cache use, fresh for each test (its summary is the test's to read)."""
    fresh = session_snapshot.SessionSnapshots()
    monkeypatch.setattr(chrome_page, "SNAPSHOTS", fresh)
    return fresh


def test_a_page_restores_the_snapshot_and_keeps_pytest_pyodide_s_runner(
    built: tuple[session_snapshot.Entry, dict[str, Any]], snapshots: session_snapshot.SessionSnapshots
) -> None:
    page = ChromePage(BUNDLE.resolve(), {})
    try:
        assert "pytest" in page.preloaded
        imported = "import sys; [name in sys.modules for name in ('pytest', '_pytest.python', 'unittest')]"
        assert page.runner.run(imported) == [True, True, True], "restored without pytest imported"
        chrome_warm.boot_page(page, RUNNER)
        assert page.runner.run(BOOTED) is True
        assert page.runner.run("import js; js.document.location.pathname") == "/module_test.html"
        page.runner.clean_logs()
        page.runner.run("print('said by the restored page')")
        assert "said by the restored page" in page.runner.logs, "the page's console capture"
        assert page.runner.run_async("import asyncio\nawait asyncio.sleep(0)\n6 * 7") == 42
        page.runner.load_package(["tblib"])
        assert page.runner.run("import tblib; tblib.__name__") == "tblib"
        assert page.runner.run_js("return pyodide.loadedPackages.pytest;") == "snapshot"
    finally:
        page.close()
    assert snapshots.summary() == [
        f"chrome: 1 interpreter(s) restored from {session_snapshot.cache_root()}"
    ]


PROFILER_IN_EVERY_RENDERER = (
    "--enable-features=HeapProfilerReporting:renderer-prob-pct/100/renderer-sampling-rate-bytes/10000"
    "/stable-probability/1/nonstable-probability/1"
)
"""Chromium's sampling heap profiler in every renderer, sampling about every 10 kB allocated."""


def test_a_restored_page_runs_python_on_a_jspi_stack_under_chromium_s_heap_profiler(
    built: tuple[session_snapshot.Entry, dict[str, Any]], snapshots: session_snapshot.SessionSnapshots
) -> None:
    """The heap profiler walks each sampled allocation's stack by frame pointers; in a restored
    page running Python on a JSPI stack (`runPythonAsync`, as a session runs), that walk read
    past the stack's end and crashed the tab (Chromium 156: 3 pages in 3 without the plugin's
    flags). The plugin's flags turn the profiler off, and win over a list that turns it on."""
    config = upstream.global_config()
    before = config.get_flags("chrome")
    ours = read_flags(ROOT / "tests" / "chromium-flags.json")
    pytest_pyodide_s = [flag for flag in before if flag not in ours]
    config.set_flags("chrome", [*pytest_pyodide_s, *DEFAULT_FLAGS, PROFILER_IN_EVERY_RENDERER])
    try:
        page = ChromePage(BUNDLE.resolve(), {})
    finally:
        config.set_flags("chrome", before)
    try:
        assert "pytest" in page.preloaded, "the page did not restore the snapshot"
        imported = "import doctest, email.parser, json, unittest, xml.dom.minidom\n'imported'"
        assert page.runner.run_async(imported) == "imported"
    finally:
        page.close()


def another_build(data: bytearray) -> str:
    """Make the container claim another Pyodide build, in its header and in Pyodide's own part."""
    header_length = int.from_bytes(data[8:12], "little")
    header = json.loads(data[12 : 12 + header_length])
    other = "0123456789abcdef" * 4
    assert other != header["build_id"]
    data[12 : 12 + header_length] = data[12 : 12 + header_length].replace(
        header["build_id"].encode(), other.encode()
    )
    start = 12 + header_length + sum(size for _path, size in header["files"])
    for index in range(8):
        word = int(other[8 * index : 8 * index + 8], 16).to_bytes(4, "little")
        data[start + 16 + 4 * index : start + 20 + 4 * index] = word
    return other


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("missing", "missing: session.snapshot: HTTP 404"),
        ("changed_byte", "hash_mismatch: session.snapshot"),
        ("another_build", "build_mismatch"),
    ],
)
def test_a_snapshot_the_page_cannot_use_is_refused_and_the_page_boots_normally(
    built: tuple[session_snapshot.Entry, dict[str, Any]],
    snapshots: session_snapshot.SessionSnapshots,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fault: str,
    reason: str,
) -> None:
    entry, info = built
    data = bytearray(entry.container.read_bytes())
    info = dict(info)
    if fault == "changed_byte":
        data[len(data) // 2] ^= 0xFF  # the description still names the original bytes
    elif fault == "another_build":
        info["build_id"] = another_build(data)
        info["sha256"] = hashlib.sha256(data).hexdigest()  # a whole container, just not this build's
    container = tmp_path / session_snapshot.CONTAINER
    if fault != "missing":
        container.write_bytes(bytes(data))
    module = data_files().js_bridge_dir / "snapshot.mjs"
    offer = {"container": str(container), "info": info, "module": str(module)}
    monkeypatch.setattr(snapshots, "_offer", lambda *_args: offer)

    page = ChromePage(BUNDLE.resolve(), {})
    try:
        assert page.preloaded == ()
        chrome_warm.boot_page(page, RUNNER)
        assert page.runner.run(BOOTED) is True, "the normal boot runs the session's runner"
    finally:
        page.close()
    lines = snapshots.summary()
    refused = f"chrome: the cached snapshot was not used ({reason}"
    assert len(lines) == 1 and lines[0].startswith(refused), lines
