"""The Python the host runs in Chromium's Pyodide, kept apart so each piece can be read alone.

Every snippet is a template filled with `repr()` of host values, so nothing the project names
(a path, a node id) is ever pasted into code unquoted. Names they leave behind in Pyodide's
globals start with `_browser_rt_`.
"""

from __future__ import annotations

from browser_rt.testing.node_session import CONSOLE_LINES, LINE_CHARS


def extract_archive(url: str) -> str:
    """Fetch the project archive from the host's file server and unpack it at `/`."""
    return f"""
import io, zipfile
from pyodide.http import pyfetch
_browser_rt_response = await pyfetch({url!r})
if not _browser_rt_response.ok:
    raise OSError(f"project archive: HTTP {{_browser_rt_response.status}}")
zipfile.ZipFile(io.BytesIO(await _browser_rt_response.bytes())).extractall("/")
"""


def define_runner(source: str) -> str:
    """Load `browser_rt.testing.inner` from its source, as `_browser_rt_runner`.

    Nothing of the project is read: a page booted before its session's spec is known runs it.
    """
    return f"""
_browser_rt_runner = {{}}
exec(compile({source!r}, "browser_rt_inner.py", "exec"), _browser_rt_runner)
"""


def prepare_session(session_json: str, wheel_urls: list[str]) -> str:
    """Prepare the session (environment, sys.path, folder) and install the project's wheels.

    Wheels are installed with micropip; their dependencies come from the bundle's lock, never
    an index.
    """
    return f"""
_browser_rt_session = {session_json!r}
_browser_rt_runner["prepare"](_browser_rt_session)
if {wheel_urls!r}:
    import micropip
    await micropip.install({wheel_urls!r}, deps=True, index_urls=[])
"""


def missing_imports(names: list[str]) -> str:
    """Which of the project's import names Pyodide cannot find (without importing them)."""
    return f"""_browser_rt_runner["missing_imports"]({__import__("json").dumps(names)!r})"""


def install_channel() -> str:
    """JavaScript that gives the page `globalThis.browserRtChannel`: the session's outbox.

    The session `push`es each message line; line N is the Nth pushed. The host calls
    `take(from, ms)`, which forgets the lines before `from` (the host has them) and returns the
    rest, waiting up to `ms` for one: a reply lost on the way (a call that timed out while the
    page was busy) loses no line, since the next `take` asks again from the same place.
    `drained()` resolves once the host has acknowledged every line pushed so far, which is how
    the session hands the page's thread back between tests. `end(reason)` marks the session over.
    `take` also returns the page's newest console lines (pytest-pyodide's page keeps them in
    `globalThis.logs`), each cut short.
    """
    return f"""
const lines = [];
let first = 0;
let ended = null;
let wake = null;
const waiters = [];
const wakeTake = () => {{ if (wake) {{ const resolve = wake; wake = null; resolve(); }} }};
globalThis.browserRtChannel = {{
  push(line) {{ lines.push(String(line)); wakeTake(); }},
  end(reason) {{ if (ended === null) {{ ended = String(reason); wakeTake(); }} }},
  drained() {{
    const upTo = first + lines.length;
    return upTo === first ? Promise.resolve() : new Promise((resolve) => waiters.push({{ upTo, resolve }}));
  }},
  async take(from, ms) {{
    const known = Math.max(0, Math.min(from - first, lines.length));
    lines.splice(0, known);
    first += known;
    for (const waiter of waiters.splice(0)) {{
      if (waiter.upTo <= first) waiter.resolve(); else waiters.push(waiter);
    }}
    if (lines.length === 0 && ended === null) {{
      await new Promise((resolve) => {{ wake = resolve; setTimeout(wakeTake, ms); }});
    }}
    const logs = (globalThis.logs || []).splice(0).slice(-{CONSOLE_LINES});
    return {{
      first,
      lines: lines.slice(),
      ended,
      logs: logs.map((line) => String(line).slice(0, {LINE_CHARS})),
    }};
  }},
}};
return true;
"""


def console_lines() -> str:
    """JavaScript that returns the page's newest console lines, each cut short."""
    newest = f"(globalThis.logs || []).slice(-{CONSOLE_LINES})"
    return f"return {newest}.map((line) => String(line).slice(0, {LINE_CHARS}));"


def take(start: int, ms: int) -> str:
    """JavaScript that returns the session's lines from number `start` (waiting up to `ms`)."""
    return f"return await globalThis.browserRtChannel.take({int(start)}, {int(ms)});"


SESSION_PYTHON = """
import js
from pyodide.ffi import can_run_sync, run_sync
if not can_run_sync():
    raise RuntimeError(
        "this Chromium cannot pause Pyodide between tests (no WebAssembly JavaScript Promise "
        "Integration, JSPI, which Chromium has by default since version 137), so the host "
        "could not follow the session"
    )
_browser_rt_runner["run"](
    _browser_rt_session,
    js.browserRtChannel.push,
    lambda: run_sync(js.browserRtChannel.drained()),
)
"""
"""The session itself: each message pushed to the channel; before each test it waits until the
host has taken every line, so the host always knows which test is running when the page stops
answering."""


def start_session() -> str:
    """JavaScript that starts the session without waiting for it, and ends the channel with it.

    It starts from a timer, after this script has returned: Python runs synchronously up to
    its first pause (collection included), and a WebDriver call waiting that long could be
    retried by Selenium's HTTP client: a repeated call starts nothing. The page's
    thread returns to its event loop whenever the session pauses, so the host's
    `take` calls run between tests. A test that exits or fatally breaks the interpreter throws
    from a callback, not into the session's promise; once Pyodide has died, reading any of its
    public API throws, and a watchdog that checks this ends the channel with the error.
    """
    return f"""
if (globalThis.browserRtStarted) return true;
globalThis.browserRtStarted = true;
const channel = globalThis.browserRtChannel;
setTimeout(() => {{
  const watchdog = setInterval(() => {{
    try {{ pyodide.globals; }} catch (error) {{ channel.end(`Pyodide died: ${{error}}`); }}
  }}, 250);
  pyodide.runPythonAsync({SESSION_PYTHON!r}).then(
    () => channel.end("the session returned"),
    (error) => channel.end(String(error)),
  ).finally(() => clearInterval(watchdog));
}}, 0);
return true;
"""
