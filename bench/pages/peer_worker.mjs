// Bare Pyodide in a plain module worker: what a page would run without browser_rt. Its Python
// can call pyodide.http.pyfetch, because nothing was revoked here.
/** @type {any} */
let pyodide = null;

self.onmessage = async ({ data }) => {
  try {
    if (data.type === "init") {
      const { loadPyodide } = await import(new URL("pyodide.mjs", data.indexURL).href);
      pyodide = await loadPyodide({ indexURL: data.indexURL, fullStdLib: false });
      self.postMessage({ id: data.id, ok: true, value: true });
    } else if (data.type === "run") {
      const result = await pyodide.runPythonAsync(String(data.code));
      let value = result;
      if (result && typeof result === "object" && typeof result.toJs === "function") {
        value = result.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
        result.destroy();
      }
      self.postMessage({ id: data.id, ok: true, value });
    }
  } catch (error) {
    self.postMessage({ id: data.id, ok: false, message: String(error?.message ?? error) });
  }
};
