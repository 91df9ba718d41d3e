// The browser_rt security checks, run inside the page in whichever engine opened it. Each check
// writes {name, ok, detail} to #results; a driver per engine (e2e/engines.js) only reads them
// back, and the spec (e2e/security.spec.js) adds what only the servers can tell: that the
// ungranted origin saw nothing, and how many requests the granted one answered at once.
//
// Query parameters: api, other (the two loopback origins), policy (the grant, JSON), mode
// ("worker" runs the worker suite, "page" the page-mode report, "refusal" expects worker
// mode to refuse to start).
import { createRuntime } from "/js_bridge/index.mjs";
import { GLOBAL_ALLOWLIST, NAVIGATOR_ALLOWLIST, openMembers } from "/js_bridge/realm_allowlist.mjs";

// Doors worker mode must close, written here rather than imported from js_bridge, so that a door
// put on the product's allowlist fails this check instead of passing the enumeration below.
const DOORS = Object.freeze([
  "fetch", "XMLHttpRequest", "WebSocket", "WebSocketStream", "EventSource", "WebTransport",
  "importScripts", "Worker", "SharedWorker", "caches", "indexedDB", "RTCPeerConnection",
  "RTCDataChannel", "webkitRTCPeerConnection", "BroadcastChannel", "fetchLater",
  "FontFace", "fonts", "Notification", "webkitRequestFileSystem", "webkitRequestFileSystemSync",
  "webkitResolveLocalFileSystemURL", "cookieStore", "localStorage", "sessionStorage", "MessageChannel",
]);
const NAVIGATOR_DOORS = Object.freeze(["serviceWorker", "storage", "storageBuckets", "locks", "permissions", "sendBeacon"]);

// The embedding app's own state in this origin, which hostile Python in the worker must not see,
// change or hold: an OPFS file, a storage bucket with a file, an IndexedDB database, a Cache,
// a Web Lock name and a BroadcastChannel.
const APP = Object.freeze({
  file: "app-secret.txt", secret: `app secret ${Math.random().toString(36).slice(2)}`,
  bucket: "app-bucket", db: "app-db", cache: "app-cache", lock: "app-lock", channel: "app-channel",
});

const params = new URLSearchParams(location.search);
const API = params.get("api");
const OTHER = params.get("other");
const POLICY = JSON.parse(params.get("policy") ?? "{}");
const MODE = params.get("mode") ?? "worker";
// One check by name (e2e/planted-faults.spec.js): the others in `attempt` blocks do not run.
const ONLY = params.get("only");
// How the runtime must have booted (e2e/snapshot.spec.js): "restored" from the bundle's memory
// snapshot, or the reason it fell back; absent, either is fine.
const SNAPSHOT = params.get("snapshot");
// restart=1 (e2e/snapshot.spec.js): the worker suite runs in a worker restarted after a timeout.
const RESTART = params.get("restart") === "1";
const status = document.getElementById("status");

/** @type {{name: string, ok: boolean, detail: unknown}[]} */
const checks = [];
/** @type {Record<string, unknown>[]} */
const events = [];

function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), detail });
  status.value = `ran ${checks.length}`;
}

async function attempt(name, body) {
  if (ONLY !== null && name !== ONLY) return;
  try {
    await body();
  } catch (error) {
    check(name, false, { threw: `${error?.name}: ${String(error?.message ?? error).slice(0, 400)}` });
  }
}

/** The snapshot.restored or snapshot.fallback event of the start, checked against SNAPSHOT. */
function checkBoot() {
  const boot = events.find((e) => String(e.type).startsWith("snapshot."));
  if (SNAPSHOT === null) return;
  const got = boot?.type === "snapshot.restored" ? "restored" : boot?.reason;
  check(`the runtime booted: ${SNAPSHOT}`, got === SNAPSHOT, { boot });
}

async function start(isolation) {
  return createRuntime({
    indexURL: "/pyodide/",
    isolation,
    fetchAuthority: POLICY,
    diagnostics: { sink: (event) => events.push(event) },
  });
}

// Python helpers shared by the checks: one fetch's outcome as a small dict.
const OUTCOME = `
import asyncio, inspect, js
from browser_rt import current_cx
from browser_rt.fetch import FetchDenied, FetchError

async def outcome(url, **kw):
    try:
        r = await current_cx().fetch(url, **kw)
    except FetchDenied as e:
        return {"denied": str(e.reason)}
    except FetchError as e:
        return {"error": e.code}
    return {"status": r.status, "body": (await r.text())[:200]}
`;

// Every way we know for Python in the worker to load something from another origin. Each must
// fail; the spec then checks that the other origin's server saw none of them.
const ESCAPES = `
import js, inspect
results = {}
B = "${OTHER}"

async def attempt(name, action):
    try:
        value = action()
        if inspect.isawaitable(value):
            value = await value
        results[name] = "REACHED"
    except Exception as e:
        results[name] = "blocked:" + type(e).__name__ + ":" + str(e)[:100]

def from_pyodide_http(name):
    import pyodide.http as http
    return getattr(http, name)

await attempt("js.fetch", lambda: js.fetch(B + "/fetch"))
await attempt("pyodide.http.pyfetch", lambda: from_pyodide_http("pyfetch")(B + "/pyfetch"))
await attempt("pyodide.http.pyxhr", lambda: from_pyodide_http("pyxhr").get(B + "/pyxhr"))
await attempt("pyodide.http.open_url", lambda: from_pyodide_http("open_url")(B + "/open_url"))
await attempt("XMLHttpRequest", lambda: js.XMLHttpRequest.new())
await attempt("WebSocket", lambda: js.WebSocket.new(B.replace("http", "ws") + "/ws"))
await attempt("WebSocketStream", lambda: js.WebSocketStream.new(B.replace("http", "ws") + "/wss"))
await attempt("EventSource", lambda: js.EventSource.new(B + "/events"))
await attempt("WebTransport", lambda: js.WebTransport.new(B.replace("http", "https") + "/wt"))
await attempt("importScripts", lambda: js.importScripts(B + "/importScripts.js"))
await attempt("nested Worker", lambda: js.Worker.new(B + "/worker.js"))
await attempt("SharedWorker", lambda: js.SharedWorker.new(B + "/shared.js"))
await attempt("caches.open", lambda: js.caches.open("x"))
await attempt("indexedDB", lambda: js.indexedDB.open("x"))
await attempt("BroadcastChannel", lambda: js.BroadcastChannel.new("x"))
await attempt("FontFace.load", lambda: js.FontFace.new("x", "url(" + B + "/font.woff2)").load())
def via_font_set():
    face = js.FontFace.new("y", "url(" + B + "/fontset.woff2)")
    js.fonts.add(face)
    return js.fonts.load("12px y")
await attempt("fonts.load", via_font_set)
await attempt("Notification", lambda: js.Notification.new("x", js.Object.fromEntries([["icon", B + "/icon.png"]])))
await attempt("navigator.serviceWorker", lambda: js.navigator.serviceWorker.register(B + "/sw.js"))
await attempt("fetchLater", lambda: js.fetchLater(B + "/fetch-later"))
await attempt("navigator.sendBeacon", lambda: js.navigator.sendBeacon(B + "/beacon", "x"))
await attempt("fetch from the global's prototype chain", lambda: js.Reflect.get(js.Object.getPrototypeOf(js.Object.getPrototypeOf(js.self)), "fetch").call(js.self, B + "/proto-fetch"))
await attempt("webkitRequestFileSystem", lambda: js.webkitRequestFileSystem(0, 1024))
await attempt("Function constructor", lambda: js.Object.constructor("return fetch('" + B + "/function')")())
await attempt("js.eval", lambda: js.eval("fetch('" + B + "/eval')"))
# A string handler raises nothing when the policy refuses it: the other origin's log decides.
js.setTimeout("fetch('" + B + "/settimeout'); import('" + B + "/settimeout.mjs')", 0)
results["setTimeout with a string"] = "scheduled (the other origin's log decides)"
await attempt("Reflect.construct(Function)", lambda: js.Reflect.construct(js.Object.constructor, js.Array.of("return import('" + B + "/reflect.mjs')"))())
def via_run_js_import():
    from pyodide.code import run_js
    return run_js("import('" + B + "/module.mjs')")
await attempt("import() via run_js", via_run_js_import)
await attempt("import() via Function", lambda: js.Object.constructor("return import('" + B + "/fn-module.mjs')")())
# loadPackage reports a failed download on the console and resolves with what it loaded.
async def via_load_package():
    import pyodide_js
    loaded = await pyodide_js.loadPackage(B + "/pkg-1.0-py3-none-any.whl")
    if len(loaded) == 0:
        raise RuntimeError("nothing loaded")
await attempt("pyodide.loadPackage(url)", via_load_package)
results
`;

// Python's walk of the worker's global and navigator: [name, inert] for every own member of each
// level of the prototype chain below the root (the realm's Object.prototype).
const REALM_WALK = `
import js
from pyodide.ffi import JsProxy

def walk(target):
    names, levels, level = [], 0, target
    while levels < 16:
        parent = js.Object.getPrototypeOf(level)
        if not isinstance(parent, JsProxy):
            break  # level is the root
        levels += 1
        for key in js.Reflect.ownKeys(level):
            d = js.Object.getOwnPropertyDescriptor(level, key)
            inert = (not d.configurable) and js.Reflect.has(d, "value") and not d.writable and not isinstance(d.value, JsProxy)
            names.append([key if isinstance(key, str) else "[" + str(key.description) + "]", bool(inert)])
        level = parent
    return names, levels

g, levels = walk(js.self)
n, _ = walk(js.navigator)
{"global": g, "navigator": n, "levels": levels}
`;

// The attack scripts' shared start: each attempt's outcome, "REACHED: ..." when the call returned.
const ATTEMPT = `
import js, inspect
results = {}

async def attempt(name, action):
    try:
        value = action()
        if inspect.isawaitable(value):
            value = await value
        results[name] = "REACHED: " + str(value)[:80]
    except Exception as e:
        results[name] = "blocked:" + type(e).__name__ + ":" + str(e)[:100]
`;

// Every road hostile Python has to the origin's storage. "REACHED" means the call returned.
const STORAGE_ATTACKS = `${ATTEMPT}
async def opfs_read():
    root = await js.navigator.storage.getDirectory()
    handle = await root.getFileHandle("${APP.file}")
    return await (await handle.getFile()).text()
async def opfs_list():
    root = await js.navigator.storage.getDirectory()
    return [entry async for entry in root.keys()]
async def opfs_write():
    root = await js.navigator.storage.getDirectory()
    handle = await root.getFileHandle("planted-by-python.txt", js.JSON.parse('{"create": true}'))
    writable = await handle.createWritable()
    await writable.write("x")
    await writable.close()
async def opfs_delete():
    root = await js.navigator.storage.getDirectory()
    await root.removeEntry("${APP.file}")
async def opfs_via_self():
    return await js.self.navigator.storage.getDirectory()
async def opfs_via_prototype():
    manager = js.Object.getPrototypeOf(js.navigator)
    return await js.Reflect.get(manager, "storage").getDirectory()
async def bucket_list():
    return await js.navigator.storageBuckets.keys()
async def bucket_file():
    bucket = await js.navigator.storageBuckets.open("${APP.bucket}")
    root = await bucket.getDirectory()
    return await (await (await root.getFileHandle("${APP.file}")).getFile()).text()
async def bucket_idb():
    bucket = await js.navigator.storageBuckets.open("${APP.bucket}")
    return bucket.indexedDB.open("${APP.db}")
async def bucket_caches():
    bucket = await js.navigator.storageBuckets.open("${APP.bucket}")
    return await bucket.caches.keys()
async def bucket_delete():
    return await js.navigator.storageBuckets.delete("${APP.bucket}")

await attempt("OPFS read", opfs_read)
await attempt("OPFS list", opfs_list)
await attempt("OPFS write", opfs_write)
await attempt("OPFS delete", opfs_delete)
await attempt("OPFS via self.navigator", opfs_via_self)
await attempt("OPFS via navigator's prototype", opfs_via_prototype)
await attempt("storage buckets: list", bucket_list)
await attempt("storage buckets: read a file", bucket_file)
await attempt("storage buckets: indexedDB", bucket_idb)
await attempt("storage buckets: caches", bucket_caches)
await attempt("storage buckets: delete", bucket_delete)
await attempt("indexedDB.open", lambda: js.indexedDB.open("${APP.db}"))
await attempt("indexedDB.databases", lambda: js.indexedDB.databases())
await attempt("caches.keys", lambda: js.caches.keys())
await attempt("caches.delete", lambda: js.caches.delete("${APP.cache}"))
await attempt("cookieStore.getAll", lambda: js.cookieStore.getAll())
await attempt("quota and usage (storage.estimate)", lambda: js.navigator.storage.estimate())
await attempt("storage.persisted", lambda: js.navigator.storage.persisted())
await attempt("webkitRequestFileSystem", lambda: js.webkitRequestFileSystem(0, 1024))
await attempt("localStorage", lambda: js.localStorage.getItem("x"))
await attempt("IDBFactory from an interface object", lambda: js.IDBFactory.prototype.open)
await attempt("FileSystemDirectoryHandle interface", lambda: js.FileSystemDirectoryHandle.prototype.getFileHandle)
results
`;

// Every road hostile Python has to the origin's other contexts: locks, channels, workers.
const COORDINATION_ATTACKS = `${ATTEMPT}
import asyncio

def hold_lock():
    # Resolves only when released: held forever if it were granted.
    js.navigator.locks.request("${APP.lock}", lambda lock: asyncio.Future())
    return "requested"
await attempt("Web Locks: hold the app's lock", hold_lock)
await attempt("Web Locks: steal the app's lock", lambda: js.navigator.locks.request("${APP.lock}", js.JSON.parse('{"steal": true}'), lambda lock: 1))
await attempt("Web Locks: query the app's lock names", lambda: js.navigator.locks.query())
await attempt("Web Locks via navigator's prototype", lambda: js.Reflect.get(js.Object.getPrototypeOf(js.navigator), "locks").query())
await attempt("BroadcastChannel", lambda: js.BroadcastChannel.new("${APP.channel}").postMessage("from python"))
await attempt("MessageChannel", lambda: js.MessageChannel.new())
await attempt("SharedWorker", lambda: js.SharedWorker.new("/js_bridge/worker.mjs"))
await attempt("navigator.serviceWorker.ready", lambda: js.navigator.serviceWorker.ready)
await attempt("navigator.permissions.query", lambda: js.navigator.permissions.query(js.JSON.parse('{"name": "persistent-storage"}')))
results
`;

/** Put the app's own state in place, where the engine has the API (once per page). */
async function plantAppState() {
  if (navigator.storage?.getDirectory) {
    const root = await navigator.storage.getDirectory();
    const writable = await (await root.getFileHandle(APP.file, { create: true })).createWritable();
    await writable.write(APP.secret);
    await writable.close();
  }
  const buckets = /** @type {any} */ (navigator).storageBuckets;
  if (buckets) {
    const bucket = await buckets.open(APP.bucket);
    const writable = await (await (await bucket.getDirectory()).getFileHandle(APP.file, { create: true })).createWritable();
    await writable.write(APP.secret);
    await writable.close();
  }
  if (typeof indexedDB !== "undefined") {
    await new Promise((resolve) => {
      const request = indexedDB.open(APP.db, 1);
      request.onsuccess = () => { request.result.close(); resolve(null); };
      request.onerror = () => resolve(null);
    });
  }
  if (typeof caches !== "undefined") await caches.open(APP.cache).catch(() => null);
}

/** What the app's state looks like now, to compare before and after the attacks. */
async function appStateSnapshot() {
  const state = {};
  if (navigator.storage?.getDirectory) {
    const root = await navigator.storage.getDirectory();
    const names = [];
    for await (const name of /** @type {any} */ (root).keys()) names.push(name);
    state.opfs = names.sort();
    state.secret = await (await (await root.getFileHandle(APP.file)).getFile()).text() === APP.secret;
  }
  const buckets = /** @type {any} */ (navigator).storageBuckets;
  if (buckets) {
    state.buckets = (await buckets.keys()).sort();
    const root = await (await buckets.open(APP.bucket)).getDirectory();
    state.bucketSecret = await (await (await root.getFileHandle(APP.file)).getFile()).text() === APP.secret;
  }
  if (typeof indexedDB !== "undefined" && indexedDB.databases) state.databases = (await indexedDB.databases()).map((db) => db.name).sort();
  if (typeof caches !== "undefined") state.caches = (await caches.keys().catch(() => ["<unavailable>"])).sort();
  return state;
}

/**
 * Stop a busy run by its timeout, which ends in a fresh worker; the suite then runs in that one.
 * The page hands it the copy of the snapshot it verified at the start (snapshot_source.mjs).
 * @param {any} rt
 */
async function restartWorker(rt) {
  const stopped = await rt.runPythonAsync("while True:\n    pass", { timeout: 300 }).catch((error) => error);
  const value = await rt.runPythonAsync("1 + 1");
  const handouts = events.filter((e) => e.type === "worker.snapshot").map((e) => e.reused);
  const boots = events.filter((e) => String(e.type).startsWith("snapshot.")).map((e) => e.type);
  check("a restart restores the page's verified copy of the snapshot",
    stopped?.stage === "restart" && value === 2 && JSON.stringify(handouts) === "[false,true]"
      && JSON.stringify(boots) === JSON.stringify(["snapshot.restored", "snapshot.restored"]),
    { stage: stopped?.stage, value, handouts, boots });
}

async function workerSuite() {
  await plantAppState();
  let rt;
  try {
    rt = await start("worker");
  } catch (error) {
    check("worker starts", false, { name: error?.name, message: String(error?.message) });
    return;
  }
  if (RESTART) await restartWorker(rt);
  const isolation = events.findLast((e) => e.type === "worker.isolation");
  // A door this engine does not have is named, not skipped: it was absent before revocation.
  const revoked = isolation?.revoked ?? [];
  const closed = isolation?.closed ?? [];
  // The event shows at most 40 names of a list (console_host.mjs): name the absent doors only
  // when both lists are whole.
  const whole = revoked.length < 40 && closed.length < 40;
  const absent = whole ? [
    ...DOORS.filter((name) => !revoked.includes(name)),
    ...NAVIGATOR_DOORS.map((name) => `navigator.${name}`).filter((name) => !closed.includes(name)),
  ] : [];
  check("worker starts", true, { shape: isolation?.shape, revoked, closed, absent });
  checkBoot();
  const run = (code) => rt.runPythonAsync(code);
  await run(OUTCOME);

  await attempt("allowed GET and POST reach the granted origin", async () => {
    const got = await run(`[await outcome("${API}/items?q=1"),
 await outcome("${API}/items", method="POST", body="hello", headers={"content-type": "text/plain"})]`);
    check("allowed GET and POST reach the granted origin", got[0].status === 200 && JSON.parse(got[1].body).body_bytes === 5, got);
  });

  await attempt("denials never leave the page", async () => {
    const got = await run(`[await outcome("${OTHER}/steal"),
 await outcome("${API}/x", method="DELETE"),
 await outcome("${API}/x", credentials="include"),
 await outcome("${API}/x", headers=[("x-a", "1")] * 5),
 await outcome("${API}/x", headers={"x-a": "1\\r\\nHost: evil"}),
 await outcome("${API}/x", headers={"cookie": "a=b"}),
 await outcome("${API}/x", method="POST", body="x" * 2048),
 await outcome("${API}/x", method="GET", body="x"),
 await outcome("javascript:alert(1)"),
 await outcome("${API.replace("http://", "http://user:pw@")}/x")]`);
    const want = ["origin_denied", "method_denied", "credentials_denied", "header_count_exceeded", "invalid_header",
      "forbidden_header", "body_too_large", "body_not_allowed", "scheme_denied", "userinfo_denied"];
    check("denials never leave the page", JSON.stringify(got.map((o) => o.denied)) === JSON.stringify(want), got);
  });

  await attempt("a redirect to the other origin is refused", async () => {
    const got = await run(`await outcome("${API}/redirect?to=${encodeURIComponent(`${OTHER}/landing`)}")`);
    check("a redirect to the other origin is refused", got.error === "redirect_denied", got);
  });

  await attempt("timeout, response cap and cancellation", async () => {
    const got = await run(`
timeout = await outcome("${API}/slow?ms=1000", timeout=0.5)
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
    const ok = got[0].error === "timeout" && got[1].error === "response_too_large" && got[2].error === "response_too_large" && got[3] === true;
    check("timeout, response cap and cancellation", ok, got);
  });

  await attempt("existing HTTP code goes through the authority", async () => {
    // pyfetch is async everywhere; open_url is synchronous, so it needs a way to block (JSPI).
    // Where the engine has none it must say so and send nothing; it never bypasses the policy.
    const got = await run(`
from pyodide.http import pyfetch, open_url
from browser_rt.compat.sync import SyncWaitUnavailable, sync_wait_support

async def via_pyfetch(url):
    try:
        return (await pyfetch(url)).status
    except FetchDenied as e:
        return e.reason

def via_open_url(url):
    try:
        return open_url(url).read()[:1]
    except FetchDenied as e:
        return e.reason
    except SyncWaitUnavailable as e:
        return "sync wait unavailable: " + str(e)[:300]

{"support": sync_wait_support(),
 "pyfetch": [await via_pyfetch("${API}/items?via=pyfetch"), await via_pyfetch("${OTHER}/pyfetch")],
 "open_url": [via_open_url("${API}/items?via=open_url"), via_open_url("${OTHER}/open-url")]}`);
    const sync = got.support.jspi
      ? got.open_url[0] === "{" && got.open_url[1] === "origin_denied"
      : got.open_url.every((outcome) => String(outcome).startsWith("sync wait unavailable: ") && String(outcome).includes("JSPI"));
    check("existing HTTP code goes through the authority", got.pyfetch[0] === 200 && got.pyfetch[1] === "origin_denied" && sync, got);
  });

  await attempt("every revoked door is gone from Python's view", async () => {
    // The policy would still stop most of them; this checks the revocation itself.
    const left = await run(`
import js
[name for name in ${JSON.stringify(DOORS)} if getattr(js, name, None) is not None] + [
    "navigator." + name for name in ${JSON.stringify(NAVIGATOR_DOORS)} if getattr(js.navigator, name, None) is not None]`);
    check("every revoked door is gone from Python's view", left.length === 0, { left });
  });

  await attempt("the worker's realm holds only its allowlist", async () => {
    // Python walks every own member of the worker's global and of navigator, along the whole
    // prototype chain, as hostile code would; any name neither allowlisted nor inert fails.
    const found = await run(REALM_WALK);
    const unlisted = [
      ...found.global.filter(([name, inert]) => !inert && !Object.hasOwn(GLOBAL_ALLOWLIST, name) && name !== "[Symbol.toStringTag]"),
      ...found.navigator.filter(([name, inert]) => !inert && !Object.hasOwn(NAVIGATOR_ALLOWLIST, name) && name !== "[Symbol.toStringTag]")
        .map(([name, inert]) => [`navigator.${name}`, inert]),
    ].map(([name]) => name);
    const doorsListed = [...DOORS.filter((name) => Object.hasOwn(GLOBAL_ALLOWLIST, name)),
      ...NAVIGATOR_DOORS.filter((name) => Object.hasOwn(NAVIGATOR_ALLOWLIST, name)).map((name) => `navigator.${name}`)];
    check("the worker's realm holds only its allowlist", found.global.length > 20 && unlisted.length === 0 && doorsListed.length === 0,
      { unlisted, doorsListed, global: found.global.length, navigator: found.navigator.length, levels: found.levels });
  });

  await attempt("the origin's storage is out of reach", async () => {
    const before = await appStateSnapshot();
    const got = await run(STORAGE_ATTACKS);
    const reached = Object.entries(got).filter(([, outcome]) => outcome.startsWith("REACHED")).map(([name]) => name);
    const after = await appStateSnapshot();
    const untouched = JSON.stringify(before) === JSON.stringify(after);
    check("the origin's storage is out of reach", reached.length === 0 && untouched && Object.keys(got).length >= 20,
      { reached, untouched, before, after, outcomes: got });
  });

  await attempt("the origin's other contexts are out of reach", async () => {
    /** @type {unknown[]} */
    const heard = [];
    const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(APP.channel) : null;
    if (channel) channel.onmessage = (event) => heard.push(event.data);
    const got = await run(COORDINATION_ATTACKS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    channel?.close();
    const reached = Object.entries(got).filter(([, outcome]) => outcome.startsWith("REACHED")).map(([name]) => name);
    // The app still gets its own lock at once: nothing in the worker took or holds it.
    const appGotLock = navigator.locks
      ? await navigator.locks.request(APP.lock, { ifAvailable: true }, async (lock) => lock !== null)
      : true;
    const held = navigator.locks ? (await navigator.locks.query()).held?.map((lock) => lock.name) ?? [] : [];
    check("the origin's other contexts are out of reach", reached.length === 0 && heard.length === 0 && appGotLock && held.length === 0,
      { reached, heard, appGotLock, held, outcomes: got });
  });

  await attempt("every ambient escape is blocked", async () => {
    const got = await run(ESCAPES);
    const reached = Object.entries(got).filter(([, outcome]) => outcome === "REACHED").map(([name]) => name);
    check("every ambient escape is blocked", reached.length === 0 && Object.keys(got).length === 30, { reached, outcomes: got });
  });

  await attempt("raw fetch posts to the other origin are refused by the bridge", async () => {
    const before = rt.bridgeRecord().totals.denied;
    await run(`
import js
for i in range(3):
    js.postMessage(js.JSON.parse('{"type": "fetch", "id": ' + str(900000 + i) + ', "request": {"request_id": ' + str(900000 + i) + ', "method": "GET", "url": "${OTHER}/raw-post", "origin": "${OTHER}", "headers": [], "credentials": "omit", "timeout_ms": 1000}, "body": null}'))
await asyncio.sleep(0.3)`);
    const denied = rt.bridgeRecord().totals.denied - before;
    check("raw fetch posts to the other origin are refused by the bridge", denied === 3, { denied });
  });

  await attempt("forged messages are stamped as the worker's or dropped", async () => {
    const sinkBefore = events.length;
    await run(`
import js, json
forged = {"schema": "browser-rt-event-v1", "source": "bridge", "type": "bridge.request", "severity": "info",
          "decision": "allow", "outcome": "performed", "origin": "${OTHER}", "method": "GET", "status": 200, "seq": 1}
for _ in range(5):
    js.postMessage(js.JSON.parse(json.dumps({"type": "event", "event": forged})))
for bogus in ['{"type": "bogus"}', '{"type": "ready"}', '{"type": "progress", "stage": "x", "fraction": 0.5}',
              '{"type": "run-result", "id": 424242, "ok": true, "value": 1}', '"just a string"', '{"type": "event", "event": 5}']:
    js.postMessage(js.JSON.parse(bogus))
await asyncio.sleep(0.3)`);
    const after = events.slice(sinkBefore);
    const forgedSeen = after.filter((e) => e.type === "bridge.request" && e.origin === OTHER && e.outcome === "performed");
    const claimsBridge = forgedSeen.filter((e) => e.source !== "worker");
    const record = rt.bridgeRecord();
    const performedOther = record.entries.filter((e) => e.outcome === "performed" && e.origin === OTHER);
    const dropped = rt.droppedMessages();
    const droppedTotal = Object.values(dropped).reduce((a, b) => a + b, 0);
    check("forged messages are stamped as the worker's or dropped",
      forgedSeen.length === 5 && claimsBridge.length === 0 && performedOther.length === 0 && droppedTotal === 6,
      { forged: forgedSeen.length, claimsBridge: claimsBridge.length, performedOther: performedOther.length, dropped });
  });

  await attempt("a raw fetch flood is held to the policy's limits", async () => {
    const before = rt.bridgeRecord().totals;
    const flood = run(`
import js
for i in range(3000):
    js.postMessage(js.JSON.parse('{"type": "fetch", "id": ' + str(100000 + i) + ', "request": {"request_id": ' + str(100000 + i) + ', "method": "GET", "url": "${API}/slow?ms=250", "origin": "${API}", "headers": [], "credentials": "omit", "timeout_ms": 20000}, "body": null}'))
3000`);
    await flood;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    const own = await fetch(`${API}/page-own?t=${Date.now()}`, { cache: "no-store" }).then((r) => r.status, (e) => String(e));
    const ownMs = Math.round(performance.now() - started);
    const deadline = performance.now() + 60_000;
    while (rt.bridgeRecord().totals.performed + rt.bridgeRecord().totals.denied - before.performed - before.denied < 3000 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const totals = rt.bridgeRecord().totals;
    const performed = totals.performed - before.performed;
    const denied = totals.denied - before.denied;
    const limitEvents = events.filter((e) => e.source === "bridge" && e.reason === "rate_limited").length;
    const droppedSummaries = events.filter((e) => e.type === "diagnostics.dropped").length;
    const ok = own === 200 && ownMs < 2000 && performed + denied === 3000 && denied > 0 && limitEvents > 0;
    check("a raw fetch flood is held to the policy's limits", ok, { own, ownMs, performed, denied, limitEvents, droppedSummaries });
  });

  await attempt("1,000 concurrent polite fetches succeed or are denied rate_limited", async () => {
    const got = await run(`
from collections import Counter
outcomes = await asyncio.gather(*[outcome("${API}/polite?i=%d" % i) for i in range(1000)])
Counter(str(o.get("status") or o.get("denied") or o.get("error")) for o in outcomes)`);
    const kinds = Object.keys(got);
    check("1,000 concurrent polite fetches succeed or are denied rate_limited",
      kinds.every((kind) => kind === "200" || kind === "rate_limited") && (got["200"] ?? 0) > 0, got);
  });

  const foreign = performance.getEntriesByType("resource").map((entry) => entry.name)
    .filter((url) => !url.startsWith(`${location.origin}/`) && !url.startsWith(`${API}/`) && !url.startsWith("blob:") && !url.startsWith("data:"));
  check("the page loaded nothing from a foreign origin", foreign.length === 0, { foreign });
  const record = rt.bridgeRecord();
  // The spec compares these totals with what the granted server logged.
  check("the bridge record counts every request", record.totals.performed > 0, record.totals);
  check("the bridge record carries no path, query, header or body",
    record.entries.every((entry) => !JSON.stringify(entry).includes("/slow") && !JSON.stringify(entry).includes("q=1")),
    { sample: record.entries.slice(-3), totals: record.totals });
  await rt.close();
}

async function pageSuite() {
  const rt = await start("page");
  checkBoot();
  const ambient = events.find((e) => e.type === "runtime.ambient_paths");
  const paths = ambient?.paths ?? [];
  // The report comes from the worker's allowlist: the page's own doors to its storage and its
  // other contexts are named, and there are as many open members as the allowlist leaves.
  const pageDoors = ["js.document", "js.navigator.locks", "js.localStorage", "js.indexedDB"];
  const openHere = openMembers(globalThis);
  check("page mode reports the ambient paths it cannot close",
    ambient?.severity === "warn" && ["js.fetch", "js.XMLHttpRequest", "js.Function"].every((p) => paths.includes(p))
      && pageDoors.every((p) => paths.includes(p))
      && ambient.path_count >= openHere.length && openHere.includes("js.navigator.locks")
      // browser_rt.compat sends pyfetch, pyxhr and open_url through the Cx: no longer ambient.
      && !paths.some((p) => p.startsWith("pyodide.http.")),
    { paths, path_count: ambient?.path_count, open_here: openHere.length });
  await rt.close();
}

async function refusalSuite() {
  try {
    const rt = await start("worker");
    await rt.close();
    check("worker mode refuses to start without a provable policy", false, "it started");
  } catch (error) {
    const message = String(error?.message);
    check("worker mode refuses to start without a provable policy",
      error?.name === "WorkerIsolationError" && message.includes("browser-rt policy csp"), { name: error?.name, message });
  }
}

const suites = { worker: workerSuite, page: pageSuite, refusal: refusalSuite };
try {
  await (suites[MODE] ?? (() => check("known mode", false, MODE)))();
} catch (error) {
  check("suite ran to the end", false, String(error?.stack ?? error));
}
const results = document.getElementById("results");
results.textContent = JSON.stringify({ engine: navigator.userAgent, mode: MODE, checks }, null, 1);
results.dataset.state = "done";
status.value = "done";
