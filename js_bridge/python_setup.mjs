// @ts-check
/**
 * Shared by page mode (runtime.mjs) and worker mode (worker.mjs): boot Pyodide from the offline
 * bundle, load browser_rt from the bundle's own lock, and build the Python EmbeddedRuntime.
 */

/**
 * @param {URL} indexURL the bundle's pyodide/ folder
 * @param {(stage: string, fraction: number) => void} onProgress
 * @returns {Promise<any>} the Pyodide API object
 */
export async function bootPython(indexURL, onProgress) {
  onProgress("loading-pyodide", 0.05);
  const { loadPyodide } = await import(new URL("pyodide.mjs", indexURL).href);
  // Passing the package to loadPyodide lets Pyodide fetch the wheels while it is still booting.
  const pyodide = await loadPyodide({ indexURL: pyodideIndexArgument(indexURL), fullStdLib: false, packages: ["browser_rt"] });
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
 * @returns {any} a PyProxy of browser_rt.host.embed.EmbeddedRuntime
 */
export function makeEmbedded(pyodide, { policy, bridge, hostEvent, diagnostics, isolation }) {
  const embed = pyodide.pyimport("browser_rt.host.embed");
  const bridgeModule = pyodide.pyimport("browser_rt.host.pyodide_bridge");
  const fetchHost = bridgeModule.PyodideFetchHost(bridge);
  try {
    return embed.EmbeddedRuntime.callKwargs(JSON.stringify(policy), {
      fetch_host: fetchHost,
      host_event: hostEvent,
      diagnostics_mode: diagnostics.mode ?? "metadata_only",
      allow_unredacted: Boolean(diagnostics.allowUnredacted),
      ci: Boolean(diagnostics.ci),
      isolation,
    });
  } finally {
    fetchHost.destroy();
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
