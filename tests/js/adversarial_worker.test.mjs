// The worker's ambient-authority revocation (js_bridge/revocation.mjs), run on this
// process's real global scope: every network and code-loading global goes, wherever it sits on
// the prototype chain, nothing stays reachable through the Function constructor, and a global
// that cannot be removed stops the worker from starting. The browser-level proof, with Python
// trying every escape under the worker CSP in three engines, is e2e/security.spec.js.
import { test } from "node:test";
import assert from "node:assert/strict";

const { REVOKED_GLOBALS, REVOKED_NAVIGATOR, revokeAmbient, revokeNavigator } = await import("../../js_bridge/revocation.mjs");

test("every revoked global is gone from the whole prototype chain and from Function", () => {
  const scopeProto = Object.getPrototypeOf(globalThis);
  const plant = (target, name) =>
    Object.defineProperty(target, name, { value: function ambient() {}, configurable: true, writable: true });
  // Where a browser keeps them: own properties, the scope's prototype, and deeper.
  plant(globalThis, "WebSocket");
  plant(scopeProto, "XMLHttpRequest");
  plant(scopeProto, "importScripts");
  plant(Object.prototype, "EventSource");
  plant(globalThis, "caches");
  assert.equal(typeof fetch, "function");

  const revoked = revokeAmbient(globalThis);

  for (const name of ["fetch", "WebSocket", "XMLHttpRequest", "importScripts", "EventSource", "caches"]) {
    assert.ok(revoked.includes(name), `${name} reported as revoked`);
  }
  for (const name of REVOKED_GLOBALS) {
    assert.equal(name in globalThis, false, `${name} still in the scope`);
    assert.equal(new Function(`return typeof ${name}`)(), "undefined", `${name} reachable through Function`);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, name), false);
  }
  assert.equal(({}).EventSource, undefined, "nothing is left on Object.prototype");
});

test("a global that cannot be deleted stops the worker from starting", () => {
  Object.defineProperty(globalThis, "WebTransport", { value: function WebTransport() {}, configurable: false });
  assert.throws(() => revokeAmbient(globalThis), /WebTransport|Cannot delete/);
});

test("the revocation list covers every network and code-loading primitive", () => {
  for (const name of ["fetch", "XMLHttpRequest", "WebSocket", "EventSource", "WebTransport", "importScripts",
    "Worker", "SharedWorker", "caches", "indexedDB", "RTCPeerConnection", "BroadcastChannel", "fetchLater",
    "FontFace", "fonts", "Notification"]) {
    assert.ok(REVOKED_GLOBALS.includes(name), name);
  }
  assert.ok(Object.isFrozen(REVOKED_GLOBALS));
});

test("navigator.serviceWorker goes from the navigator and its prototype", () => {
  // Where a browser keeps it: an accessor on WorkerNavigator.prototype.
  const proto = Object.defineProperty({}, "serviceWorker", { get() { return { register() {} }; }, configurable: true });
  const navigator = Object.create(proto);
  assert.deepEqual(revokeNavigator(navigator), ["navigator.serviceWorker"]);
  assert.equal("serviceWorker" in navigator, false);
  assert.deepEqual(revokeNavigator(navigator), [], "nothing left to close the second time");
  assert.ok(REVOKED_NAVIGATOR.includes("serviceWorker"));
  const stuck = Object.create(Object.defineProperty({}, "serviceWorker", { value: {}, configurable: false }));
  assert.throws(() => revokeNavigator(stuck), /serviceWorker/, "one that cannot be removed stops the start");
});
