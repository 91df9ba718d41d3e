"""The Python the host runs inside Pyodide, kept apart so each piece can be read on its own.

Every snippet is a template filled with `repr()` of host values, so nothing the project names
(a path, a node id) is ever pasted into code unquoted. Names they leave behind in Pyodide's
globals start with `_browser_rt_`.
"""

from __future__ import annotations

INSIDE_ROOT = "test_files"
"""Where the project's copy lives, relative to Pyodide's home; pytest-pyodide's own name."""

JUNIT_PATH = "/tmp/browser_rt_forwarded.xml"


def set_runtime(variable: str, runtime: str) -> str:
    """Record the runtime and Pyodide's home (the folder the copy lives under)."""
    return f"import os\nos.environ[{variable!r}] = {runtime!r}\n_browser_rt_home = os.getcwd()\n"


def extract_archive(url: str, sys_path: list[str]) -> str:
    """Fetch the project archive from the host's file server and unpack it; extend sys.path."""
    return f"""
import io, os, sys, zipfile
from pyodide.http import pyfetch
_browser_rt_response = await pyfetch({url!r})
if not _browser_rt_response.ok:
    raise OSError(f"project archive: HTTP {{_browser_rt_response.status}}")
_browser_rt_root = os.path.join(_browser_rt_home, {INSIDE_ROOT!r})
zipfile.ZipFile(io.BytesIO(await _browser_rt_response.bytes())).extractall(_browser_rt_root)
for _browser_rt_entry in reversed({sys_path!r}):
    _browser_rt_entry = os.path.join(_browser_rt_root, _browser_rt_entry)
    if _browser_rt_entry not in sys.path:
        sys.path.insert(0, _browser_rt_entry)
len(os.listdir(_browser_rt_root))
"""


def install_wheels(urls: list[str]) -> str:
    """Install wheels with micropip; dependencies come from the bundle's lock, never an index."""
    return f"""
import micropip
await micropip.install({urls!r}, deps=True, index_urls=[])
"""


def quiet_hypothesis() -> str:
    """A default Hypothesis profile for Pyodide: no deadline, since the interpreter is slower
    than CPython. Loaded before any conftest, so a project's own profile still wins."""
    return """
from hypothesis import settings as _browser_rt_settings
_browser_rt_settings.register_profile("browser-rt-pyodide", deadline=None)
_browser_rt_settings.load_profile("browser-rt-pyodide")
"""


def missing_imports(names: list[str]) -> str:
    """Which of the project's top-level import names Pyodide cannot find (without importing)."""
    return f"""
import importlib.util, json
json.dumps([_n for _n in {names!r} if importlib.util.find_spec(_n) is None])
"""


def run_pytest(args: list[str], rundir: str | None, junit_path: str) -> str:
    """Run pytest on one node id from `rundir` (under Pyodide's home; None: the home itself).

    Returns JSON `[exit_code, junit_xml, terminal_output]`.
    """
    return f"""
import contextlib, io, json, os
import pytest
if os.path.exists({junit_path!r}):
    os.remove({junit_path!r})
_browser_rt_out = io.StringIO()
_browser_rt_cwd = os.getcwd()
os.chdir(os.path.join(_browser_rt_home, {rundir!r}) if {rundir!r} else _browser_rt_home)
try:
    with contextlib.redirect_stdout(_browser_rt_out), contextlib.redirect_stderr(_browser_rt_out):
        _browser_rt_code = int(pytest.main({args!r}))
finally:
    os.chdir(_browser_rt_cwd)
_browser_rt_xml = ""
if os.path.exists({junit_path!r}):
    with open({junit_path!r}, encoding="utf-8") as _browser_rt_file:
        _browser_rt_xml = _browser_rt_file.read()
json.dumps([_browser_rt_code, _browser_rt_xml, _browser_rt_out.getvalue()[-20000:]])
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
