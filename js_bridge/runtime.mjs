// @ts-check
/**
 * Runtime host: loads Pyodide from the offline bundle and browser_rt's wheel from the
 * bundle's own pyodide-lock.json, so nothing is fetched from any other origin.
 */

/** Default location of the Pyodide core: the bundle puts it beside js_bridge/. */
const DEFAULT_INDEX_URL = new URL("../pyodide/", import.meta.url).href;

const ISOLATION_MODES = Object.freeze(["page"]);

/**
 * @param {import("./index").RuntimeOptions} [options]
 * @returns {Promise<import("./index").BrowserRuntime>}
 */
export async function createRuntime(options = {}) {
  const isolation = options.isolation ?? "page";
  if (!ISOLATION_MODES.includes(isolation)) {
    throw new TypeError(
      `createRuntime: isolation must be one of ${ISOLATION_MODES.join(", ")}, got ${String(isolation)}`,
    );
  }
  const onProgress = options.onProgress ?? (() => {});
  const indexURL = resolveIndexURL(options.indexURL ?? DEFAULT_INDEX_URL);

  onProgress("loading-pyodide", 0);
  const { loadPyodide } = await import(new URL("pyodide.mjs", indexURL).href);
  const pyodide = await loadPyodide({ indexURL: pyodideIndexArgument(indexURL), fullStdLib: false });
  onProgress("loading-browser-rt", 0.8);
  await pyodide.loadPackage(["browser_rt"], { messageCallback: () => {} });
  pyodide.runPython("import browser_rt");
  onProgress("ready", 1);

  let closed = false;
  return {
    isolation,
    async runPythonAsync(code) {
      if (closed) throw new Error("runtime is closed");
      return pyodide.runPythonAsync(code);
    },
    async close() {
      closed = true;
    },
  };
}

/**
 * Resolve the bundle location to an absolute URL with a trailing slash.
 * Relative values resolve against the page (browser) or the working directory (Node).
 * @param {string | URL} value
 * @returns {URL}
 */
function resolveIndexURL(value) {
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
