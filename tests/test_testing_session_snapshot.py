"""Node's and Chromium's test sessions start from a cached snapshot of an interpreter with pytest
imported.

`browser_rt.testing.session_snapshot`: the cache key changes with any input (a stale snapshot is
never found), an incomplete or inconsistent entry is not offered, and in a real run, in Node and
in a Chromium page, a corrupt container is refused by the interpreter (it boots the normal way,
the run passes) and built again for the next run, which restores it; `--pyodide-no-snapshot`
boots in full. The summary says how each interpreter started.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_pytest_plugin import BUNDLE, run_sample, write

from browser_rt.testing import session_snapshot
from browser_rt.testing.sample import outcomes_from_junit
from browser_rt.tooling.hashing import sha256_file

pytestmark = pytest.mark.host_only(reason="runs Pyodide in Node and Chromium from the host")

PROJECT = {
    "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "tests/test_small.py": (
        "import sys\n\n\n"
        "def test_inside():\n    assert sys.platform == 'emscripten'\n\n\n"
        "def test_fails():\n    assert 1 == 2, 'planted'\n"
    ),
}
EXPECTED = {"test_small.py::test_inside": "passed", "test_small.py::test_fails": "failed"}


@pytest.fixture
def bundle() -> Path:
    if not (BUNDLE / "pyodide.mjs").is_file() or shutil.which("node") is None:
        pytest.skip(f"no Pyodide bundle at {BUNDLE} (make bundle) or no node")
    return BUNDLE.resolve()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "browser-rt" / "node-sessions"


def copy_of(bundle: Path, into: Path) -> Path:
    """The bundle's Pyodide as links, so that one file can be replaced."""
    into.mkdir()
    for item in bundle.iterdir():
        (into / item.name).symlink_to(item)
    return into


def entry_for(pyodide: Path) -> session_snapshot.Entry:
    node = shutil.which("node")
    assert node is not None
    entry = session_snapshot.locate(pyodide, ("pytest",), node)
    assert entry is not None
    return entry


def test_the_key_changes_with_a_wheel_and_another_pyodide_gets_none(
    bundle: Path, cache: Path, tmp_path: Path
) -> None:
    same = copy_of(bundle, tmp_path / "same")
    changed = copy_of(bundle, tmp_path / "changed")
    pluggy = next(changed.glob("pluggy-*.whl"))
    pluggy.unlink()
    pluggy.write_bytes((bundle / pluggy.name).read_bytes() + b"\0")
    assert entry_for(same).folder == entry_for(bundle).folder, "the same inputs find the same entry"
    assert entry_for(changed).folder != entry_for(bundle).folder, "a changed wheel is another key"
    assert entry_for(bundle).folder.parent == cache
    other = copy_of(bundle, tmp_path / "other")
    (other / "package.json").unlink()
    (other / "package.json").write_text(json.dumps({"version": "0.0.1"}), encoding="utf-8")
    node = shutil.which("node")
    assert node is not None
    assert session_snapshot.locate(other, ("pytest",), node) is None, "only the pinned Pyodide"


def test_an_unfinished_or_inconsistent_entry_is_not_offered(bundle: Path, cache: Path) -> None:
    entry = entry_for(bundle)
    entry.folder.mkdir(parents=True)
    entry.container.write_bytes(b"x" * 100)
    assert session_snapshot.usable(entry) is None, "no description: an unfinished build"
    info = {"file": session_snapshot.CONTAINER, "bytes": 100, "packages": sorted(entry.packages)}
    entry.info.write_text(json.dumps(info), encoding="utf-8")
    assert session_snapshot.usable(entry) == info
    entry.info.write_text(json.dumps({**info, "bytes": 99}), encoding="utf-8")
    assert session_snapshot.usable(entry) is None, "a container of another size"
    entry.info.write_text(json.dumps({**info, "packages": ["pytest"]}), encoding="utf-8")
    assert session_snapshot.usable(entry) is None, "other packages"
    entry.info.write_text("{not json", encoding="utf-8")
    assert session_snapshot.usable(entry) is None, "an unreadable description"


def run(project: Path, bundle: Path, cache_home: Path, runtime: str, *args: str) -> str:
    xml = project / "out.xml"
    xml.unlink(missing_ok=True)
    done = run_sample(
        project,
        "--run-in-pyodide",
        f"--rt={runtime}",
        f"--dist-dir={bundle}",
        f"--junitxml={xml}",
        *args,
        env={"XDG_CACHE_HOME": str(cache_home), "SE_OFFLINE": "true"},
    )
    output = done.stdout + done.stderr
    assert outcomes_from_junit(xml.read_text(encoding="utf-8")) == EXPECTED, output[-4000:]
    return output


@pytest.mark.parametrize("runtime", ["node", "chrome"])
def test_a_run_builds_the_next_restores_and_a_corrupt_one_is_refused_and_rebuilt(
    bundle: Path, cache: Path, tmp_path: Path, runtime: str
) -> None:
    if runtime == "chrome" and shutil.which("chromedriver") is None:
        pytest.skip("no chromedriver on PATH (apt-get install chromium-driver)")
    project = tmp_path / "project"
    for name, text in PROJECT.items():
        write(project / name, text)
    stale = cache / ("0" * 32)
    write(stale / session_snapshot.CONTAINER, "from an older Pyodide")
    cache_home = cache.parents[1]

    first = run(project, bundle, cache_home, runtime)
    assert "restored from" not in first, "nothing to restore yet: a normal boot"
    assert f"{runtime}: 1 interpreter(s) booted in full (no cached snapshot yet" in first, first[-3000:]
    entry = entry_for(bundle)
    info = session_snapshot.usable(entry)
    assert info is not None, f"the first run built the snapshot:\n{first[-3000:]}"
    assert info["sha256"] == sha256_file(entry.container)
    assert not stale.exists(), "another key's snapshot is removed once a new one is written"

    second = run(project, bundle, cache_home, runtime)
    assert f"{runtime}: 1 interpreter(s) restored from {cache}" in second, second[-3000:]
    assert "booted in full" not in second, second[-3000:]

    data = bytearray(entry.container.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size: only the sha256 can tell
    entry.container.write_bytes(bytes(data))
    third = run(project, bundle, cache_home, runtime)
    assert f"{runtime}: the cached snapshot was not used (hash_mismatch" in third, third[-3000:]
    assert "restored from" not in third
    rebuilt = session_snapshot.usable(entry)
    assert rebuilt is not None and rebuilt["sha256"] == sha256_file(entry.container) == info["sha256"], (
        "the refused snapshot was built again (the same inputs give the same bytes)"
    )

    fourth = run(project, bundle, cache_home, runtime)
    assert f"{runtime}: 1 interpreter(s) restored from" in fourth, fourth[-3000:]

    fifth = run(project, bundle, cache_home, runtime, "--pyodide-no-snapshot")
    assert f"{runtime}: 1 interpreter(s) booted in full (--pyodide-no-snapshot)" in fifth, fifth[-3000:]
    assert "restored from" not in fifth, fifth[-3000:]
