// @ts-check
/**
 * Worker mode, the page's side: Pyodide runs in a module Worker whose network and
 * resource-loading primitives are removed before user code runs; every fetch is a message to
 * this thread's bridge, which re-checks it. The worker's CSP backs this up inside the browser,
 * and the start is refused unless that CSP is shown to be in force (worker_policy.mjs, then the
 * worker's own probe). Everything the worker posts is untrusted: read by protocol.mjs, in the
 * order the protocol allows, and dropped (and counted) otherwise.
 *
 * Stopping a run goes in stages: cancel it at its next await; if it does not stop and the page
 * is cross-origin isolated, raise KeyboardInterrupt through Pyodide's interrupt buffer; if it
 * still does not stop, terminate the worker and start a fresh one with the same frozen
 * authority, packages and files. Each stage used is an event.
 */
import { writeBlockingReply } from "./blocking_reply.mjs";
import { diagnosticsForPython } from "./diagnostics_options.mjs";
import { PythonError, RunInterruptedError, WorkerIsolationError } from "./errors.mjs";
import { PageMessage, WorkerMessage, readWorkerMessage } from "./protocol.mjs";
import { checkCall, checkRunOptions, fileBytes, resolveFsPath } from "./run_options.mjs";
import { createSnapshotSource } from "./snapshot_source.mjs";
import { isolationHelp, isolationProblems, metaPolicies, parsePolicies, workerHeaderPolicy } from "./worker_policy.mjs";

/** How long a cancelled run has to stop before the next stage. */
const CANCEL_GRACE_MS = 250;
/** How long a KeyboardInterrupt has to stop a run before the worker is restarted. */
const INTERRUPT_GRACE_MS = 1000;
/** Pyodide's interrupt buffer value for SIGINT. */
const SIGINT = 2;

/** Message types the protocol allows before and after the worker is ready. */
const BEFORE_READY = new Set([WorkerMessage.PROGRESS, WorkerMessage.READY, WorkerMessage.INIT_ERROR, WorkerMessage.EVENT, WorkerMessage.OUTPUT]);
const AFTER_READY = new Set([
  WorkerMessage.EVENT, WorkerMessage.OUTPUT, WorkerMessage.FETCH, WorkerMessage.ABORT, WorkerMessage.RUN_RESULT, WorkerMessage.FS_RESULT,
  WorkerMessage.TOOL, WorkerMessage.TOOL_ABORT, WorkerMessage.FATAL, WorkerMessage.STORAGE_FLUSH,
]);

/**
 * @param {import("./runtime.mjs").Settings & {workerURL?: string | URL}} settings
 * @returns {Promise<import("./index").BrowserRuntime>}
 */
export async function startInWorker(settings) {
  if (typeof Worker === "undefined") {
    throw new TypeError("createRuntime: isolation 'worker' needs module Workers (a browser); use isolation: 'page' here");
  }
  const { authority, events, output, onProgress, workerURL } = settings;
  const scriptURL = new URL(workerURL ?? "./worker.mjs", workerURL ? globalThis.location?.href : import.meta.url);
  // Read and verified once; every worker, restarts included, gets its own copy (snapshot_source.mjs).
  // The read starts now: it takes longer than the checks below and the worker's own load.
  const snapshots = createSnapshotSource(settings.indexURL);
  snapshots.prefetch();
  const shape = await isolationShape(scriptURL, authority).catch((error) => {
    snapshots.release();
    throw error;
  });
  /** @type {Record<string, number>} */
  const dropped = {};
  /** @param {string} reason */
  const drop = (reason) => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    events.deliverPageEvent({ type: "worker.message_dropped", severity: "warn", reason, count: dropped[reason] });
  };
  /**
   * Pyodide in this worker failed fatally (memory_limit.mjs: an abort where no MemoryError could
   * be raised): its runs cannot finish, so they end as a timeout's last stage does.
   * @param {Session} target
   */
  const onFatal = async (target) => {
    const runs = target.pending.size;
    await restart(target, "fatal");
    events.deliverPageEvent({ type: "runtime.interrupted", severity: "warn", stage: "restart", reason: "fatal", runs });
  };
  let session = await startSession(settings, scriptURL, shape, drop, onFatal, snapshots);
  /** @type {Promise<Session> | null} */
  let restarting = null;
  let closed = false;
  onProgress("ready", 1);

  /** @returns {Promise<Session>} */
  async function current() {
    if (closed) throw new Error("runtime is closed");
    return restarting ?? session;
  }

  /**
   * Stop the given runs, stage by stage.
   * @param {Session} target
   * @param {number[]} ids
   * @param {"timeout" | "signal" | "interrupt"} reason
   * @returns {Promise<"none" | "cancel" | "keyboard-interrupt" | "restart">}
   */
  async function stopRuns(target, ids, reason) {
    const live = ids.filter((id) => target.pending.has(id));
    if (live.length === 0) return "none";
    for (const id of live) target.markStopping(id, reason);
    let stage = /** @type {"cancel" | "keyboard-interrupt" | "restart"} */ ("cancel");
    if (!(await target.settles(live, CANCEL_GRACE_MS))) {
      stage = "keyboard-interrupt";
      if (!target.interruptBuffer || !(await target.keyboardInterrupt(live, INTERRUPT_GRACE_MS))) {
        stage = "restart";
        await restart(target, reason);
      }
    }
    events.deliverPageEvent({ type: "runtime.interrupted", severity: "warn", stage, reason, runs: live.length });
    return stage;
  }

  /**
   * @param {Session} old
   * @param {"timeout" | "signal" | "interrupt" | "fatal"} reason
   */
  async function restart(old, reason) {
    if (restarting || old !== session) return;
    old.terminate(new RunInterruptedError(reason, "restart"));
    settings.tools.bridge.abortAll(); // the calls of the stopped worker have no one to answer
    restarting = startSession(settings, scriptURL, shape, drop, onFatal, snapshots);
    try {
      session = await restarting;
    } finally {
      restarting = null;
    }
    // The fresh worker reported its stages as it booted; end them as the first start did.
    onProgress("ready", 1);
  }

  /**
   * Run one request in the current session, with the run's own timeout and signal.
   * @param {(target: Session, id: number) => void} send
   * @param {{timeout: number | null, signal: AbortSignal | null}} limits
   */
  async function tracked(send, { timeout, signal }) {
    if (signal?.aborted) throw new RunInterruptedError("signal", "cancel");
    const target = await current();
    const { id, result } = target.begin();
    const timer = timeout === null ? null : setTimeout(() => stopRuns(target, [id], "timeout"), timeout);
    const onAbort = () => stopRuns(target, [id], "signal");
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      send(target, id);
      return await result;
    } finally {
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      output.flushDropped();
    }
  }

  return Object.freeze({
    isolation: /** @type {const} */ ("worker"),
    authority,
    events: events.recent,
    bridgeRecord: events.record,
    droppedMessages: () => ({ ...dropped }),
    outputDropped: output.dropped,
    async runPythonAsync(/** @type {string} */ code, /** @type {import("./index").RunOptions | undefined} */ options) {
      if (typeof code !== "string") throw new TypeError("runPythonAsync: code must be a string");
      const { globalsJSON, timeout, signal, filename } = checkRunOptions(options);
      return tracked((target, id) => target.post({ type: PageMessage.RUN, id, code, globalsJSON, filename }), { timeout, signal });
    },
    async call(/** @type {string} */ spec, /** @type {unknown[]} */ ...args) {
      const checked = checkCall(spec, args);
      const text = await tracked((target, id) => target.post({ type: PageMessage.CALL, id, ...checked }), { timeout: null, signal: null });
      if (typeof text !== "string") throw new TypeError("call: the worker answered with something that is not JSON text");
      return JSON.parse(text);
    },
    async interrupt() {
      const target = await current();
      const stage = await stopRuns(target, [...target.pending.keys()], "interrupt");
      return { stage };
    },
    fs: Object.freeze({
      async writeFile(/** @type {string} */ path, /** @type {string | Uint8Array | ArrayBuffer} */ data) {
        const resolved = resolveFsPath(path, "fs.writeFile");
        const bytes = fileBytes(data);
        await tracked((target, id) => target.post({ type: PageMessage.FS, id, op: "writeFile", path: resolved, data: bytes }), { timeout: null, signal: null });
      },
      async readFile(/** @type {string} */ path) {
        const resolved = resolveFsPath(path, "fs.readFile");
        const value = await tracked((target, id) => target.post({ type: PageMessage.FS, id, op: "readFile", path: resolved }), { timeout: null, signal: null });
        if (!(value instanceof Uint8Array)) throw new TypeError("fs.readFile: the worker answered with something that is not bytes");
        return value;
      },
      async listdir(/** @type {string} */ path = ".") {
        const resolved = resolveFsPath(path, "fs.listdir");
        const value = await tracked((target, id) => target.post({ type: PageMessage.FS, id, op: "listdir", path: resolved }), { timeout: null, signal: null });
        if (!Array.isArray(value) || !value.every((name) => typeof name === "string")) {
          throw new TypeError("fs.listdir: the worker answered with something that is not a list of names");
        }
        return value;
      },
    }),
    async close() {
      if (closed) return;
      closed = true;
      (await (restarting ?? Promise.resolve(session))).terminate(new Error("runtime is closed"));
      snapshots.release();
      settings.tools.bridge.abortAll();
      settings.storage?.close();
    },
  });
}

/**
 * @typedef {object} Session one worker and what is waiting on it
 * @property {Map<number, {resolve: (value: any) => void, reject: (error: Error) => void, stopping: null | "timeout" | "signal" | "interrupt", stage: "cancel" | "keyboard-interrupt"}>} pending
 * @property {() => {id: number, result: Promise<any>}} begin
 * @property {(message: Record<string, unknown>, transfer?: Transferable[]) => void} post
 * @property {(id: number, reason: "timeout" | "signal" | "interrupt") => void} markStopping
 * @property {(ids: number[], ms: number) => Promise<boolean>} settles
 * @property {(ids: number[], ms: number) => Promise<boolean>} keyboardInterrupt
 * @property {Uint8Array | null} interruptBuffer
 * @property {(error: Error) => void} terminate
 */

/**
 * Start one worker and wait until it is ready.
 * @param {import("./runtime.mjs").Settings} settings
 * @param {URL} scriptURL
 * @param {"meta" | "header"} shape
 * @param {(reason: string) => void} drop
 * @param {(session: Session) => void} onFatal called when Pyodide in this worker failed fatally
 * @param {ReturnType<typeof createSnapshotSource>} snapshots the page's verified snapshot
 * @returns {Promise<Session>}
 */
async function startSession({ indexURL, policy, diagnostics, onProgress, bridge, events, output, packages, files, tools, memoryLimitBytes, storage }, scriptURL, shape, drop, onFatal, snapshots) {
  // A restarted worker gets what was last committed: what the old one had not flushed is gone.
  const stored = storage ? await storage.snapshot() : null;
  const worker = shape === "meta"
    ? new Worker(blobWorkerURL(scriptURL), { type: "module", name: "browser_rt" })
    : new Worker(scriptURL, { type: "module", name: "browser_rt" });
  /** @type {Session["pending"]} */
  const pending = new Map();
  let nextId = 1;
  let started = false;
  let terminated = false;
  // Only a cross-origin isolated page has SharedArrayBuffer: then a busy run can be interrupted.
  const interruptBuffer = globalThis.crossOriginIsolated && typeof SharedArrayBuffer === "function"
    ? new Uint8Array(new SharedArrayBuffer(1)) : null;
  /** @type {(value: any) => void} */
  let readyResolve = () => {};
  /** @type {(error: Error) => void} */
  let readyReject = () => {};
  const ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  // Awaited only once the snapshot is handed over: a load failure before that is not unhandled.
  ready.catch(() => {});

  /** @param {number} id @param {{ok: true, value: unknown} | {ok: false, error: Error}} outcome */
  function settle(id, outcome) {
    const entry = pending.get(id);
    if (!entry) return drop("unknown_run");
    pending.delete(id);
    if (outcome.ok) entry.resolve(outcome.value);
    else entry.reject(outcome.error);
  }

  /**
   * A run that was being stopped and ended in CancelledError or KeyboardInterrupt was stopped
   * by the stage it had reached (a KeyboardInterrupt can also surface as the cancellation that
   * was asked for first); any other failure is the user's own.
   * @param {import("./protocol.mjs").WorkerMessageValue & {type: "run-result"}} message
   */
  function runFailure(message) {
    if (message.ok) return null;
    const entry = pending.get(message.id);
    if (entry?.stopping && ["CancelledError", "KeyboardInterrupt"].includes(message.error.type)) {
      return new RunInterruptedError(entry.stopping, entry.stage);
    }
    return new PythonError(message.error);
  }

  worker.onmessage = async (/** @type {MessageEvent} */ { data }) => {
    if (terminated) return;
    const read = readWorkerMessage(data);
    if ("dropped" in read) return drop(read.dropped);
    const { message } = read;
    if (!(started ? AFTER_READY : BEFORE_READY).has(message.type)) return drop(`unexpected_${message.type}`);
    switch (message.type) {
      case WorkerMessage.PROGRESS:
        onProgress(message.stage, message.fraction);
        break;
      case WorkerMessage.READY:
        started = true;
        readyResolve(message);
        break;
      case WorkerMessage.INIT_ERROR:
        readyReject(new Error(`browser_rt worker failed to start: ${message.message}`));
        break;
      case WorkerMessage.EVENT:
        events.deliverWorkerEvent(message.event);
        break;
      case WorkerMessage.OUTPUT:
        output.deliver(message.stream, message.lines);
        break;
      case WorkerMessage.FETCH: {
        const result = await bridge.perform(message.request, message.body);
        if (message.reply) {
          writeBlockingReply(message.reply, result); // the worker is blocked in Atomics.wait
          break;
        }
        const transfer = result.ok && result.body ? [result.body.buffer] : [];
        if (!terminated) worker.postMessage({ type: PageMessage.FETCH_RESULT, id: message.id, result }, transfer);
        break;
      }
      case WorkerMessage.ABORT:
        await bridge.abort(message.requestId);
        if (!terminated) worker.postMessage({ type: PageMessage.ABORT_DONE, id: message.id });
        break;
      case WorkerMessage.TOOL: {
        const result = await tools.bridge.call(message.call);
        if (!terminated) worker.postMessage({ type: PageMessage.TOOL_RESULT, id: message.id, result });
        break;
      }
      case WorkerMessage.TOOL_ABORT:
        await tools.bridge.abort(message.callId);
        if (!terminated) worker.postMessage({ type: PageMessage.ABORT_DONE, id: message.id });
        break;
      case WorkerMessage.RUN_RESULT: {
        const failure = runFailure(message);
        settle(message.id, failure ? { ok: false, error: failure } : { ok: true, value: message.ok ? message.value : undefined });
        break;
      }
      case WorkerMessage.FATAL:
        onFatal(session);
        break;
      case WorkerMessage.FS_RESULT:
        settle(message.id, message.ok ? { ok: true, value: message.value } : { ok: false, error: new Error(message.message) });
        break;
      case WorkerMessage.STORAGE_FLUSH: {
        const result = storage
          ? await storage.flush({ writes: message.writes, keep: message.keep })
          : { ok: false, limit: "not_granted", reason: "not_granted", message: "storage flush refused: no storageAuthority was granted" };
        if (!terminated) worker.postMessage({ type: PageMessage.STORAGE_RESULT, id: message.id, result });
        break;
      }
      default:
        break;
    }
  };
  worker.onerror = (event) => {
    event.preventDefault?.();
    const hint = shape === "meta" ? " (the page's CSP must allow worker-src blob:)" : "";
    readyReject(new Error(`browser_rt worker failed to load${hint}`));
  };
  // The worker starts as soon as the snapshot's description says whether one will come: it proves
  // its isolation and brings Pyodide's module up while the page still reads and verifies the
  // bytes (a restart gets its copy at once). It restores only the copy posted below.
  const expected = await snapshots.expected();
  worker.postMessage({
    type: PageMessage.INIT, indexURL: indexURL.href, policy, diagnostics: diagnosticsForPython(diagnostics),
    packages, files, interruptBuffer, toolsJSON: tools.grantJSON, memoryLimitBytes,
    storage: storage ? { grant: storage.grant, files: stored } : null, snapshot: expected,
  }, stored ? [...new Set(stored.map(([, bytes]) => bytes.buffer))] : []);
  const handout = await snapshots.forWorker();
  events.deliverPageEvent(handout.event);
  if (expected && !terminated) worker.postMessage({ type: PageMessage.SNAPSHOT, snapshot: handout.snapshot }, handout.transfer);
  /** @type {any} */
  let readyMessage;
  try {
    readyMessage = await ready;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  events.deliverPageEvent({
    type: "worker.isolation", severity: "info", shape, interruptible: interruptBuffer !== null,
    revoked: readyMessage.revoked, closed: readyMessage.closed, scrubbed: readyMessage.scrubbed,
  });

  /** @param {number[]} ids @param {number} ms */
  function settles(ids, ms) {
    return new Promise((resolve) => {
      const started = performance.now();
      const check = () => {
        if (ids.every((id) => !pending.has(id))) return resolve(true);
        if (performance.now() - started >= ms) return resolve(false);
        setTimeout(check, 10);
      };
      check();
    });
  }

  /** @type {Session} */
  const session = {
    pending,
    interruptBuffer,
    begin() {
      const id = nextId++;
      const result = new Promise((resolve, reject) => pending.set(id, { resolve, reject, stopping: null, stage: "cancel" }));
      return { id, result };
    },
    post(message, transfer = []) {
      worker.postMessage(message, transfer);
    },
    markStopping(id, reason) {
      const entry = pending.get(id);
      if (!entry || entry.stopping) return;
      entry.stopping = reason;
      worker.postMessage({ type: PageMessage.CANCEL_RUN, id });
    },
    settles,
    async keyboardInterrupt(ids, ms) {
      if (!interruptBuffer) return false;
      for (const id of ids) {
        const entry = pending.get(id);
        if (entry) entry.stage = "keyboard-interrupt";
      }
      Atomics.store(interruptBuffer, 0, SIGINT);
      const stopped = await settles(ids, ms);
      // A signal nobody read must not hit the next run.
      Atomics.store(interruptBuffer, 0, 0);
      return stopped;
    },
    terminate(error) {
      if (terminated) return;
      terminated = true;
      worker.terminate();
      for (const { reject } of pending.values()) reject(error);
      pending.clear();
    },
  };
  return session;
}

/**
 * Choose how the worker gets its policy, and check that policy's text: a page with a `<meta>`
 * CSP starts the worker from a blob: URL (it inherits the page's policies); otherwise the worker
 * is loaded from its URL and its policy is that response's header.
 * @param {URL} scriptURL
 * @param {import("./policy.mjs").FetchAuthority} authority
 * @returns {Promise<"meta" | "header">}
 */
async function isolationShape(scriptURL, authority) {
  const metas = typeof document === "undefined" ? [] : metaPolicies(document);
  const shape = metas.length > 0 ? "meta" : "header";
  let text = metas.join(",");
  if (shape === "header") {
    try {
      text = (await workerHeaderPolicy(scriptURL, globalThis.fetch)) ?? "";
    } catch (error) {
      throw new WorkerIsolationError([`cannot read the worker script's headers (${String(/** @type {Error} */ (error)?.message ?? error)})`], isolationHelp(scriptURL));
    }
  }
  const granted = /** @type {string[]} */ (authority.toJSON().origins);
  const problems = isolationProblems(parsePolicies(text), { selfOrigin: new URL(scriptURL).origin, granted });
  if (problems.length > 0) {
    const where = shape === "meta" ? "the page's <meta> policy" : `the Content-Security-Policy header of ${scriptURL.pathname}`;
    throw new WorkerIsolationError(problems.map((problem) => `${where}: ${problem}`), isolationHelp(scriptURL));
  }
  return shape;
}

/**
 * A blob: module that only imports worker.mjs. A worker started from it inherits the policy
 * container of this document, so the page's `<meta>` CSP applies inside the worker.
 * @param {URL} scriptURL
 */
function blobWorkerURL(scriptURL) {
  const source = `import ${JSON.stringify(scriptURL.href)};\n`;
  return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
}
