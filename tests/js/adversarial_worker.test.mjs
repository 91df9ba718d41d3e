// The worker's default-deny realm (js_bridge/revocation.mjs with js_bridge/realm_allowlist.mjs),
// run on scopes shaped like a browser worker's: whatever is not on the allowlist goes, wherever
// it sits on the prototype chain and whatever its name, and a member that cannot be removed
// stops the worker from starting. The browser-level proof, with Python walking the real worker
// global and trying every escape in three engines, is e2e/security.spec.js.
import { test } from "node:test";
import assert from "node:assert/strict";

const { closeRealm } = await import("../../js_bridge/revocation.mjs");
const { GLOBAL_ALLOWLIST, NAVIGATOR_ALLOWLIST, openMembers } = await import("../../js_bridge/realm_allowlist.mjs");

const door = () => function door() {};

/** A worker-shaped global: own members, DedicatedWorkerGlobalScope, WorkerGlobalScope, EventTarget. */
function workerLikeScope() {
  const eventTarget = { addEventListener() {}, removeEventListener() {}, dispatchEvent() {}, when: door() };
  const workerScope = Object.create(eventTarget, {
    fetch: { value: door(), configurable: true, writable: true },
    indexedDB: { get: () => ({ open: door() }), configurable: true },
    setTimeout: { value: setTimeout, configurable: true, writable: true },
    crypto: { get: () => globalThis.crypto, configurable: true },
    navigator: { get: () => navigatorObject, configurable: true },
  });
  const dedicated = Object.create(workerScope, {
    PERSISTENT: { value: 1, configurable: false, writable: false, enumerable: true },
  });
  const navigatorProto = {};
  for (const name of ["userAgent", "language", "storage", "locks", "storageBuckets", "serviceWorker", "someFutureApi"]) {
    Object.defineProperty(navigatorProto, name, { get: () => ({ name }), configurable: true });
  }
  const navigatorObject = Object.create(navigatorProto);
  const scope = Object.create(dedicated, {
    Object: { value: Object, configurable: true, writable: true },
    WebAssembly: { value: WebAssembly, configurable: true, writable: true },
    postMessage: { value: door(), configurable: true, writable: true },
    OPFSLikeThingAnEngineAddsNextYear: { value: door(), configurable: true, writable: true },
    webkitRequestFileSystem: { value: door(), configurable: true, writable: true },
    BroadcastChannel: { value: door(), configurable: true, writable: true },
    [Symbol("unlisted")]: { value: door(), configurable: true },
  });
  return { scope, navigatorObject };
}

test("everything not on the allowlist goes, along the whole chain and from navigator", () => {
  const { scope, navigatorObject } = workerLikeScope();
  assert.ok(openMembers(scope).includes("js.navigator.storage"));
  const { removed, originals } = closeRealm(scope);
  for (const name of ["fetch", "indexedDB", "when", "OPFSLikeThingAnEngineAddsNextYear", "webkitRequestFileSystem",
    "BroadcastChannel", "navigator.storage", "navigator.locks", "navigator.storageBuckets", "navigator.someFutureApi"]) {
    assert.ok(removed.includes(name), `${name} reported as removed`);
  }
  for (const name of ["fetch", "indexedDB", "OPFSLikeThingAnEngineAddsNextYear", "when"]) {
    assert.equal(name in scope, false, `${name} still reachable`);
  }
  for (const name of ["storage", "locks", "storageBuckets", "serviceWorker", "someFutureApi"]) {
    assert.equal(name in navigatorObject, false, `navigator.${name} still reachable`);
  }
  assert.equal(Object.getOwnPropertySymbols(scope).length, 0, "an unlisted symbol-keyed member goes too");
  // What the allowlist keeps is still there, and the inert constant stays.
  for (const name of ["Object", "WebAssembly", "postMessage", "setTimeout", "crypto", "navigator", "addEventListener"]) {
    assert.ok(name in scope, `${name} kept`);
  }
  assert.equal(navigatorObject.userAgent.name, "userAgent");
  assert.equal(scope.PERSISTENT, 1);
  assert.deepEqual(openMembers(scope), []);
  // What the removed getters handed out is given to Python to forget.
  assert.ok(originals.some((value) => value?.name === "storage"));
  assert.deepEqual(closeRealm(scope).removed, [], "nothing left to remove the second time");
});

test("a member that cannot be removed stops the worker from starting", () => {
  const { scope } = workerLikeScope();
  Object.defineProperty(scope, "stuckDoor", { value: door(), configurable: false });
  assert.throws(() => closeRealm(scope), /could not remove from the worker scope: js\.stuckDoor/);
  const other = workerLikeScope();
  Object.defineProperty(Object.getPrototypeOf(other.navigatorObject), "stuck", { get: door(), configurable: false });
  assert.throws(() => closeRealm(other.scope), /js\.navigator\.stuck/);
});

test("the allowlists hold no door to the network, the origin's state or other contexts", () => {
  const doors = ["fetch", "XMLHttpRequest", "WebSocket", "WebSocketStream", "EventSource", "WebTransport", "importScripts",
    "Worker", "SharedWorker", "caches", "indexedDB", "RTCPeerConnection", "RTCDataChannel", "BroadcastChannel", "fetchLater",
    "FontFace", "fonts", "Notification", "webkitRequestFileSystem", "cookieStore", "localStorage", "sessionStorage",
    "Request", "Response", "Blob", "MessageChannel", "location", "onmessage", "close", "scheduler"];
  for (const name of doors) assert.equal(Object.hasOwn(GLOBAL_ALLOWLIST, name), false, name);
  for (const name of ["storage", "storageBuckets", "locks", "serviceWorker", "permissions", "usb", "hid", "serial", "gpu", "connection"]) {
    assert.equal(Object.hasOwn(NAVIGATOR_ALLOWLIST, name), false, `navigator.${name}`);
  }
  for (const [name, reason] of [...Object.entries(GLOBAL_ALLOWLIST), ...Object.entries(NAVIGATOR_ALLOWLIST)]) {
    assert.ok(typeof reason === "string" && reason.length > 10, `${name} has a reason`);
  }
  assert.ok(Object.isFrozen(GLOBAL_ALLOWLIST) && Object.isFrozen(NAVIGATOR_ALLOWLIST));
});
