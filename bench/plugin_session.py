"""`python -m bench.plugin_session [--files F] [--tests T] [--rounds R]`: the plugin's overhead.

`pytest --run-in-pyodide --rt=node` over a generated suite of F files of T tests each, beside
its peer measured in the same run: one bare `pytest.main()` inside Pyodide in Node over the same
files (bench/plain_session.mjs). Both wall times include starting Node and Pyodide; the plugin's
also includes host pytest's own start and collection. Prints one JSON object; the goal is a
ratio of at most 1.3.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYODIDE = ROOT / "build" / "bundle" / "pyodide"
PLAIN_SESSION = ROOT / "bench" / "plain_session.mjs"

TEST_FILE = """\
import pytest


@pytest.fixture(scope="module")
def table():
    return {{n: n * n for n in range(100)}}


@pytest.mark.parametrize("n", range({tests}))
def test_square(table, n):
    assert table[n % 100] == (n % 100) ** 2
"""


def write_suite(root: Path, files: int, tests: int) -> None:
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    for number in range(files):
        (root / "tests" / f"test_gen_{number:03}.py").write_text(
            TEST_FILE.format(tests=tests), encoding="utf-8"
        )


def timed(command: list[str], cwd: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    started = time.monotonic()
    # Every generated test passes: a failing exit status means the figure measures a failure.
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True, timeout=1800)
    return time.monotonic() - started


def measure(files: int, tests: int, rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-plugin-session-") as scratch:
        root = Path(scratch) / "suite"
        write_suite(root, files, tests)
        bare, plugin = [], []
        for _ in range(rounds):
            bare.append(
                timed(["node", str(PLAIN_SESSION), str(PYODIDE), str(root), "", str(root / "j.xml")], root)
            )
            plugin.append(
                timed(
                    [
                        sys.executable,
                        "-m",
                        "pytest",
                        "-q",
                        "-p",
                        "no:cacheprovider",
                        "--run-in-pyodide",
                        "--rt=node",
                        f"--dist-dir={PYODIDE}",
                    ],
                    root,
                )
            )
    bare_s, plugin_s = statistics.median(bare), statistics.median(plugin)
    return {
        "tests": files * tests,
        "files": files,
        "rounds": rounds,
        "bare_session_s": round(bare_s, 2),
        "plugin_s": round(plugin_s, 2),
        "ratio": round(plugin_s / bare_s, 2),
        "peer": "one bare pytest.main() in Pyodide in Node over the same files, same run",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--tests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.files, args.tests, args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
