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
import { bootPython, makeEmbedded, resolveIndexURL, toPlainResult } from "./python_setup.mjs";

/** Default location of the Pyodide core: the bundle puts it beside js_bridge/. */
const DEFAULT_INDEX_URL = new URL("../pyodide/", import.meta.url).href;
const ISOLATION_MODES = Object.freeze(["worker", "page"]);
const OPTION_KEYS = Object.freeze(["indexURL", "fetchAuthority", "diagnostics", "isolation", "onProgress", "workerURL"]);

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
  const bridge = createFetchBridge({ authority, fetchImpl: globalThis.fetch, onEvent: events.deliverBridgeEvent });
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
    hostEvent: events.deliver,
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
 * Worker mode: Pyodide runs in a module Worker whose network and code-loading primitives are
 * removed before user code runs; every fetch is a message to this thread's bridge, which
 * re-checks it. The worker script's CSP (served with it) backs this up inside the browser.
 * @param {Settings & {workerURL?: string | URL}} settings
 * @returns {Promise<import("./index").BrowserRuntime>}
 */
async function startInWorker({ indexURL, policy, diagnostics, onProgress, authority, bridge, events, workerURL }) {
  if (typeof Worker === "undefined") {
    throw new TypeError("createRuntime: isolation 'worker' needs module Workers (a browser); use isolation: 'page' here");
  }
  const worker = new Worker(workerURL ?? new URL("./worker.mjs", import.meta.url), { type: "module", name: "browser_rt" });
  /** @type {Map<number, {resolve: (value: any) => void, reject: (error: Error) => void}>} */
  const runs = new Map();
  let nextRun = 1;
  let closed = false;
  /** @type {(value: any) => void} */
  let readyResolve = () => {};
  /** @type {(error: Error) => void} */
  let readyReject = () => {};
  const ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });

  worker.onmessage = async (/** @type {MessageEvent} */ { data }) => {
    if (!data || typeof data !== "object") return;
    switch (data.type) {
      case "progress":
        onProgress(String(data.stage), Number(data.fraction));
        break;
      case "ready":
        readyResolve(data);
        break;
      case "init-error":
        readyReject(new Error(`browser_rt worker failed to start: ${String(data.message)}`));
        break;
      case "event":
        events.deliver(data.event);
        break;
      case "fetch": {
        const result = await bridge.perform(data.request, data.body ?? null);
        const transfer = result.ok && result.body ? [result.body.buffer] : [];
        worker.postMessage({ type: "fetch-result", id: data.id, result }, transfer);
        break;
      }
      case "abort":
        await bridge.abort(Number(data.requestId));
        worker.postMessage({ type: "abort-done", id: data.id });
        break;
      case "run-result": {
        const pending = runs.get(data.id);
        runs.delete(data.id);
        if (!pending) break;
        if (data.ok) pending.resolve(data.value);
        else pending.reject(Object.assign(new Error(String(data.message)), { name: String(data.name ?? "PythonError") }));
        break;
      }
      default:
        break;
    }
  };
  worker.onerror = (event) => {
    event.preventDefault?.();
    readyReject(new Error("browser_rt worker failed to load"));
  };
  worker.postMessage({ type: "init", indexURL: indexURL.href, policy, diagnostics: diagnosticsForPython(diagnostics) });
  try {
    await ready;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  onProgress("ready", 1);
  return Object.freeze({
    isolation: /** @type {const} */ ("worker"),
    authority,
    events: events.recent,
    runPythonAsync(/** @type {string} */ code) {
      if (closed) return Promise.reject(new Error("runtime is closed"));
      if (typeof code !== "string") return Promise.reject(new TypeError("runPythonAsync: code must be a string"));
      const id = nextRun++;
      return new Promise((resolve, reject) => {
        runs.set(id, { resolve, reject });
        worker.postMessage({ type: "run", id, code });
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

/** @param {ReturnType<typeof checkDiagnostics>} diagnostics */
function diagnosticsForPython(diagnostics) {
  return { mode: diagnostics.mode, allowUnredacted: diagnostics.allowUnredacted, ci: diagnostics.ci };
}
