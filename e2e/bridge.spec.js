// @ts-check
// cx.fetch through the real bridge in Chromium, against two real loopback origins:
// A (granted) and B (never granted). B's request log must stay empty after every denial.
const { test, expect } = require("@playwright/test");
const { API, OTHER, CHECK_POLICY, serverLog, resetServers, startRuntime, runPython } = require("./helpers");

// A Python helper that turns the outcome of one fetch into a small dict.
const OUTCOME = `
from browser_rt import current_cx
from browser_rt.fetch import FetchDenied, FetchError

async def outcome(url, **kw):
    try:
        r = await current_cx().fetch(url, **kw)
    except FetchDenied as e:
        return {"denied": e.reason}
    except FetchError as e:
        return {"error": e.code}
    return {"status": r.status, "body": (await r.text())[:200]}
`;

for (const isolation of ["worker", "page"]) {
  test.describe(`${isolation} mode`, () => {
    test.beforeEach(async ({ page }) => {
      await resetServers();
      await startRuntime(page, { isolation, fetchAuthority: CHECK_POLICY });
      const ready = await runPython(page, OUTCOME);
      expect(ready.ok, JSON.stringify(ready)).toBe(true);
    });

    test("allowed GET and POST reach A", async ({ page }) => {
      const got = await runPython(page, `
[await outcome("${API}/items?q=1"),
 await outcome("${API}/items", method="POST", body="hello", headers={"content-type": "text/plain"})]`);
      expect(got.ok, JSON.stringify(got)).toBe(true);
      expect(got.value[0].status).toBe(200);
      expect(JSON.parse(got.value[1].body)).toMatchObject({ method: "POST", body_bytes: 5 });
      const log = await serverLog(API);
      expect(log.map((/** @type {any} */ r) => `${r.method} ${r.path}`)).toEqual(["GET /items", "POST /items"]);
      expect(log.every((/** @type {any} */ r) => r.cookie === false && r.referer === null)).toBe(true);
    });

    test("denials never leave the page", async ({ page }) => {
      const got = await runPython(page, `
[await outcome("${OTHER}/steal"),
 await outcome("${API}/x", method="DELETE"),
 await outcome("${API}/x", credentials="include"),
 await outcome("${API}/x", headers=[("x-a", "1")] * 5),
 await outcome("${API}/x", headers={"x-a": "1\\r\\nHost: evil"}),
 await outcome("${API}/x", headers={"cookie": "a=b"}),
 await outcome("${API}/x", method="POST", body="x" * 2048),
 await outcome("${API}/x", method="GET", body="x"),
 await outcome("javascript:alert(1)"),
 await outcome("${API.replace("http://", "http://user:pw@")}/x")]`);
      expect(got.ok, JSON.stringify(got)).toBe(true);
      expect(got.value.map((/** @type {any} */ o) => o.denied)).toEqual([
        "origin_denied", "method_denied", "credentials_denied", "header_count_exceeded", "invalid_header",
        "forbidden_header", "body_too_large", "body_not_allowed", "scheme_denied", "userinfo_denied",
      ]);
      expect(await serverLog(OTHER)).toEqual([]);
      expect(await serverLog(API)).toEqual([]);
    });

    test("a redirect from A to B is refused and B is never contacted", async ({ page }) => {
      const got = await runPython(page, `await outcome("${API}/redirect?to=${encodeURIComponent(`${OTHER}/landing`)}")`);
      expect(got.value).toEqual({ error: "redirect_denied" });
      expect((await serverLog(API)).map((/** @type {any} */ r) => r.path)).toEqual(["/redirect"]);
      expect(await serverLog(OTHER)).toEqual([]);
    });

    test("timeout, response cap and cancellation", async ({ page }) => {
      const got = await runPython(page, `
import asyncio
timeout = await outcome("${API}/slow?ms=3000", timeout=0.5)
too_big = await outcome("${API}/big?bytes=200000")
too_big_undeclared = await outcome("${API}/big?bytes=200000&declare=0")
task = asyncio.ensure_future(outcome("${API}/drip?ms=8000"))
await asyncio.sleep(0.5)
task.cancel()
try:
    await task
    cancelled = False
except asyncio.CancelledError:
    cancelled = True
[timeout, too_big, too_big_undeclared, cancelled]`);
      expect(got.ok, JSON.stringify(got)).toBe(true);
      expect(got.value).toEqual([{ error: "timeout" }, { error: "response_too_large" }, { error: "response_too_large" }, true]);
      await expect
        .poll(async () => (await serverLog(API)).find((/** @type {any} */ r) => r.path === "/drip")?.aborted, { timeout: 10_000 })
        .toBe(true);
      expect(await serverLog(OTHER)).toEqual([]);
    });
  });
}

test("worker mode: ambient network and code-loading paths are gone from Python", async ({ page }) => {
  await resetServers();
  await startRuntime(page, { isolation: "worker", fetchAuthority: CHECK_POLICY });
  const got = await runPython(page, `
import js
from browser_rt import current_cx

import inspect
results = {}

async def attempt(name, action):
    try:
        value = action()
        if inspect.isawaitable(value):
            value = await value
        results[name] = "REACHED"
    except Exception as e:
        results[name] = "blocked:" + type(e).__name__ + ":" + str(e)[:120]

B = "${OTHER}"
await attempt("js.fetch", lambda: js.fetch(B + "/fetch"))
async def via_pyfetch():
    from pyodide.http import pyfetch
    return await pyfetch(B + "/pyfetch")
await attempt("pyodide.http.pyfetch", via_pyfetch)
def via_pyxhr():
    from pyodide.http import pyxhr
    return pyxhr.get(B + "/pyxhr")
await attempt("pyodide.http.pyxhr", via_pyxhr)
def via_open_url():
    from pyodide.http import open_url
    return open_url(B + "/open_url")
await attempt("pyodide.http.open_url", via_open_url)
await attempt("Function constructor", lambda: js.Object.constructor("return fetch('" + B + "/function')")())
await attempt("js.eval", lambda: js.eval("fetch('" + B + "/eval')"))
await attempt("importScripts", lambda: js.importScripts(B + "/importScripts.js"))
await attempt("nested Worker", lambda: js.Worker.new(B + "/worker.js"))
await attempt("WebSocket", lambda: js.WebSocket.new(B.replace("http", "ws") + "/ws"))
await attempt("EventSource", lambda: js.EventSource.new(B + "/events"))
await attempt("XMLHttpRequest", lambda: js.XMLHttpRequest.new())
await attempt("caches.add", lambda: js.caches.open("x"))
await attempt("indexedDB", lambda: js.indexedDB.open("x"))
def via_run_js_import():
    from pyodide.code import run_js
    return run_js("import('" + B + "/module.mjs')")
await attempt("import() via run_js", via_run_js_import)
await attempt("import() via Function", lambda: js.Object.constructor("return import('" + B + "/fn-module.mjs')")())
results`);
  expect(got.ok, JSON.stringify(got)).toBe(true);
  const reached = Object.entries(got.value).filter(([, outcome]) => outcome === "REACHED");
  expect(reached).toEqual([]);
  expect(Object.keys(got.value)).toHaveLength(15);
  // The worker's CSP has no 'unsafe-eval', so every path that evaluates JS text (and with it
  // every dynamic import()) stops at an EvalError before anything is requested.
  for (const name of ["Function constructor", "js.eval", "import() via run_js", "import() via Function"]) {
    expect(got.value[name]).toMatch(/EvalError|unsafe-eval/);
  }
  await page.waitForTimeout(500);
  expect(await serverLog(OTHER)).toEqual([]);
  // The bridge still works after all that.
  const ok = await runPython(page, `(await current_cx().fetch("${API}/after")).status`);
  expect(ok.value).toBe(200);
});

test("page mode reports the ambient paths it cannot close", async ({ page }) => {
  await startRuntime(page, { isolation: "page", fetchAuthority: CHECK_POLICY });
  const events = await page.evaluate(() => window.events);
  const ambient = events.find((/** @type {any} */ e) => e.type === "runtime.ambient_paths");
  expect(ambient?.severity).toBe("warn");
  expect(ambient.paths).toEqual(expect.arrayContaining(["js.fetch", "js.XMLHttpRequest", "js.Function"]));
  // pyfetch, pyxhr and open_url go through the authority inside a runtime: not ambient.
  expect(ambient.paths.filter((/** @type {string} */ p) => p.startsWith("pyodide.http."))).toEqual([]);
});

test("worker mode: redacted events reach the page's console, with no canary in them", async ({ page }) => {
  /** @type {{type: string, text: string, url: string}[]} */
  const messages = [];
  page.on("console", (message) => messages.push({ type: message.type(), text: message.text(), url: message.location().url }));
  await resetServers();
  await startRuntime(page, { isolation: "worker", fetchAuthority: CHECK_POLICY });
  const canary = `CANARY${Date.now().toString(36)}X9Q`;
  const got = await runPython(page, `${OUTCOME}
[await outcome("${API}/ok?token=${canary}", headers={"Authorization": "Bearer ${canary}"}),
 await outcome("${OTHER}/${canary}?k=${canary}", method="POST", body="${canary}"),
 await outcome("${API.replace("http://", `http://u:${canary}@`)}/x"),
 await outcome("${API}/status?code=500&text=${canary}")]`);
  expect(got.ok, JSON.stringify(got)).toBe(true);
  expect(got.value.map((/** @type {any} */ o) => o.status ?? o.denied)).toEqual([200, "origin_denied", "userinfo_denied", 500]);
  const ours = messages.filter((m) => m.text.startsWith("[browser_rt]"));
  expect(ours.some((m) => m.type === "warning" && m.url.endsWith("/js_bridge/console_host.mjs"))).toBe(true);
  const events = await page.evaluate(() => window.rt.events());
  const denial = events.find((/** @type {any} */ e) => e.type === "fetch.decision" && e.reason === "origin_denied");
  expect(denial).toMatchObject({ schema: "browser-rt-event-v1", decision: "deny", origin: OTHER, method: "POST" });
  const everything = JSON.stringify(events) + messages.map((m) => m.text).join("\n");
  expect(everything).not.toContain(canary);
  expect(everything).not.toContain(canary.slice(0, 10));
  expect(await serverLog(OTHER)).toEqual([]);
});
