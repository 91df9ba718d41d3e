// @ts-check
/**
 * What the worker removes from its own realm before user code runs, and the proof it runs first
 * that the realm's CSP is in force. It mirrors browser_rt/host/revocation.py, which forgets the
 * Python references to the same objects. Imported by worker.mjs; the check pages import it too,
 * to name the doors an engine does not have.
 */

/**
 * Globals that reach the network, load resources, start other code, or keep data across
 * origins. Each is gone from the whole prototype chain before user code runs:
 * - fetch, XMLHttpRequest, WebSocket, WebSocketStream, EventSource, WebTransport, fetchLater:
 *   requests and connections;
 * - importScripts, Worker, SharedWorker: code from a URL, or a realm with a policy of its own;
 * - FontFace, fonts: `new FontFace(name, "url(...)").load()` and the worker's FontFaceSet load
 *   fonts from any URL the policy's font-src allows;
 * - Notification: its icon, image and badge are fetched by the browser;
 * - caches (Cache.add fetches), indexedDB, BroadcastChannel: storage and channels shared with
 *   other contexts of the origin;
 * - RTCPeerConnection, RTCDataChannel, webkitRTCPeerConnection: peer connections.
 */
export const REVOKED_GLOBALS = Object.freeze([
  "fetch", "XMLHttpRequest", "WebSocket", "WebSocketStream", "EventSource", "WebTransport",
  "importScripts", "Worker", "SharedWorker", "caches", "indexedDB", "RTCPeerConnection",
  "RTCDataChannel", "webkitRTCPeerConnection", "BroadcastChannel", "fetchLater",
  "FontFace", "fonts", "Notification",
]);

/**
 * Members of `navigator` that load code or resources: a service worker registration fetches a
 * script that then runs outside this worker's policy (Firefox and WebKit expose it to workers).
 */
export const REVOKED_NAVIGATOR = Object.freeze(["serviceWorker"]);

/** A foreign origin on a port the Fetch standard blocks: a probe import never leaves the machine. */
const FOREIGN_PROBE_URL = "http://127.0.0.1:9/browser-rt-isolation-probe.mjs";
/** How long to wait for the probe's violation report, where the engine sends them. */
const VIOLATION_WAIT_MS = 2000;

/**
 * Delete each name along the prototype chain (fetch lives on WorkerGlobalScope.prototype) and
 * refuse to start if any survives.
 * @param {object} scope
 * @returns {string[]} the names that existed and are now gone
 */
export function revokeAmbient(scope) {
  const revoked = [];
  for (const name of REVOKED_GLOBALS) {
    const existed = name in scope;
    for (let obj = scope; obj; obj = Object.getPrototypeOf(obj)) {
      if (Object.prototype.hasOwnProperty.call(obj, name)) delete /** @type {any} */ (obj)[name];
    }
    if (name in scope) throw new Error(`could not remove ${name} from the worker scope`);
    if (reachableThroughFunction(name)) throw new Error(`${name} is still reachable`);
    if (existed) revoked.push(name);
  }
  return revoked;
}

/**
 * Remove each member of REVOKED_NAVIGATOR from `navigator` and its prototype chain.
 * @param {object | undefined} navigatorObject
 * @returns {string[]} the members that existed and are now gone
 */
export function revokeNavigator(navigatorObject) {
  if (!navigatorObject) return [];
  const closed = [];
  for (const name of REVOKED_NAVIGATOR) {
    const existed = name in navigatorObject;
    for (let obj = navigatorObject; obj; obj = Object.getPrototypeOf(obj)) {
      if (Object.prototype.hasOwnProperty.call(obj, name)) delete /** @type {any} */ (obj)[name];
    }
    if (name in navigatorObject) throw new Error(`could not remove navigator.${name} from the worker scope`);
    if (existed) closed.push(`navigator.${name}`);
  }
  return closed;
}

/**
 * Prove, in this realm and before anything else runs, that the engine enforces a CSP that
 * blocks string evaluation and script loads from data: URLs and foreign origins. The page has
 * already checked the policy's text (worker_policy.mjs); this checks that it is in force here,
 * which is what a blob: worker in an engine that does not inherit the page's policy would fail.
 * Where the engine reports CSP violations in workers (Chromium, Firefox), a foreign import must
 * be reported as one; where it does not (WebKitGTK 2.50), the text check stands for it.
 * @returns {Promise<string[]>} what is not blocked; empty when the realm holds
 */
export async function proveIsolation() {
  /** @type {string[]} */
  const violations = [];
  const onViolation = (/** @type {any} */ event) => violations.push(String(event.blockedURI ?? ""));
  self.addEventListener("securitypolicyviolation", onViolation);
  const problems = [];
  try {
    if (!throwsEvalError(() => new Function("return 1")())) problems.push("the Function constructor evaluates strings");
    if (!throwsEvalError(() => (0, eval)("1"))) problems.push("eval evaluates strings");
    if (await imports("data:text/javascript,export default 1")) problems.push("import() loads data: URLs");
    await imports(FOREIGN_PROBE_URL);
    // Violation events are queued as tasks, and Firefox may queue one after the import has
    // already failed: wait for it a little while, but only where the engine reports them.
    const foreignBlocked = () => violations.some((uri) => uri.startsWith("http://127.0.0.1:9"));
    for (let waited = 0; violations.includes("eval") && !foreignBlocked() && waited < VIOLATION_WAIT_MS; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (violations.includes("eval") && !foreignBlocked()) {
      problems.push("import() of a foreign origin is not blocked by the policy");
    }
  } finally {
    self.removeEventListener("securitypolicyviolation", onViolation);
  }
  return problems;
}

/** @param {() => unknown} action */
function throwsEvalError(action) {
  try {
    action();
    return false;
  } catch (error) {
    return error instanceof EvalError;
  }
}

/** @param {string} url @returns {Promise<boolean>} whether the module loaded */
async function imports(url) {
  try {
    await import(/* webpackIgnore: true */ url);
    return true;
  } catch {
    return false;
  }
}

/**
 * What hostile code would see through the Function constructor. Under a CSP without
 * 'unsafe-eval' the constructor itself is blocked, which closes this path entirely.
 * @param {string} name
 */
function reachableThroughFunction(name) {
  try {
    return new Function(`return typeof ${name}`)() !== "undefined";
  } catch (error) {
    if (error instanceof EvalError) return false;
    throw error;
  }
}
