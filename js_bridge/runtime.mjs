// @ts-check
/**
 * createRuntime(): the embedding API. It freezes the page's FetchAuthority, starts Pyodide from
 * the offline bundle (in a module Worker by default, or in the page), and makes the fetch bridge
 * the only road from Python to the network.
 */
import { createConsoleWarning, checkDiagnostics } from "./diagnostics_options.mjs";
import { createEventHost } from "./console_host.mjs";
import { createFetchBridge } from "./fetch_bridge.mjs";
import { FetchAuthority } from "./policy.mjs";
import { PageMessage, WorkerMessage, readWorkerMessage } from "./protocol.mjs";
import { bootPython, makeEmbedded, resolveIndexURL, toPlainResult } from "./python_setup.mjs";
import { isolationHelp, isolationProblems, metaPolicies, parsePolicies, workerHeaderPolicy } from "./worker_policy.mjs";

/** Default location of the Pyodide core: the bundle puts it beside js_bridge/. */
const DEFAULT_INDEX_URL = new URL("../pyodide/", import.meta.url).href;
const ISOLATION_MODES = Object.freeze(["worker", "page"]);
const OPTION_KEYS = Object.freeze(["indexURL", "fetchAuthority", "diagnostics", "isolation", "onProgress", "workerURL"]);

/**
 * Worker mode refused to start because it could not prove its realm is under a policy that
 * holds the boundary. `problems` lists each missing piece; the message says how to fix it.
 */
export class WorkerIsolationError extends Error {
  /** @param {string[]} problems @param {string} help */
  constructor(problems, help) {
    super(`browser_rt worker isolation cannot be proven: ${problems.join("; ")}. Fix: ${help}`);
    this.name = "WorkerIsolationError";
    this.problems = Object.freeze(problems.slice());
  }
}

/**
 * @param {import("./index").RuntimeOptions} [options]
 * @returns {Promise<import("./index").BrowserRuntime>}
 */
export async function createRuntime(options = {}) {
  if (!options || typeof options !== "object") throw new TypeError("createRuntime: options must be an object");
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new TypeError(`createRuntime: unknown option ${JSON.stringify(key)} (known: ${OPTION_KEYS.join(", ")})`);
    }
  }
  const isolation = options.isolation ?? "worker";
  if (!ISOLATION_MODES.includes(isolation)) {
    throw new TypeError(`createRuntime: isolation must be one of ${ISOLATION_MODES.join(", ")}, got ${String(isolation)}`);
  }
  const onProgress = options.onProgress ?? (() => {});
  if (typeof onProgress !== "function") throw new TypeError("createRuntime: onProgress must be a function");
  const authority = FetchAuthority.fromJSON(options.fetchAuthority ?? {});
  const policy = authority.toJSON();
  const diagnostics = checkDiagnostics(options.diagnostics);
  const events = createEventHost({ sink: diagnostics.sink });
  if (diagnostics.mode === "none") createConsoleWarning(globalThis.console);
  const bridge = createFetchBridge({ authority, fetchImpl: globalThis.fetch, onRecord: events.deliverRecord });
  const indexURL = resolveIndexURL(options.indexURL ?? DEFAULT_INDEX_URL);
  const settings = { indexURL, policy, diagnostics, onProgress, authority, bridge, events };
  return isolation === "page" ? startInPage(settings) : startInWorker({ ...settings, workerURL: options.workerURL });
}

/**
 * @typedef {object} Settings
 * @property {URL} indexURL
 * @property {Record<string, unknown>} policy
 * @property {ReturnType<typeof checkDiagnostics>} diagnostics
 * @property {(stage: string, fraction: number) => void} onProgress
 * @property {FetchAuthority} authority
 * @property {ReturnType<typeof createFetchBridge>} bridge
 * @property {ReturnType<typeof createEventHost>} events
 */

/**
 * Page mode: Pyodide shares the page's realm. The policy binds cx.fetch, but Python can reach
 * js.fetch and friends directly, so this is not a sandbox; the runtime says so in an event.
 * @param {Settings} settings
 * @returns {Promise<import("./index").BrowserRuntime>}
 */
async function startInPage({ indexURL, policy, diagnostics, onProgress, authority, bridge, events }) {
  const pyodide = await bootPython(indexURL, onProgress);
  const embedded = makeEmbedded(pyodide, {
    policy,
    bridge: { perform: bridge.perform, abort: bridge.abort },
    hostEvent: events.deliverPythonEvent,
    diagnostics: diagnosticsForPython(diagnostics),
    isolation: "page",
  });
  const embedModule = pyodide.pyimport("browser_rt.host.embed");
  const paths = embedModule.ambient_paths();
  embedded.report_ambient_paths(paths);
  paths.destroy();
  embedModule.destroy();
  onProgress("ready", 1);
  let closed = false;
  return Object.freeze({
    isolation: /** @type {const} */ ("page"),
    authority,
    events: events.recent,
    bridgeRecord: events.record,
    async runPythonAsync(/** @type {string} */ code) {
      if (closed) throw new Error("runtime is closed");
      if (typeof code !== "string") throw new TypeError("runPythonAsync: code must be a string");
      return toPlainResult(await embedded.run_code(code));
    },
    async close() {
      if (closed) return;
      closed = true;
      embedded.destroy();
    },
  });
}

/**
 * Worker mode: Pyodide runs in a module Worker whose network and resource-loading primitives are
 * removed before user code runs; every fetch is a message to this thread's bridge, which
 * re-checks it. The worker's CSP backs this up inside the browser, and the start is refused
 * unless that CSP is shown to be in force (worker_policy.mjs, then the worker's own probe).
 * Everything the worker posts is untrusted: read by protocol.mjs, in the order the protocol
 * allows, and dropped (and counted) otherwise.
 * @param {Settings & {workerURL?: string | URL}} settings
 * @returns {Promise<import("./index").BrowserRuntime>}
 */
async function startInWorker({ indexURL, policy, diagnostics, onProgress, authority, bridge, events, workerURL }) {
  if (typeof Worker === "undefined") {
    throw new TypeError("createRuntime: isolation 'worker' needs module Workers (a browser); use isolation: 'page' here");
  }
  const scriptURL = new URL(workerURL ?? "./worker.mjs", workerURL ? globalThis.location?.href : import.meta.url);
  const shape = await isolationShape(scriptURL, authority);
  const worker = shape === "meta"
    ? new Worker(blobWorkerURL(scriptURL), { type: "module", name: "browser_rt" })
    : new Worker(scriptURL, { type: "module", name: "browser_rt" });
  /** @type {Map<number, {resolve: (value: any) => void, reject: (error: Error) => void}>} */
  const runs = new Map();
  /** @type {Record<string, number>} */
  const dropped = {};
  let nextRun = 1;
  let closed = false;
  let started = false;
  /** @type {(value: import("./protocol.mjs").WorkerMessageValue) => void} */
  let readyResolve = () => {};
  /** @type {(error: Error) => void} */
  let readyReject = () => {};
  const ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });

  /** @param {string} reason */
  function drop(reason) {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    events.deliverPageEvent({ type: "worker.message_dropped", severity: "warn", reason, count: dropped[reason] });
  }

  /** Message types the protocol allows before and after the worker is ready. */
  const BEFORE_READY = new Set([WorkerMessage.PROGRESS, WorkerMessage.READY, WorkerMessage.INIT_ERROR, WorkerMessage.EVENT]);
  const AFTER_READY = new Set([WorkerMessage.EVENT, WorkerMessage.FETCH, WorkerMessage.ABORT, WorkerMessage.RUN_RESULT]);

  worker.onmessage = async (/** @type {MessageEvent} */ { data }) => {
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
      case WorkerMessage.FETCH: {
        const result = await bridge.perform(message.request, message.body);
        const transfer = result.ok && result.body ? [result.body.buffer] : [];
        if (!closed) worker.postMessage({ type: PageMessage.FETCH_RESULT, id: message.id, result }, transfer);
        break;
      }
      case WorkerMessage.ABORT:
        await bridge.abort(message.requestId);
        if (!closed) worker.postMessage({ type: PageMessage.ABORT_DONE, id: message.id });
        break;
      case WorkerMessage.RUN_RESULT: {
        const pending = runs.get(message.id);
        if (!pending) return drop("unknown_run");
        runs.delete(message.id);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(Object.assign(new Error(message.message), { name: message.name || "PythonError" }));
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
  worker.postMessage({ type: PageMessage.INIT, indexURL: indexURL.href, policy, diagnostics: diagnosticsForPython(diagnostics) });
  /** @type {any} */
  let readyMessage;
  try {
    readyMessage = await ready;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  events.deliverPageEvent({
    type: "worker.isolation", severity: "info", shape,
    revoked: readyMessage.revoked, closed: readyMessage.closed, scrubbed: readyMessage.scrubbed,
  });
  onProgress("ready", 1);
  return Object.freeze({
    isolation: /** @type {const} */ ("worker"),
    authority,
    events: events.recent,
    bridgeRecord: events.record,
    droppedMessages: () => ({ ...dropped }),
    runPythonAsync(/** @type {string} */ code) {
      if (closed) return Promise.reject(new Error("runtime is closed"));
      if (typeof code !== "string") return Promise.reject(new TypeError("runPythonAsync: code must be a string"));
      const id = nextRun++;
      return new Promise((resolve, reject) => {
        runs.set(id, { resolve, reject });
        worker.postMessage({ type: PageMessage.RUN, id, code });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      worker.terminate();
      for (const { reject } of runs.values()) reject(new Error("runtime is closed"));
      runs.clear();
    },
  });
}

/**
 * Choose how the worker gets its policy, and check that policy's text: a page with a `<meta>`
 * CSP starts the worker from a blob: URL (it inherits the page's policies); otherwise the worker
 * is loaded from its URL and its policy is that response's header.
 * @param {URL} scriptURL
 * @param {FetchAuthority} authority
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
  const json = authority.toJSON();
  const granted = /** @type {string[]} */ (json.origins);
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

/** @param {ReturnType<typeof checkDiagnostics>} diagnostics */
function diagnosticsForPython(diagnostics) {
  return { mode: diagnostics.mode, allowUnredacted: diagnostics.allowUnredacted, ci: diagnostics.ci };
}
