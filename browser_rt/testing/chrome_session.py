"""One Pyodide in headless Chromium (pytest-pyodide's) running one pytest session.

A page cannot mount the host's disk, so the spec's folders are copied whole (pruned as pytest
prunes its own walk: `norecursedirs`, caches, virtualenvs) into the interpreter's filesystem at
the same absolute paths, from one archive over one request to a loopback file server. The
session's messages are kept in a JavaScript array while pytest runs, because the page's only
thread is busy until it ends; they are read afterwards, also after Pyodide died, so a crash
still keeps every report made before it. The hang limit covers the whole session here:
`--pyodide-timeout` times the number of tests.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser_rt.testing import snippets, upstream
from browser_rt.testing.chromium import LOG_VARIABLE, crash_evidence
from browser_rt.testing.node_session import LINE_CHARS, SessionEnded
from browser_rt.testing.project import ProjectError

MAX_COPY_BYTES = 64 * 1024 * 1024
"""More than this is almost always a virtualenv or build output under a copied folder."""
ALWAYS_PRUNED = ("__pycache__", ".browser-rt", ".git", ".hypothesis", ".pytest_cache", "node_modules")


class ChromeSession:
    """Runs the spec in a fresh Chromium Pyodide at once; `next_message` then replays it."""

    def __init__(self, spec: dict[str, Any], item: pytest.Item) -> None:
        self._messages: list[dict[str, Any]] = []
        self._ended = ""
        self._console = ""
        discard_session()
        runner = _runner(item)
        with tempfile.TemporaryDirectory(prefix="browser-rt-chrome-session-") as served:
            archive(Path(served) / "project.zip", [Path(f) for f in spec["folders"]], item.config)
            for wheel in spec["wheels"]:
                shutil.copyfile(wheel, Path(served) / Path(wheel).name)
            with upstream.spawn_web_server(served) as (host, port, _log):
                base = f"http://{host}:{port}/"
                try:
                    self._run(runner, spec, base, item)
                except Exception as exc:
                    self._ended = f"{type(exc).__name__}: {_first_lines(exc)}"
                self._collect(runner)
        discard_session()

    def _run(self, runner: Any, spec: dict[str, Any], base: str, item: pytest.Item) -> None:
        timeout = float(item.config.getoption("pyodide_timeout", None) or 120)
        runner.set_script_timeout(
            timeout * max(1, sum(len(b["nodeids"]) for b in spec["session"]["batches"]))
        )
        runner.run("import js\njs.globalThis.browserRtLines = js.Array.new()\n")
        runner.run_async(snippets.extract_archive(base + "project.zip"))
        runner.load_package(spec["packages"])
        wheels = [base + Path(wheel).name for wheel in spec["wheels"]]
        runner.run_async(snippets.define_runner(spec["runner"], json.dumps(spec["session"]), wheels))
        missing = json.loads(runner.run(snippets.missing_imports(spec["importNames"])))
        runner.run(
            f"js.globalThis.browserRtLines.push({json.dumps({'type': 'prepared', 'missing': missing})!r})"
        )
        if not missing:
            runner.run_js(snippets.watched(snippets.run_session()))

    def _collect(self, runner: Any) -> None:
        """Every line the session pushed (readable while the page lives, even if Pyodide died)."""
        try:
            lines = runner.run_js("return Array.from(globalThis.browserRtLines || [])")
        except Exception as exc:
            lines = []
            self._ended = self._ended or f"{type(exc).__name__}: {_first_lines(exc)}"
        for line in lines or []:
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict) and isinstance(message.get("type"), str):
                    self._messages.append(message)
        with contextlib.suppress(Exception):
            self._console = "\n".join(line[:LINE_CHARS] for line in str(runner.logs).splitlines()[-60:])
        if not any(m["type"] == "finished" for m in self._messages) and not self._ended:
            self._ended = "the session ended without finishing"
        log = os.environ.get(LOG_VARIABLE)
        if "tab crashed" in self._ended and log:
            # The page's own output ends before the crash; the browser's log says why it happened.
            self._console += f"\n--- Chromium's log ---\n{crash_evidence(Path(log)) or '(empty)'}"

    def next_message(self, timeout: float) -> dict[str, Any]:
        if self._messages:
            return self._messages.pop(0)
        raise SessionEnded(self._ended or "no more messages")

    def console(self) -> str:
        return self._console

    def close(self) -> None:
        """The browser was already stopped when the session ended."""


def archive(path: Path, folders: list[Path], config: pytest.Config) -> None:
    """Zip every folder under its absolute path (without the leading slash), pruned."""
    patterns = (*config.getini("norecursedirs"), *ALWAYS_PRUNED)
    excluded = Path(config.option.dist_dir).resolve()
    total = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for folder in folders:
            for file in _walk(folder, patterns, excluded):
                total += file.stat().st_size
                if total > MAX_COPY_BYTES:
                    raise ProjectError(
                        f"the folders to copy into Chromium's Pyodide hold more than "
                        f"{MAX_COPY_BYTES // 1024 // 1024} MiB (at {file}); leave folders out with "
                        "pytest's norecursedirs"
                    )
                out.write(file, file.as_posix().lstrip("/"))


def _walk(top: Path, patterns: tuple[str, ...], excluded: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(top):
        here = Path(current)
        dirs[:] = sorted(
            d
            for d in dirs
            if not any(fnmatch.fnmatch(d, p) for p in patterns)
            and here / d != excluded
            and not (here / d / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")):
                yield here / name


def _runner(item: pytest.Item) -> Any:
    class Request:
        config = item.config
        node = item

    return upstream.get_browser_pyodide(Request, "chrome")


def discard_session() -> None:
    """Stop pytest-pyodide's Chromium (and its file server), so the next session starts fresh."""
    instance = upstream.sessions().pop("chrome", None)
    if instance is None:
        return
    for unwrapper in (instance.selenium, instance.server):
        with contextlib.suppress(Exception):
            unwrapper.close()


def _first_lines(exc: BaseException, count: int = 30) -> str:
    lines = str(exc).strip().splitlines()
    return "\n".join(lines[:count]) + ("\n..." if len(lines) > count else "")
