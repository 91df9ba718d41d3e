"""The Python the host runs in Chromium's Pyodide, kept apart so each piece can be read alone.

Every snippet is a template filled with `repr()` of host values, so nothing the project names
(a path, a node id) is ever pasted into code unquoted. Names they leave behind in Pyodide's
globals start with `_browser_rt_`.
"""

from __future__ import annotations


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


def define_runner(source: str, session_json: str, wheel_urls: list[str]) -> str:
    """Load `browser_rt.testing.inner` from its source, prepare the session, install wheels.

    Wheels are installed with micropip; their dependencies come from the bundle's lock, never
    an index.
    """
    return f"""
_browser_rt_runner = {{}}
exec(compile({source!r}, "browser_rt_inner.py", "exec"), _browser_rt_runner)
_browser_rt_session = {session_json!r}
_browser_rt_runner["prepare"](_browser_rt_session)
if {wheel_urls!r}:
    import micropip
    await micropip.install({wheel_urls!r}, deps=True, index_urls=[])
"""


def missing_imports(names: list[str]) -> str:
    """Which of the project's import names Pyodide cannot find (without importing them)."""
    return f"""_browser_rt_runner["missing_imports"]({__import__("json").dumps(names)!r})"""


def run_session() -> str:
    """The session, each message pushed to `globalThis.browserRtLines` as it is made."""
    return """
import js
_browser_rt_runner["run"](_browser_rt_session, js.globalThis.browserRtLines.push)
"""


def watched(python: str) -> str:
    """JavaScript that runs `python` with runPythonAsync and rejects as soon as Pyodide dies.

    In a browser, a test that exits or fatally breaks the interpreter throws from a callback,
    not into the promise pytest-pyodide awaits, so the host would wait out the whole timeout.
    Once Pyodide has died, reading any of its public API throws; a watchdog checks that.
    """
    return f"""
let browserRtWatchdog;
const browserRtDead = new Promise((_, reject) => {{
  browserRtWatchdog = setInterval(() => {{
    try {{ pyodide.globals; }} catch (error) {{ reject(error); }}
  }}, 250);
}});
try {{
  const result = await Promise.race([pyodide.runPythonAsync({python!r}), browserRtDead]);
  return pyodide.$handleTestResult(result);
}} finally {{
  clearInterval(browserRtWatchdog);
}}
"""
