"""The code the host runs in Chromium's page and its Pyodide, kept apart so each piece can be read alone.

Every snippet is a template filled with `repr()` (Python) or `json.dumps` (JavaScript) of host
values, so nothing the project names (a path, a node id) is ever pasted into code unquoted. Names
they leave behind in Pyodide's globals start with `_browser_rt_`.
"""

from __future__ import annotations

import json

from browser_rt.testing.chrome_channel import BATCH_CHARS, MAX_LINE_CHARS
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


CHANNEL_WORKER = """
// The delivery worker: lines in from the page, numbered batches out to the host, in order, one
// POST at a time. A failed POST is sent again from the first line the host has not acknowledged.
// The first line after a quiet spell goes at once; lines that follow within PACE_MS of a POST
// wait for the next one, so a fast suite makes a few POSTs a second rather than one per test.
let url = null;
const pending = [];
let first = 0;
let logs = [];
let end = null;
let done = false;
let busy = false;
let timer = null;
let lastPost = -Infinity;
onmessage = ({ data }) => {
  if (typeof data === "string") {
    if (end !== null) return;
    if (data.length > MAX_LINE_CHARS) {
      end = `a message of ${data.length} characters is over the channel's bound of ${MAX_LINE_CHARS}`;
    } else {
      pending.push(data);
    }
  } else if (Array.isArray(data.logs)) {
    logs = logs.concat(data.logs).slice(-CONSOLE_LINES);
  } else if (typeof data.end === "string") {
    if (end === null) end = data.end;
  } else if (typeof data.url === "string") {
    url = data.url;
    postMessage("ready");
  }
  schedule(0);
};
function schedule(delay) {
  if (timer !== null || busy) return;
  timer = setTimeout(() => { timer = null; send(); }, Math.max(delay, lastPost + PACE_MS - Date.now(), 0));
}
async function send() {
  if (busy || done || url === null || (pending.length === 0 && logs.length === 0 && end === null)) return;
  busy = true;
  lastPost = Date.now();
  let count = 0;
  let size = 0;
  while (count < pending.length && (count === 0 || size + pending[count].length <= BATCH_CHARS)) {
    size += pending[count].length;
    count += 1;
  }
  const batch = { first, lines: pending.slice(0, count), logs, end: count === pending.length ? end : null };
  logs = [];
  let retry = 0;
  try {
    const answer = await fetch(url, { method: "POST", body: JSON.stringify(batch) });
    if (answer.status === 400 || answer.status === 404) {
      done = true;  // refused or closed: the host ends the session by its own deadline
    } else if (!answer.ok) {
      throw new Error(`HTTP ${answer.status}`);
    } else {
      const known = Math.max(0, Math.min((await answer.json()).next - first, pending.length));
      pending.splice(0, known);
      first += known;
      done = batch.end !== null && pending.length === 0;
    }
  } catch (error) {
    logs = batch.logs.concat(logs).slice(-CONSOLE_LINES);
    retry = RETRY_MS;
  }
  busy = false;
  schedule(retry);
}
"""
"""The Worker behind `globalThis.browserRtChannel` (constants filled in by `install_channel`)."""
CHANNEL_RETRY_MS = 200
CHANNEL_PACE_MS = 50
CHANNEL_START_MS = 10_000


def install_channel(url: str) -> str:
    """JavaScript that gives the page `globalThis.browserRtChannel`, which posts to `url`.

    `push(line)` hands the line to a dedicated Worker with `postMessage`, which queues it for
    the worker at once: a line pushed before a test starts reaches the host even if that test
    then keeps the page's thread busy forever. The worker POSTs numbered batches to the page's
    own server (`chrome_channel`). `end(reason)` goes the same way, after every line. Each call
    also hands on the page's newest console lines (pytest-pyodide's page keeps them in
    `globalThis.logs`), each cut short. The script returns once the worker has started.
    """
    worker = (
        CHANNEL_WORKER.replace("MAX_LINE_CHARS", str(MAX_LINE_CHARS))
        .replace("BATCH_CHARS", str(BATCH_CHARS))
        .replace("CONSOLE_LINES", str(CONSOLE_LINES))
        .replace("RETRY_MS", str(CHANNEL_RETRY_MS))
        .replace("PACE_MS", str(CHANNEL_PACE_MS))
    )
    return f"""
const source = new Blob([{json.dumps(worker)}], {{ type: "text/javascript" }});
const worker = new Worker(URL.createObjectURL(source));
await new Promise((resolve, reject) => {{
  const fail = (why) => {{ clearTimeout(timer); reject(new Error(`the channel's worker: ${{why}}`)); }};
  const timer = setTimeout(() => fail("did not start within {CHANNEL_START_MS} ms"), {CHANNEL_START_MS});
  worker.onerror = (event) => fail(event.message || "failed to start");
  worker.onmessage = (event) => {{ if (event.data === "ready") {{ clearTimeout(timer); resolve(); }} }};
  worker.postMessage({{ url: new URL({json.dumps(url)}, location.href).href }});
}});
const handOnLogs = () => {{
  const logs = globalThis.logs;
  if (logs && logs.length) {{
    const newest = logs.splice(0).slice(-{CONSOLE_LINES});
    worker.postMessage({{ logs: newest.map((line) => String(line).slice(0, {LINE_CHARS})) }});
  }}
}};
let ended = false;
globalThis.browserRtChannel = {{
  push(line) {{ handOnLogs(); worker.postMessage(String(line)); }},
  end(reason) {{
    if (ended) return;
    ended = true;
    handOnLogs();
    worker.postMessage({{ end: String(reason) }});
  }},
}};
return true;
"""


def console_lines() -> str:
    """JavaScript that returns the page's newest console lines, each cut short."""
    newest = f"(globalThis.logs || []).slice(-{CONSOLE_LINES})"
    return f"return {newest}.map((line) => String(line).slice(0, {LINE_CHARS}));"


SESSION_PYTHON = """
import js
_browser_rt_runner["run"](_browser_rt_session, js.browserRtChannel.push)
"""
"""The session itself: each message pushed to the channel as it is sent."""


def start_session(url: str) -> str:
    """JavaScript that starts the session once a GET of `url` says so, and ends the channel with it.

    The host answers that request after this script's WebDriver call has returned
    (`chrome_channel`): the session then keeps the page's thread to its end, and would hold a
    call still under way. A repeated script starts nothing. A test that exits or fatally breaks
    the interpreter may throw from a callback rather than into the session's promise; once
    Pyodide has died, reading any of its public API throws, and a watchdog that checks this (it
    runs once the page's thread is free again) ends the channel with the error.
    """
    return f"""
if (globalThis.browserRtStarted) return true;
globalThis.browserRtStarted = true;
const channel = globalThis.browserRtChannel;
const run = () => {{
  const watchdog = setInterval(() => {{
    try {{ pyodide.globals; }} catch (error) {{ channel.end(`Pyodide died: ${{error}}`); }}
  }}, 250);
  pyodide.runPythonAsync({SESSION_PYTHON!r}).then(
    () => channel.end("the session returned"),
    (error) => channel.end(String(error)),
  ).finally(() => clearInterval(watchdog));
}};
fetch({json.dumps(url)}).then((answer) => answer.json()).then(
  (answer) => answer.start === true ? run() : channel.end("the host did not let the session start"),
  (error) => channel.end(`the host did not let the session start: ${{error}}`),
);
return true;
"""
