// @ts-check
/**
 * createRuntime(): the embedding API. It freezes the page's FetchAuthority, starts Pyodide from
 * the offline bundle (in a module Worker by default, or in the page), and makes the fetch bridge
 * the only road from Python to the network. This module checks the options and runs page mode;
 * worker mode lives in worker_host.mjs.
 */
import { createConsoleWarning, checkDiagnostics, diagnosticsForPython } from "./diagnostics_options.mjs";
import { createEventHost } from "./console_host.mjs";
import { PythonError, RunInterruptedError } from "./errors.mjs";
import { createFetchBridge } from "./fetch_bridge.mjs";
import { createOutputSink } from "./output.mjs";
import { FetchAuthority } from "./policy.mjs";
import { bootPython, describeFailure, fileOps, fsCall, makeEmbedded, onFatal, resolveIndexURL, toPlainResult } from "./python_setup.mjs";
import { openMembers } from "./realm_allowlist.mjs";
import { checkCall, checkFiles, checkPackages, checkRunOptions, fileBytes, resolveFsPath } from "./run_options.mjs";
import { checkMemoryLimit } from "./memory_limit.mjs";
import { pageModeRefusal, snapshotEvent } from "./snapshot.mjs";
import { createToolBridge } from "./tool_bridge.mjs";
import { checkTools, toolGrantJSON } from "./tool_grant.mjs";
import { openGrantedStorage } from "./storage/index.mjs";
import { startInWorker } from "./worker_host.mjs";

/** Default location of the Pyodide core: the bundle puts it beside js_bridge/. */
const DEFAULT_INDEX_URL = new URL("../pyodide/", import.meta.url).href;
const ISOLATION_MODES = Object.freeze(["worker", "page"]);
const OPTION_KEYS = Object.freeze([
  "indexURL", "fetchAuthority", "diagnostics", "isolation", "onProgress", "workerURL", "stdout", "stderr", "packages", "files",
  "tools", "memoryLimitMB", "storageAuthority",
]);

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
  for (const stream of /** @type {const} */ (["stdout", "stderr"])) {
    if (options[stream] !== undefined && typeof options[stream] !== "function") {
      throw new TypeError(`createRuntime: ${stream} must be a function that takes one line`);
    }
  }
  const packages = checkPackages(options.packages);
  const files = checkFiles(options.files);
  const authority = FetchAuthority.fromJSON(options.fetchAuthority ?? {});
  const policy = authority.toJSON();
  const diagnostics = checkDiagnostics(options.diagnostics);
  const events = createEventHost({ sink: diagnostics.sink });
  if (diagnostics.mode === "none") createConsoleWarning(globalThis.console);
  const bridge = createFetchBridge({ authority, fetchImpl: globalThis.fetch, onRecord: events.deliverRecord });
  const output = createOutputSink({
    stdout: options.stdout,
    stderr: options.stderr,
    onDropped: (summary) => events.deliverPageEvent({ type: "output.dropped", severity: "warn", ...summary }),
  });
  const toolGrant = checkTools(options.tools);
  const tools = { grantJSON: toolGrantJSON(toolGrant), bridge: createToolBridge({ grant: toolGrant, onRecord: events.deliverRecord }) };
  const indexURL = resolveIndexURL(options.indexURL ?? DEFAULT_INDEX_URL);
  const memoryLimitBytes = checkMemoryLimit(options.memoryLimitMB);
  const storage = await openGrantedStorage(options.storageAuthority, events, diagnostics);
  const settings = { indexURL, policy, diagnostics, onProgress, authority, bridge, events, output, packages, files, tools, memoryLimitBytes, storage };
  try {
    return await (isolation === "page" ? startInPage(settings) : startInWorker({ ...settings, workerURL: options.workerURL }));
  } catch (error) {
    storage?.close();
    throw error;
  }
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
 * @property {ReturnType<typeof createOutputSink>} output
 * @property {string[]} packages
 * @property {[string, Uint8Array][]} files
 * @property {{grantJSON: string, bridge: import("./index").ToolBridge}} tools the page's tool grant and bridge
 * @property {number | null} memoryLimitBytes the cap on Pyodide's Wasm memory (memory_limit.mjs)
 * @property {import("./storage/store.mjs").NamespaceStore | null} storage the granted namespace, held
 */

/**
 * Page mode: Pyodide shares the page's realm. The policy binds cx.fetch, but Python can reach
 * js.fetch and friends directly, so this is not a sandbox; the runtime says so in an event.
 * A run is stopped by cancelling it at its next await: code that never awaits holds the page's
 * own thread, so nothing on the page can run to stop it (worker mode can).
 * @param {Settings} settings
 * @returns {Promise<import("./index").BrowserRuntime>}
 */
async function startInPage({ indexURL, policy, diagnostics, onProgress, authority, bridge, events, output, packages, files, tools, memoryLimitBytes, storage }) {
  const stored = storage ? await storage.snapshot() : null;
  const refusal = pageModeRefusal();
  if (refusal) events.deliverPageEvent(snapshotEvent(refusal));
  const pyodide = await bootPython(indexURL, onProgress, {
    packages, files, stored, memoryLimitBytes, write: (stream, line) => output.deliver(stream, [line]), onEvent: events.deliverPageEvent,
    snapshot: refusal ? null : undefined,
  });
  const embedded = makeEmbedded(pyodide, {
    policy,
    bridge: { perform: bridge.perform, abort: bridge.abort },
    hostEvent: events.deliverPythonEvent,
    diagnostics: diagnosticsForPython(diagnostics),
    isolation: "page",
    tools: { grantJSON: tools.grantJSON, bridge: { call: tools.bridge.callText, abort: tools.bridge.abort } },
    storage: storage ? { grant: storage.grant, host: { flush: (/** @type {unknown} */ request) => storage.flush(request) } } : null,
  });
  const embedModule = pyodide.pyimport("browser_rt.host.embed");
  const paths = embedModule.ambient_paths(openMembers(globalThis));
  embedded.report_ambient_paths(paths);
  paths.destroy();
  embedModule.destroy();
  const fs = fileOps(pyodide);
  onProgress("ready", 1);
  let closed = false;
  // Page mode has no worker to replace: a fatal failure (memory_limit.mjs) closes the runtime,
  // and the runs it stranded end at once rather than never.
  /** @type {(error: Error) => void} */
  let failFatally = () => {};
  const fatal = new Promise((_resolve, reject) => { failFatally = reject; });
  fatal.catch(() => {});
  onFatal(pyodide, () => {
    closed = true;
    tools.bridge.abortAll();
    events.deliverPageEvent({ type: "runtime.interrupted", severity: "error", stage: "closed", reason: "fatal", runs: running.size });
    failFatally(new RunInterruptedError("fatal", "closed"));
  });
  let nextRun = 1;
  /** @type {Map<number, {stop: (reason: "timeout" | "signal" | "interrupt") => void}>} */
  const running = new Map();

  /**
   * @param {(id: number) => Promise<any>} start
   * @param {{timeout: number | null, signal: AbortSignal | null}} limits
   */
  async function tracked(start, { timeout, signal }) {
    if (closed) throw new Error("runtime is closed");
    const id = nextRun++;
    /** @type {null | "timeout" | "signal" | "interrupt"} */
    let stopped = null;
    const stop = (/** @type {"timeout" | "signal" | "interrupt"} */ reason) => {
      if (stopped) return;
      stopped = reason;
      embedded.cancel_run(id);
    };
    running.set(id, { stop });
    const timer = timeout === null ? null : setTimeout(() => stop("timeout"), timeout);
    const onAbort = () => stop("signal");
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (signal?.aborted) throw new RunInterruptedError("signal", "cancel");
      return await Promise.race([start(id), fatal]);
    } catch (error) {
      if (error instanceof RunInterruptedError) throw error;
      const failure = describeFailure(embedded, id, error);
      if (stopped && ["CancelledError", "KeyboardInterrupt"].includes(failure.type)) throw new RunInterruptedError(stopped, "cancel");
      throw new PythonError(failure);
    } finally {
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      running.delete(id);
      output.flushDropped();
    }
  }

  return Object.freeze({
    isolation: /** @type {const} */ ("page"),
    authority,
    events: events.recent,
    bridgeRecord: events.record,
    outputDropped: output.dropped,
    async runPythonAsync(/** @type {string} */ code, /** @type {import("./index").RunOptions | undefined} */ options) {
      if (typeof code !== "string") throw new TypeError("runPythonAsync: code must be a string");
      const { globalsJSON, timeout, signal, filename } = checkRunOptions(options);
      return tracked((id) => embedded.run_code(code, globalsJSON, filename, id).then(toPlainResult), { timeout, signal });
    },
    async call(/** @type {string} */ spec, /** @type {unknown[]} */ ...args) {
      const checked = checkCall(spec, args);
      const text = await tracked((id) => embedded.call(checked.spec, checked.argsJSON, id), { timeout: null, signal: null });
      return JSON.parse(String(text));
    },
    async interrupt() {
      if (running.size === 0) return { stage: /** @type {const} */ ("none") };
      for (const run of running.values()) run.stop("interrupt");
      events.deliverPageEvent({ type: "runtime.interrupted", severity: "warn", stage: "cancel", reason: "interrupt" });
      return { stage: /** @type {const} */ ("cancel") };
    },
    fs: Object.freeze({
      async writeFile(/** @type {string} */ path, /** @type {string | Uint8Array | ArrayBuffer} */ data) {
        const resolved = resolveFsPath(path, "fs.writeFile");
        const bytes = fileBytes(data);
        fsCall(() => fs.writeFile(resolved, bytes), "fs.writeFile", resolved);
      },
      async readFile(/** @type {string} */ path) {
        const resolved = resolveFsPath(path, "fs.readFile");
        return new Uint8Array(fsCall(() => fs.readFile(resolved), "fs.readFile", resolved));
      },
      async listdir(/** @type {string} */ path = ".") {
        const resolved = resolveFsPath(path, "fs.listdir");
        return fsCall(() => fs.listdir(resolved), "fs.listdir", resolved);
      },
    }),
    async close() {
      if (closed) return;
      closed = true;
      for (const run of running.values()) run.stop("interrupt");
      tools.bridge.abortAll();
      // Page mode shares the page's Python with whatever else runs there: put pyfetch, urllib3
      // and httpx back as they were (browser_rt.compat).
      embedded.compat.uninstall();
      embedded.destroy();
      storage?.close();
    },
  });
}
