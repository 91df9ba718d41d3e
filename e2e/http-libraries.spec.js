// @ts-check
// Existing Python HTTP code, unchanged, governed by the authority (browser_rt.compat), in real
// Chromium against two real loopback servers: API (granted) and OTHER (never granted).
// requests and httpx come from the test bundle's pinned wheels (createRuntime's `packages`).
const { test, expect } = require("@playwright/test");
const { API, OTHER, ISOLATED_HARNESS, serverLog, resetServers, startRuntime, runPython } = require("./helpers");

const POLICY = { origins: [API], methods: ["GET", "POST"], timeout_ms: 20000, max_response_body_bytes: 65536 };

// Each library's outcome as a small dict: the JSON answers, and for the denied request the
// error's type, whether its message names the reason, and its __cause__.
const LIBRARIES = `
import js, requests, urllib3, httpx, browser_rt
from pyodide.ffi import create_once_callable
from pyodide.http import AbortError, open_url, pyfetch, pyxhr

def refused(error):
    return {"type": type(error).__module__ + "." + type(error).__name__,
            "names_reason": "origin_denied" in str(error),
            "cause": type(error.__cause__).__name__ if error.__cause__ else "none"}

def with_requests():
    out = {"get": requests.get("${API}/items").json(),
           "post": requests.post("${API}/items", json={"a": 1}).json(),
           "urllib3": urllib3.request("GET", "${API}/items").json()}
    try:
        requests.get("${OTHER}/requests")
    except requests.ConnectionError as error:
        out["denied"] = refused(error)
    return out

async def with_pyfetch():
    out = {"get": await (await pyfetch("${API}/items")).json(),
           "post": await (await pyfetch("${API}/items", method="POST", body='{"a": 1}',
                                        headers={"Content-Type": "application/json"})).json()}
    try:
        await pyfetch("${OTHER}/pyfetch")
    except OSError as error:
        out["denied"] = refused(error)
    out["pyxhr"] = pyxhr.get("${API}/items").json()
    out["open_url"] = open_url("${API}/items").read()
    try:
        pyxhr.get("${OTHER}/pyxhr")
    except OSError as error:
        out["pyxhr_denied"] = refused(error)
    controller = js.AbortController.new()
    js.setTimeout(create_once_callable(lambda: controller.abort()), 200)
    try:
        await pyfetch("${API}/slow?ms=3000", signal=controller.signal)
    except AbortError as error:
        out["aborted"] = str(error)
    return out

async def with_httpx():
    async with httpx.AsyncClient(transport=browser_rt.httpx_transport()) as client:
        out = {"get": (await client.get("${API}/items")).json(),
               "post": (await client.post("${API}/items", json={"a": 1})).json()}
        try:
            await client.get("${OTHER}/httpx")
        except httpx.ConnectError as error:
            out["denied"] = refused(error)
    return out
`;

const GET = { server: "api", method: "GET", path: "/items", body_bytes: 0 };
const POST = { server: "api", method: "POST", path: "/items", body_bytes: 8 };

for (const isolation of ["worker", "page"]) {
  test.describe(`${isolation} mode`, () => {
    test.beforeEach(async ({ page }) => {
      await resetServers();
      await startRuntime(page, { isolation, fetchAuthority: POLICY, packages: ["requests", "httpx"] });
      const ready = await runPython(page, LIBRARIES);
      expect(ready.ok, JSON.stringify(ready)).toBe(true);
    });

    test("requests.get, requests.post and urllib3.request work, requests.get(OTHER) is a ConnectionError", async ({ page }) => {
      const got = await runPython(page, "with_requests()");
      expect(got.ok, JSON.stringify(got)).toBe(true);
      expect(got.value.get).toMatchObject(GET);
      expect(got.value.post).toMatchObject(POST);
      expect(got.value.urllib3).toMatchObject(GET);
      expect(got.value.denied).toEqual({ type: "requests.exceptions.ConnectionError", names_reason: true, cause: "FetchDenied" });
      expect(await serverLog(OTHER)).toEqual([]);
      const log = (await serverLog(API)).filter((/** @type {any} */ r) => r.method !== "OPTIONS");
      expect(log.map((/** @type {any} */ r) => `${r.method} ${r.path}`)).toEqual(["GET /items", "POST /items", "GET /items"]);
    });

    test("await pyfetch, pyxhr and open_url are governed the same way; an AbortSignal aborts", async ({ page }) => {
      const got = await runPython(page, "await with_pyfetch()");
      expect(got.ok, JSON.stringify(got)).toBe(true);
      expect(got.value.get).toMatchObject(GET);
      expect(got.value.post).toMatchObject(POST);
      expect(got.value.denied).toEqual({ type: "browser_rt.fetch.errors.FetchDenied", names_reason: true, cause: "none" });
      expect(got.value.pyxhr).toMatchObject(GET);
      expect(JSON.parse(got.value.open_url)).toMatchObject(GET);
      expect(got.value.pyxhr_denied).toEqual({ type: "pyodide.http._exceptions.XHRNetworkError", names_reason: true, cause: "FetchDenied" });
      expect(got.value.aborted).toContain("aborted by the signal");
      expect(await serverLog(OTHER)).toEqual([]);
    });

    test("httpx.AsyncClient with browser_rt.httpx_transport() is governed the same way", async ({ page }) => {
      const got = await runPython(page, "await with_httpx()");
      expect(got.ok, JSON.stringify(got)).toBe(true);
      expect(got.value.get).toMatchObject(GET);
      expect(got.value.post).toMatchObject({ ...POST, body_bytes: 7 });
      expect(got.value.denied).toEqual({ type: "httpx.ConnectError", names_reason: true, cause: "FetchDenied" });
      expect(await serverLog(OTHER)).toEqual([]);
    });

    test("every request is a decision of the authority, as cx.fetch's are", async ({ page }) => {
      const got = await runPython(page, "with_requests(); await with_pyfetch(); await with_httpx()");
      expect(got.ok, JSON.stringify(got)).toBe(true);
      const decisions = await page.evaluate(() =>
        window.events.filter((e) => e.type === "fetch.decision").map((e) => `${e.decision} ${e.reason ?? ""}`.trim()));
      expect(decisions.filter((d) => d === "allow")).toHaveLength(10);
      expect(decisions.filter((d) => d === "deny origin_denied")).toHaveLength(4);
      expect(await serverLog(OTHER)).toEqual([]);
    });
  });
}

// Where an engine has no JSPI, a worker of a cross-origin isolated page blocks on a shared buffer
// instead (Atomics.wait; js_bridge/blocking_reply.mjs). Chromium has JSPI, so the test narrows
// browser_rt.compat.sync.BROWSER_ROADS to that road to drive it for real.
test.describe("worker mode, cross-origin isolated, the Atomics.wait road", () => {
  test.beforeEach(async ({ page }) => {
    await resetServers();
    await startRuntime(page, { isolation: "worker", fetchAuthority: POLICY, packages: ["requests", "httpx"] }, ISOLATED_HARNESS);
    const ready = await runPython(page, `${LIBRARIES}
from browser_rt.compat import sync
sync.BROWSER_ROADS = ("atomics",)
sync.sync_wait_support()`);
    expect(ready.ok, JSON.stringify(ready)).toBe(true);
    expect(ready.value).toEqual({ jspi: true, cross_origin_isolated: true, blocking_bridge: true });
  });

  test("requests, urllib3, pyxhr and open_url block on the bridge and are governed", async ({ page }) => {
    const got = await runPython(page, `
out = with_requests()
out["pyxhr"] = pyxhr.get("${API}/items").json()
out["open_url"] = open_url("${API}/items").read()
out`);
    expect(got.ok, JSON.stringify(got)).toBe(true);
    expect(got.value.get).toMatchObject(GET);
    expect(got.value.post).toMatchObject(POST);
    expect(got.value.urllib3).toMatchObject(GET);
    expect(got.value.pyxhr).toMatchObject(GET);
    expect(JSON.parse(got.value.open_url)).toMatchObject(GET);
    expect(got.value.denied).toEqual({ type: "requests.exceptions.ConnectionError", names_reason: true, cause: "FetchDenied" });
    expect(await serverLog(OTHER)).toEqual([]);
    const decisions = await page.evaluate(() =>
      window.events.filter((e) => e.type === "fetch.decision").map((e) => `${e.decision} ${e.reason ?? ""}`.trim()));
    expect(decisions).toEqual(["allow", "allow", "allow", "deny origin_denied", "allow", "allow"]);
  });

  test("the bridge's own limits hold: a timeout and an oversized answer fail as they would async", async ({ page }) => {
    const got = await runPython(page, `
import requests
def failure(call):
    try:
        call()
    except Exception as error:
        return type(error).__name__ + ": " + str(error)
{"timeout": failure(lambda: requests.get("${API}/slow?ms=3000", timeout=0.5)),
 "too_big": failure(lambda: requests.get("${API}/big?bytes=200000"))}`);
    expect(got.ok, JSON.stringify(got)).toBe(true);
    expect(got.value.timeout).toMatch(/^(ReadTimeout|ConnectTimeout|Timeout)/);
    expect(got.value.too_big).toMatch(/^ConnectionError: .*response_too_large/);
  });
});

test("page mode: the ambient-path report no longer lists pyodide.http", async ({ page }) => {
  await resetServers();
  await startRuntime(page, { isolation: "page", fetchAuthority: POLICY });
  const paths = await page.evaluate(() => window.events.find((e) => e.type === "runtime.ambient_paths")?.paths);
  expect(paths).toEqual(expect.arrayContaining(["js.fetch", "js.XMLHttpRequest", "js.Function"]));
  expect(paths.filter((/** @type {string} */ p) => p.startsWith("pyodide.http."))).toEqual([]);
});
