// @ts-check
/**
 * The browser_rt worker: first proves that its realm runs under a CSP that blocks string
 * evaluation and foreign script loads, then boots Pyodide, then removes every network and
 * resource-loading primitive from this worker's global scope before any user code runs. From
 * then on the only way out is postMessage to the page's fetch bridge, which re-checks each
 * request against the frozen policy. Dynamic import() cannot be removed (it is syntax); the CSP
 * stops it, which is why the worker refuses to start where it cannot prove the CSP is in force.
 */
import { createOutputBatcher } from "./output.mjs";
import { PageMessage, WorkerMessage } from "./protocol.mjs";
import { bootPython, describeFailure, fileOps, fsCall, makeEmbedded, toPlainResult } from "./python_setup.mjs";
import { resolveFsPath } from "./run_options.mjs";

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

const post = self.postMessage.bind(self);
/** @type {Map<number, (value: any) => void>} */
const replies = new Map();
let nextReply = 1;
/** @type {any} */
let embedded = null;
/** @type {ReturnType<typeof fileOps> | null} */
let fs = null;

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
    return request({ type: WorkerMessage.FETCH, request: plain, body: body ? new Uint8Array(body) : null });
  },
  /** @param {number} requestId */
  abort(requestId) {
    return request({ type: WorkerMessage.ABORT, requestId });
  },
});

/** Batches Python's output into few messages (output.mjs). */
const output = createOutputBatcher((stream, lines) => send({ type: WorkerMessage.OUTPUT, stream, lines }));

/** @param {any} data */
async function init(data) {
  // Before Pyodide: nothing but this module has run in the realm yet.
  const unproven = await proveIsolation();
  if (unproven.length > 0) throw new Error(`worker isolation is not in force: ${unproven.join("; ")}`);
  const files = Array.from(data.files ?? [], ([path, bytes]) => /** @type {[string, Uint8Array]} */ ([resolveFsPath(path, "files"), bytes]));
  const pyodide = await bootPython(new URL(data.indexURL), (stage, fraction) => send({ type: WorkerMessage.PROGRESS, stage, fraction }), {
    packages: data.packages ?? [], write: output.write, files,
  });
  if (data.interruptBuffer) pyodide.setInterruptBuffer(data.interruptBuffer);
  fs = fileOps(pyodide);
  const scope = /** @type {any} */ (self);
  const originals = [...REVOKED_GLOBALS.map((name) => scope[name]), ...REVOKED_NAVIGATOR.map((name) => scope.navigator?.[name])]
    .filter((value) => value !== undefined);
  const revoked = revokeAmbient(self);
  const closed = revokeNavigator(/** @type {any} */ (self).navigator);
  const revocation = pyodide.pyimport("browser_rt.host.revocation");
  const scrubbed = revocation.forget_revoked(originals).toJs();
  revocation.destroy();
  embedded = makeEmbedded(pyodide, {
    policy: data.policy,
    bridge: bridgeForPython,
    hostEvent: (event) => send({ type: WorkerMessage.EVENT, event: toPlainResult(event) }),
    diagnostics: data.diagnostics,
    isolation: "worker",
  });
  send({ type: WorkerMessage.READY, revoked, scrubbed, closed });
}

/**
 * Run code or a call and post its result; a failure is described by Python (the user's frames).
 * @param {number} id
 * @param {() => Promise<any>} start
 */
async function answer(id, start) {
  let message;
  try {
    const value = toPlainResult(await start());
    message = { type: WorkerMessage.RUN_RESULT, id, ok: true, value };
  } catch (error) {
    message = { type: WorkerMessage.RUN_RESULT, id, ok: false, error: describeFailure(embedded, id, error) };
  }
  output.flush();
  try {
    send(message);
  } catch {
    send({ type: WorkerMessage.RUN_RESULT, id, ok: true, value: String(message.value) });
  }
}

/** @param {any} data */
function fileOperation(data) {
  const reply = (/** @type {Record<string, unknown>} */ body) => send({ type: WorkerMessage.FS_RESULT, id: data.id, ...body });
  try {
    const path = resolveFsPath(data.path, `fs.${data.op}`);
    if (data.op === "writeFile") {
      fsCall(() => fs.writeFile(path, new Uint8Array(data.data)), "fs.writeFile", path);
      reply({ ok: true, value: null });
    } else if (data.op === "readFile") {
      reply({ ok: true, value: fsCall(() => fs.readFile(path), "fs.readFile", path) });
    } else if (data.op === "listdir") {
      reply({ ok: true, value: fsCall(() => fs.listdir(path), "fs.listdir", path) });
    } else {
      reply({ ok: false, message: `fs: unknown operation ${JSON.stringify(data.op)}` });
    }
  } catch (error) {
    reply({ ok: false, message: String(/** @type {Error} */ (error)?.message ?? error).slice(0, 4096) });
  }
}

self.onmessage = (/** @type {MessageEvent} */ { data }) => {
  if (!data || typeof data !== "object") return;
  if (data.type === PageMessage.INIT) {
    init(data).catch((error) => send({ type: WorkerMessage.INIT_ERROR, message: String(error?.message ?? error).slice(0, 4096) }));
  } else if (data.type === PageMessage.RUN && embedded) {
    answer(data.id, () => embedded.run_code(String(data.code), data.globalsJSON ?? null, String(data.filename ?? "<exec>"), data.id));
  } else if (data.type === PageMessage.CALL && embedded) {
    answer(data.id, () => embedded.call(String(data.spec), String(data.argsJSON), data.id));
  } else if (data.type === PageMessage.CANCEL_RUN && embedded) {
    embedded.cancel_run(data.id);
  } else if (data.type === PageMessage.FS && fs) {
    fileOperation(data);
  } else if ((data.type === PageMessage.FETCH_RESULT || data.type === PageMessage.ABORT_DONE) && replies.has(data.id)) {
    const resolve = replies.get(data.id);
    replies.delete(data.id);
    resolve?.(data.type === PageMessage.FETCH_RESULT ? data.result : true);
  }
};
