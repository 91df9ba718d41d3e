// The benchmark page: exposes createRuntime, a bare Pyodide and a bare-Pyodide worker to the
// driver (bench/browser.py), which calls them with page.evaluate.
import { createRuntime } from "/js_bridge/index.mjs";

/** @param {any} value */
function plain(value) {
  if (value && typeof value === "object" && typeof value.toJs === "function") {
    try {
      return value.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
    } finally {
      value.destroy();
    }
  }
  return value;
}

/** @param {string} indexURL */
function absolute(indexURL) {
  return new URL(indexURL, location.href).href;
}

/** A plain module worker running bare Pyodide: the peer of worker mode (it still has fetch). */
async function startPeerWorker(indexURL) {
  const worker = new Worker("/bench/peer_worker.mjs", { type: "module", name: "bare-pyodide" });
  const pending = new Map();
  let nextId = 1;
  worker.onmessage = ({ data }) => {
    const entry = pending.get(data.id);
    if (!entry) return;
    pending.delete(data.id);
    if (data.ok) entry.resolve(data.value);
    else entry.reject(new Error(data.message));
  };
  const call = (message) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ ...message, id });
  });
  await call({ type: "init", indexURL: absolute(indexURL) });
  return {
    runPythonAsync: (code) => call({ type: "run", code }),
    close: async () => worker.terminate(),
  };
}

window.bench = {
  /** Bare Pyodide, from import to the first Python result. */
  async coldBare(indexURL) {
    const start = performance.now();
    const { loadPyodide } = await import(new URL("pyodide.mjs", absolute(indexURL)).href);
    const pyodide = await loadPyodide({ indexURL: absolute(indexURL), fullStdLib: false });
    const value = await pyodide.runPythonAsync("1 + 1");
    return { ms: performance.now() - start, value };
  },
  /** createRuntime() to the first Python result, with the time each stage was reported. */
  async coldRuntime(options) {
    const stages = [];
    const start = performance.now();
    const rt = await createRuntime({
      ...options,
      onProgress: (stage) => stages.push([stage, performance.now() - start]),
    });
    const value = await rt.runPythonAsync("1 + 1");
    const ms = performance.now() - start;
    await rt.close();
    return { ms, value, stages };
  },
  /** Start the subject (createRuntime) and, for comparison, its peer. */
  async start(options, peer) {
    window.rt = await createRuntime(options);
    if (peer === "worker") window.peer = await startPeerWorker(options.indexURL);
    else window.peer = window.rt;
    return true;
  },
  /** The routing floor of worker mode in JS only (bench/pages/route_worker.mjs). */
  async routeFloor(url, perChunk, chunks) {
    const worker = new Worker("/bench/route_worker.mjs", { type: "module", name: "route-floor" });
    try {
      return await new Promise((resolve, reject) => {
        worker.onerror = () => reject(new Error("route_worker.mjs failed to load"));
        worker.onmessage = async ({ data }) => {
          if (data.type === "done") return resolve(data);
          const response = await fetch(data.url, { cache: "no-store" });
          const body = await response.arrayBuffer();
          worker.postMessage(body, [body]);
        };
        worker.postMessage({ url, perChunk, chunks });
      });
    } finally {
      worker.terminate();
    }
  },
  /** Run Python in the subject ("rt") or the peer ("peer"). */
  async run(target, code) {
    return plain(await window[target].runPythonAsync(code));
  },
};
document.getElementById("status").value = "ready";
