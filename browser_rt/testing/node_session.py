"""One Pyodide in a Node process running one pytest session; its reports read as they come.

The process boots (Pyodide, pytest, the session runner) before it is told what to run, so the
plugin starts interpreters while the host is still collecting (`prewarm`) and hands each its
spec later (`start`). `node_session.mjs` then mounts the project's folders with NODEFS and writes
one JSON line per message on stdout (`browser_rt.testing.inner`). Two reader threads keep
stdout's messages in a queue and the last lines of stderr (the interpreter's own output) for a
crash report, so the host can wait for the next message with a deadline: a test that hangs is
noticed, and a dead process is an end of stream, never a wait.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from browser_rt.testing.session_snapshot import SNAPSHOTS

DRIVER = Path(__file__).with_name("node_session.mjs")
CONSOLE_LINES = 60
"""How many of the interpreter's last output lines a crash report quotes."""
LINE_CHARS = 500
"""Each quoted line is cut to this length (a minified script can be one megabyte-long line)."""


class SessionEnded(Exception):
    """The interpreter's process ended (or its stream broke) before the session finished."""


PRELOAD = ("pytest",)
"""What every session loads, so a booting interpreter loads it before its spec is known."""


class NodeSession:
    """A `node node_session.mjs` booting Pyodide; after `start`, `next_message` returns its messages."""

    def __init__(self, pyodide_dir: str, runner: str) -> None:
        executable = shutil.which("node")
        if executable is None:
            raise FileNotFoundError("node is not on PATH; Pyodide in Node needs Node.js 18 or newer")
        self.boot = (pyodide_dir, runner)
        self._scratch = tempfile.TemporaryDirectory(prefix="browser-rt-node-session-")
        boot_path = Path(self._scratch.name) / "boot.json"
        boot_spec: dict[str, Any] = {"pyodideDir": pyodide_dir, "runner": runner, "preload": list(PRELOAD)}
        snapshot = SNAPSHOTS.for_boot(pyodide_dir, PRELOAD)
        if snapshot is not None:
            boot_spec["snapshot"] = snapshot
        boot_path.write_text(json.dumps(boot_spec), encoding="utf-8")
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._console: collections.deque[str] = collections.deque(maxlen=CONSOLE_LINES)
        self._process = subprocess.Popen(
            [executable, str(DRIVER), str(boot_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NODE_OPTIONS": ""},
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        self._threads = [
            threading.Thread(target=self._read_messages, args=(self._process.stdout,), daemon=True),
            threading.Thread(target=self._read_console, args=(self._process.stderr,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def alive(self) -> bool:
        return self._process.poll() is None

    def start(self, spec: dict[str, Any]) -> None:
        """Give the session its spec (once); a process that already died reports it as its end."""
        stdin = self._process.stdin
        assert stdin is not None
        with contextlib.suppress(OSError):  # a dead process: next_message says how it ended
            stdin.write(json.dumps(spec).encode("utf-8") + b"\n")
            stdin.flush()
        with contextlib.suppress(OSError):
            stdin.close()

    def _read_messages(self, stream: IO[bytes]) -> None:
        for raw in stream:
            try:
                message = json.loads(raw)
            except ValueError:
                self._console.append(raw[:LINE_CHARS].decode("utf-8", "replace").rstrip())
                continue
            if isinstance(message, dict) and message.get("type") == "snapshot":
                SNAPSHOTS.outcome(self.boot[0], message)
            elif isinstance(message, dict) and isinstance(message.get("type"), str):
                self._messages.put(message)
        self._messages.put(None)

    def _read_console(self, stream: IO[bytes]) -> None:
        for raw in stream:
            self._console.append(raw[:LINE_CHARS].decode("utf-8", "replace").rstrip())

    def next_message(self, timeout: float) -> dict[str, Any]:
        """The next message; TimeoutError after `timeout` s of silence, SessionEnded at the end."""
        try:
            message = self._messages.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no word from Pyodide for {timeout:g} s") from None
        if message is None:
            self._messages.put(None)  # stay ended for any later call
            raise SessionEnded(f"node exited with status {self._process.wait()}")
        return message

    def console(self) -> str:
        """The interpreter's last output lines (pytest's own terminal output among them)."""
        self._threads[1].join(timeout=1)
        return "\n".join(self._console)

    def close(self) -> None:
        """Stop the process (a hung interpreter never stops by itself) and remove the spec."""
        if self._process.poll() is None:
            self._process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=10)
        for thread in self._threads:
            thread.join(timeout=2)
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()
        self._scratch.cleanup()


_WARM: list[NodeSession] = []
_WARM_LOCK = threading.Lock()


def prewarm(pyodide_dir: str, runner: str, count: int) -> None:
    """Boot `count` interpreters now, for sessions whose specs are not known yet."""
    with _WARM_LOCK:
        for _ in range(max(0, count - len(_WARM))):
            _WARM.append(NodeSession(pyodide_dir, runner))


def node_session(spec: dict[str, Any]) -> NodeSession:
    """A started session for `spec`: a booted interpreter of the same Pyodide and runner if one
    is waiting and alive, else a new one."""
    boot = (spec["pyodideDir"], spec["runner"])
    with _WARM_LOCK:
        while _WARM:
            waiting = _WARM.pop(0)
            if waiting.boot == boot and waiting.alive():
                waiting.start(spec)
                return waiting
            waiting.close()
    session = NodeSession(*boot)
    session.start(spec)
    return session


def discard_warm(build_timeout: float = 0) -> None:
    """Stop every booted interpreter no session took (the run needed fewer, or none), and give
    a snapshot build this run started up to `build_timeout` s to finish."""
    with _WARM_LOCK:
        waiting, _WARM[:] = list(_WARM), []
    for session in waiting:
        session.close()
    SNAPSHOTS.builder.wait(build_timeout)
