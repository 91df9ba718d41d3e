// @ts-check
/**
 * The browser_rt worker: boots Pyodide, then removes every network and code-loading primitive
 * from this worker's global scope before any user code runs. From then on the only way out is
 * postMessage to the page's fetch bridge, which re-checks each request against the frozen policy.
 * Dynamic import() cannot be removed (it is syntax); the CSP served with this script stops it.
 */
import { bootPython, makeEmbedded, toPlainResult } from "./python_setup.mjs";

/** Globals that reach the network, start other code, or keep data across origins. */
export const REVOKED_GLOBALS = Object.freeze([
  "fetch", "XMLHttpRequest", "WebSocket", "WebSocketStream", "EventSource", "WebTransport",
  "importScripts", "Worker", "SharedWorker", "caches", "indexedDB", "RTCPeerConnection",
  "RTCDataChannel", "webkitRTCPeerConnection", "BroadcastChannel", "fetchLater",
]);

const post = self.postMessage.bind(self);
/** @type {Map<number, (value: any) => void>} */
const replies = new Map();
let nextReply = 1;
/** @type {any} */
let embedded = null;

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

/** @param {object} message @param {Transferable[]} [transfer] */
function send(message, transfer = []) {
  post(message, transfer);
}

/** @param {Record<string, unknown>} message */
function request(message) {
  const id = nextReply++;
  return new Promise((resolve) => {
    replies.set(id, resolve);
    send({ ...message, id });
  });
}

const bridgeForPython = Object.freeze({
  /** @param {any} req @param {Uint8Array | null} body */
  perform(req, body) {
    const plain = { ...req, headers: Array.from(req.headers ?? [], (pair) => [String(pair[0]), String(pair[1])]) };
    return request({ type: "fetch", request: plain, body: body ? new Uint8Array(body) : null });
  },
  /** @param {number} requestId */
  abort(requestId) {
    return request({ type: "abort", requestId });
  },
});

/** @param {any} data */
async function init(data) {
  const pyodide = await bootPython(new URL(data.indexURL), (stage, fraction) => send({ type: "progress", stage, fraction }));
  const originals = REVOKED_GLOBALS.map((name) => /** @type {any} */ (self)[name]).filter((value) => value !== undefined);
  const revoked = revokeAmbient(self);
  const revocation = pyodide.pyimport("browser_rt.host.revocation");
  const scrubbed = revocation.forget_revoked(originals).toJs();
  revocation.destroy();
  embedded = makeEmbedded(pyodide, {
    policy: data.policy,
    bridge: bridgeForPython,
    hostEvent: (event) => send({ type: "event", event: toPlainResult(event) }),
    diagnostics: data.diagnostics,
    isolation: "worker",
  });
  send({ type: "ready", revoked, scrubbed });
}

/** @param {any} data */
async function run(data) {
  try {
    const value = toPlainResult(await embedded.run_code(String(data.code)));
    try {
      send({ type: "run-result", id: data.id, ok: true, value });
    } catch {
      send({ type: "run-result", id: data.id, ok: true, value: String(value) });
    }
  } catch (error) {
    const err = /** @type {Error} */ (error);
    send({ type: "run-result", id: data.id, ok: false, name: err?.name ?? "Error", message: String(err?.message ?? err) });
  }
}

self.onmessage = (/** @type {MessageEvent} */ { data }) => {
  if (!data || typeof data !== "object") return;
  if (data.type === "init") {
    init(data).catch((error) => send({ type: "init-error", message: String(error?.message ?? error) }));
  } else if (data.type === "run" && embedded) {
    run(data);
  } else if ((data.type === "fetch-result" || data.type === "abort-done") && replies.has(data.id)) {
    const resolve = replies.get(data.id);
    replies.delete(data.id);
    resolve?.(data.type === "fetch-result" ? data.result : true);
  }
};
