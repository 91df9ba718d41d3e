// @ts-check
/**
 * Shared by page mode (runtime.mjs) and worker mode (worker.mjs): boot Pyodide from the offline
 * bundle, load browser_rt from the bundle's own lock, and build the Python EmbeddedRuntime.
 */

import { withMemoryLimit } from "./memory_limit.mjs";
import { FS_ROOT } from "./run_options.mjs";
import { restoreFromSnapshot, snapshotEvent } from "./snapshot.mjs";
import { STORAGE_MOUNT, restoreStored } from "./storage/restore.mjs";

/**
 * @param {URL} indexURL the bundle's pyodide/ folder
 * @param {(stage: string, fraction: number) => void} onProgress
 * @param {{packages?: string[], write?: (stream: string, line: string) => void, files?: [string, Uint8Array][], stored?: [string, Uint8Array, number][] | null, memoryLimitBytes?: number | null, onEvent?: (event: Record<string, unknown>) => void, snapshot?: import("./snapshot.mjs").VerifiedSnapshot | import("./snapshot.mjs").PendingSnapshot | null}} [extras]
 *   the app's packages (names in the bundle's lock), where Python's output goes, files to
 *   write into FS_ROOT before any user code runs, the granted namespace's stored files (null: no
 *   storage was granted), the cap on Wasm memory (memory_limit.mjs), and where the boot's own
 *   event goes (whether the bundle's memory snapshot was restored, or why not); in worker mode,
 *   the snapshot as the page verified it or is still reading it, or null when the page found none
 *   to use (the boot is then the normal one, and the page has said why); absent, the snapshot is
 *   read here
 * @returns {Promise<any>} the Pyodide API object
 */
export async function bootPython(indexURL, onProgress, { packages = [], write, files = [], stored = null, memoryLimitBytes = null, onEvent = () => {}, snapshot } = {}) {
  onProgress("loading-pyodide", 0.05);
  // A restore also needs Pyodide's module script (snapshot.mjs): load both at once. A failure
  // here is reported where the restore imports it again.
  if (snapshot !== null) import(new URL("pyodide.asm.mjs", indexURL).href).catch(() => {});
  const core = await import(new URL("pyodide.mjs", indexURL).href);
  if (packages.length > 0) await checkPackagesInLock(indexURL, packages);
  const base = { indexURL: pyodideIndexArgument(indexURL), fullStdLib: false };
  // The memory cap wraps each road on its own: the restored heap is capped like a fresh one, and
  // so is a normal boot after a restore that was refused once Pyodide's module was up.
  const restored = snapshot === null ? null : await withMemoryLimit(memoryLimitBytes, async () => {
    const outcome = await restoreFromSnapshot(indexURL, core, base, snapshot);
    if (outcome) onEvent(snapshotEvent(outcome));
    if (outcome?.ok) {
      const inSnapshot = new Set(outcome.packages);
      const rest = packages.filter((name) => !inSnapshot.has(normalizeName(name)));
      if (rest.length > 0) await outcome.pyodide.loadPackage(rest);
    }
    return outcome;
  });
  const pyodide = restored?.ok
    ? restored.pyodide
    // Passing the packages to loadPyodide lets Pyodide fetch the wheels while it is still booting.
    : await withMemoryLimit(memoryLimitBytes, () => core.loadPyodide({ ...base, packages: ["browser_rt", ...packages] }));
  if (write) {
    pyodide.setStdout({ batched: (/** @type {string} */ line) => write("stdout", line) });
    pyodide.setStderr({ batched: (/** @type {string} */ line) => write("stderr", line) });
  }
  const fs = fileOps(pyodide);
  for (const [path, data] of files) fs.writeFile(path, data);
  if (stored) restoreStored(pyodide, stored);
  onProgress("loading-browser-rt", 0.7);
  // The import below is synchronous: give the page one turn to show the stage before it.
  await new Promise((resolve) => setTimeout(resolve, 0));
  pyodide.runPython("import browser_rt, browser_rt.host.embed, browser_rt.host.pyodide_bridge");
  onProgress("starting-runtime", 0.9);
  return pyodide;
}

/**
 * @param {any} pyodide
 * @param {object} options
 * @param {Record<string, unknown>} options.policy the canonical, frozen policy document
 * @param {{perform: Function, abort: Function}} options.bridge
 * @param {(event: Record<string, unknown>) => void} options.hostEvent
 * @param {{mode?: string, allowUnredacted?: boolean, ci?: boolean}} options.diagnostics
 * @param {"page" | "worker"} options.isolation
 * @param {{grantJSON: string, bridge: {call: Function, abort: Function}}} [options.tools]
 *   the page's tool grant (tool_grant.mjs) and the road to its tool bridge
 * @param {{grant: Record<string, unknown>, host: {flush: (request: unknown) => Promise<unknown>}} | null} [options.storage]
 *   the granted namespace and the page's writer (or the worker's port to it)
 * @returns {any} a PyProxy of browser_rt.host.embed.EmbeddedRuntime
 */
export function makeEmbedded(pyodide, { policy, bridge, hostEvent, diagnostics, isolation, tools, storage = null }) {
  const embed = pyodide.pyimport("browser_rt.host.embed");
  const bridgeModule = pyodide.pyimport("browser_rt.host.pyodide_bridge");
  const fetchHost = bridgeModule.PyodideFetchHost(bridge);
  const toolHost = tools ? bridgeModule.PyodideToolHost(tools.bridge) : null;
  try {
    return embed.EmbeddedRuntime.callKwargs(JSON.stringify(policy), {
      tools_json: tools?.grantJSON ?? null,
      tool_host: toolHost,
      fetch_host: fetchHost,
      host_event: hostEvent,
      diagnostics_mode: diagnostics.mode ?? "metadata_only",
      allow_unredacted: Boolean(diagnostics.allowUnredacted),
      ci: Boolean(diagnostics.ci),
      isolation,
      storage_json: storage ? JSON.stringify(storage.grant) : undefined,
      storage_host: storage ? storage.host : undefined,
    });
  } finally {
    fetchHost.destroy();
    toolHost?.destroy();
    bridgeModule.destroy();
    embed.destroy();
  }
}

/**
 * Resolve the bundle location to an absolute URL with a trailing slash.
 * Relative values resolve against the page (browser) or the working directory (Node).
 * @param {string | URL} value
 * @returns {URL}
 */
export function resolveIndexURL(value) {
  const text = String(value);
  const withSlash = text.endsWith("/") ? text : `${text}/`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(withSlash)) return new URL(withSlash);
  if (typeof globalThis.location !== "undefined") return new URL(withSlash, globalThis.location.href);
  const cwd = globalThis.process?.cwd?.() ?? "/";
  return new URL(withSlash, `file://${cwd.endsWith("/") ? cwd : `${cwd}/`}`);
}

/**
 * Pyodide reads its files with `fs` in Node, so it wants a path there, not a file: URL.
 * @param {URL} url
 */
function pyodideIndexArgument(url) {
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href;
}

/**
 * Turn a Python result into something structured-clone can carry (worker mode) and free proxies.
 * @param {any} value
 */
export function toPlainResult(value) {
  if (value && typeof value === "object" && typeof value.toJs === "function") {
    try {
      return value.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
    } catch {
      return String(value);
    } finally {
      value.destroy?.();
    }
  }
  return value;
}

/**
 * Refuse names the bundle does not ship, before Pyodide tries (and fails) to fetch them.
 * @param {URL} indexURL
 * @param {string[]} packages
 */
async function checkPackagesInLock(indexURL, packages) {
  const lockURL = new URL("pyodide-lock.json", indexURL);
  /** @type {any} */
  let lock;
  if (lockURL.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    lock = JSON.parse(await readFile(lockURL, "utf8"));
  } else {
    lock = await (await fetch(lockURL.href)).json();
  }
  const known = new Set(Object.keys(lock.packages ?? {}).map(normalizeName));
  const unknown = packages.filter((name) => !known.has(normalizeName(name)));
  if (unknown.length > 0) {
    throw new TypeError(`createRuntime: packages: ${unknown.map((n) => JSON.stringify(n)).join(", ")} not in the bundle's pyodide-lock.json (add them with browser-rt bundle --requirements FILE)`);
  }
}

/** @param {string} name PEP 503 normalization */
function normalizeName(name) {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/**
 * The app's file access, inside FS_ROOT (paths are resolved by run_options.resolveFsPath first).
 * @param {any} pyodide
 */
export function fileOps(pyodide) {
  const FS = pyodide.FS;
  return Object.freeze({
    /** @param {string} path @param {Uint8Array} data */
    writeFile(path, data) {
      const parent = path.slice(0, path.lastIndexOf("/")) || "/";
      if (parent.startsWith(FS_ROOT) || parent.startsWith(STORAGE_MOUNT)) FS.mkdirTree(parent);
      FS.writeFile(path, data);
    },
    /** @param {string} path @returns {Uint8Array} */
    readFile(path) {
      return FS.readFile(path);
    },
    /** @param {string} path @returns {string[]} */
    listdir(path) {
      return FS.readdir(path).filter((/** @type {string} */ name) => name !== "." && name !== "..").sort();
    },
  });
}

/**
 * What a failed run tells the app: the Python side's description when there is one (only the
 * user's own frames), else the JS error as it is.
 * @param {any} embedded the EmbeddedRuntime proxy
 * @param {number} runId
 * @param {any} error what the run's promise rejected with
 * @returns {{type: string, message: string, traceback: string[]}}
 */
export function describeFailure(embedded, runId, error) {
  const described = embedded.take_error(runId);
  if (described) {
    const plain = toPlainResult(described);
    return { type: String(plain.type), message: String(plain.message), traceback: Array.from(plain.traceback ?? [], String) };
  }
  return { type: String(error?.type ?? error?.name ?? "Error"), message: String(error?.message ?? error), traceback: [] };
}

/**
 * Emscripten's FS throws an ErrnoError with only a number: say which call and path failed.
 * @template T
 * @param {() => T} action
 * @param {string} what
 * @param {string} path
 * @returns {T}
 */
export function fsCall(action, what, path) {
  try {
    return action();
  } catch (error) {
    const errno = /** @type {any} */ (error)?.errno;
    if (typeof errno !== "number") throw error;
    const why = errno === 44 ? "no such file or folder" : errno === 31 ? "is a folder" : errno === 54 ? "not a folder" : `errno ${errno}`;
    throw new Error(`${what}: ${JSON.stringify(path)}: ${why}`);
  }
}

/**
 * Call `callback` once if Pyodide fails fatally (an Emscripten abort, such as running out of
 * memory where no MemoryError can be raised): after that the interpreter can no longer be used.
 * This is Pyodide's own `on_fatal` hook, which is private API of the pinned build (314.0.7).
 * @param {any} pyodide
 * @param {() => void} callback
 */
export function onFatal(pyodide, callback) {
  let called = false;
  pyodide._api.on_fatal = () => {
    if (called) return;
    called = true;
    callback();
  };
}
