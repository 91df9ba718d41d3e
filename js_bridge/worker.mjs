// @ts-check
/**
 * The browser_rt worker: first proves that its realm runs under a CSP that blocks string
 * evaluation and foreign script loads, then boots Pyodide, then removes every network and
 * resource-loading primitive from this worker's global scope before any user code runs. From
 * then on the only way out is postMessage to the page's fetch bridge, which re-checks each
 * request against the frozen policy. Dynamic import() cannot be removed (it is syntax); the CSP
 * stops it, which is why the worker refuses to start where it cannot prove the CSP is in force.
 */
import { replyCapacity, waitForBlockingReply } from "./blocking_reply.mjs";
import { createOutputBatcher } from "./output.mjs";
import { PageMessage, WorkerMessage } from "./protocol.mjs";
import { bootPython, describeFailure, fileOps, fsCall, makeEmbedded, onFatal, toPlainResult } from "./python_setup.mjs";
import { closeRealm, proveIsolation } from "./revocation.mjs";
import { resolveFsPath } from "./run_options.mjs";

const post = self.postMessage.bind(self);
/** @type {Map<number, (value: any) => void>} */
const replies = new Map();
let nextReply = 1;
/** @type {any} */
let embedded = null;
/** @type {ReturnType<typeof fileOps> | null} */
let fs = null;

/** @param {object} message @param {Transferable[]} [transfer] */
function send(message, transfer = []) {
  post(message, transfer);
}

/** @param {Record<string, unknown>} message @param {Transferable[]} [transfer] */
function request(message, transfer = []) {
  const id = nextReply++;
  return new Promise((resolve) => {
    replies.set(id, resolve);
    send({ ...message, id }, transfer);
  });
}

/** @param {any} req */
function plainRequest(req) {
  return { ...req, headers: Array.from(req.headers ?? [], (pair) => [String(pair[0]), String(pair[1])]) };
}

/** Extra time past the policy's timeout before a blocked worker stops waiting for the page. */
const BLOCKING_GRACE_MS = 5000;

const bridgeForPython = Object.freeze({
  /** @param {any} req @param {Uint8Array | null} body */
  perform(req, body) {
    return request({ type: WorkerMessage.FETCH, request: plainRequest(req), body: body ? new Uint8Array(body) : null });
  },
  /**
   * The same request, blocking this worker until the page answers (blocking_reply.mjs). Only
   * a cross-origin isolated page gives a worker SharedArrayBuffer; elsewhere this is absent.
   * @param {any} req @param {Uint8Array | null} body @param {number} maxBodyBytes
   */
  performBlocking: canBlock() ? (req, body, maxBodyBytes) => {
    const shared = new SharedArrayBuffer(replyCapacity(maxBodyBytes));
    send({ type: WorkerMessage.FETCH, id: nextReply++, request: plainRequest(req), body: body ? new Uint8Array(body) : null, reply: shared });
    return waitForBlockingReply(shared, Number(req.timeout_ms) + BLOCKING_GRACE_MS);
  } : undefined,
  /** @param {number} requestId */
  abort(requestId) {
    return request({ type: WorkerMessage.ABORT, requestId });
  },
});

/** Tool calls go to the page's tool bridge, which checks each one again (tool_bridge.mjs). */
const toolsForPython = Object.freeze({
  /** @param {number} callId @param {string} tool @param {string} args JSON text */
  call(callId, tool, args) {
    return request({ type: WorkerMessage.TOOL, call: { call_id: Number(callId), tool: String(tool), args: String(args) } });
  },
  /** @param {number} callId */
  abort(callId) {
    return request({ type: WorkerMessage.TOOL_ABORT, callId });
  },
});

/** The port to the page's storage writer: the worker never touches storage itself. */
const storageForPython = Object.freeze({
  /** @param {any} flush `{writes: [[path, bytes, mtime]], keep: [path]}` built by Python */
  flush(flush) {
    const writes = Array.from(flush.writes, (entry) => [String(entry[0]), entry[1], Number(entry[2])]);
    const transfer = [...new Set(writes.map((entry) => /** @type {Uint8Array} */ (entry[1]).buffer))];
    return request({ type: WorkerMessage.STORAGE_FLUSH, writes, keep: Array.from(flush.keep, String) }, transfer);
  },
});

/** Whether this worker may block on a shared buffer: only in a cross-origin isolated page. */
function canBlock() {
  return typeof SharedArrayBuffer === "function" && Boolean(self.crossOriginIsolated) && typeof Atomics?.wait === "function";
}

/** Batches Python's output into few messages (output.mjs). */
const output = createOutputBatcher((stream, lines) => send({ type: WorkerMessage.OUTPUT, stream, lines }));

/**
 * The snapshot the page read, verified and copied for this worker (snapshot_source.mjs), or
 * null: the page found none it could use and said why, and the worker boots the normal way.
 * @param {any} data the snapshot message
 * @returns {import("./snapshot.mjs").VerifiedSnapshot | null}
 */
function verifiedSnapshot(data) {
  const given = data.snapshot;
  return given && given.bytes instanceof Uint8Array && given.info && typeof given.info === "object" ? given : null;
}

/** Hands the page's copy of the snapshot to the boot that waits for it (set by init). */
let snapshotArrived = (/** @type {any} */ _data) => {};

/**
 * The snapshot the init message says the page is reading for this worker, to arrive in a
 * snapshot message: the boot brings Pyodide's module up meanwhile. Null: none will come.
 * @param {any} data the init message
 * @returns {import("./snapshot.mjs").PendingSnapshot | null}
 */
function pendingSnapshot(data) {
  if (!data.snapshot || typeof data.snapshot !== "object") return null;
  const heapBytes = Number.isSafeInteger(data.snapshot.heapBytes) ? data.snapshot.heapBytes : null;
  const arriving = new Promise((resolve) => {
    snapshotArrived = (message) => {
      snapshotArrived = () => {};
      resolve(verifiedSnapshot(message));
    };
  });
  return { heapBytes, arriving: /** @type {Promise<import("./snapshot.mjs").VerifiedSnapshot | null>} */ (arriving) };
}

/** @param {any} data */
async function init(data) {
  const snapshot = pendingSnapshot(data);
  // Before Pyodide: nothing but this module has run in the realm yet.
  const unproven = await proveIsolation();
  if (unproven.length > 0) throw new Error(`worker isolation is not in force: ${unproven.join("; ")}`);
  const files = Array.from(data.files ?? [], ([path, bytes]) => /** @type {[string, Uint8Array]} */ ([resolveFsPath(path, "files"), bytes]));
  const pyodide = await bootPython(new URL(data.indexURL), (stage, fraction) => send({ type: WorkerMessage.PROGRESS, stage, fraction }), {
    packages: data.packages ?? [], write: output.write, files, memoryLimitBytes: data.memoryLimitBytes ?? null,
    stored: data.storage ? data.storage.files : null, onEvent: (event) => send({ type: WorkerMessage.EVENT, event }),
    snapshot,
  });
  if (data.interruptBuffer) pyodide.setInterruptBuffer(data.interruptBuffer);
  // The page answers a fatal failure the way it answers a run that will not stop: a fresh worker.
  onFatal(pyodide, () => send({ type: WorkerMessage.FATAL }));
  fs = fileOps(pyodide);
  const { removed, originals } = closeRealm(self);
  const revoked = removed.filter((name) => !name.startsWith("navigator."));
  const closed = removed.filter((name) => name.startsWith("navigator."));
  const revocation = pyodide.pyimport("browser_rt.host.revocation");
  const scrubbed = revocation.forget_revoked(originals).toJs();
  revocation.destroy();
  embedded = makeEmbedded(pyodide, {
    policy: data.policy,
    bridge: bridgeForPython,
    hostEvent: (event) => send({ type: WorkerMessage.EVENT, event: toPlainResult(event) }),
    diagnostics: data.diagnostics,
    isolation: "worker",
    tools: { grantJSON: String(data.toolsJSON), bridge: toolsForPython },
    storage: data.storage ? { grant: data.storage.grant, host: storageForPython } : null,
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

// A listener, not `onmessage`: the realm's closing removes the `onmessage` accessor from Python's view.
self.addEventListener("message", (/** @type {MessageEvent} */ { data }) => {
  if (!data || typeof data !== "object") return;
  if (data.type === PageMessage.INIT) {
    init(data).catch((error) => send({ type: WorkerMessage.INIT_ERROR, message: String(error?.message ?? error).slice(0, 4096) }));
  } else if (data.type === PageMessage.SNAPSHOT) {
    snapshotArrived(data);
  } else if (data.type === PageMessage.RUN && embedded) {
    answer(data.id, () => embedded.run_code(String(data.code), data.globalsJSON ?? null, String(data.filename ?? "<exec>"), data.id));
  } else if (data.type === PageMessage.CALL && embedded) {
    answer(data.id, () => embedded.call(String(data.spec), String(data.argsJSON), data.id));
  } else if (data.type === PageMessage.CANCEL_RUN && embedded) {
    embedded.cancel_run(data.id);
  } else if (data.type === PageMessage.FS && fs) {
    fileOperation(data);
  } else if ((data.type === PageMessage.FETCH_RESULT || data.type === PageMessage.TOOL_RESULT || data.type === PageMessage.ABORT_DONE || data.type === PageMessage.STORAGE_RESULT) && replies.has(data.id)) {
    const resolve = replies.get(data.id);
    replies.delete(data.id);
    resolve?.(data.type === PageMessage.ABORT_DONE ? true : data.result);
  }
});
