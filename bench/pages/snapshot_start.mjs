// One sample of the snapshot benchmark (bench/snapshot_start.mjs opens this page in each engine):
// ?variant=bare is a bare loadPyodide() to its first result; ?variant=worker is createRuntime()
// in worker mode to its first result (restored from the bundle's snapshot when it has one),
// then restarts forced by a timeout on a busy loop, each to the next result. The figures go to
// #result as JSON; nothing is evaluated by the driver, so this runs in every engine.
import { createRuntime } from "/js_bridge/index.mjs";

const params = new URLSearchParams(location.search);
const variant = params.get("variant");
// restart=N forces N restarts one after another (1 when absent); restart=0 forces none.
const restarts = Number(params.get("restart") ?? "1");
const result = document.getElementById("result");

async function bare() {
  const start = performance.now();
  const { loadPyodide } = await import("/pyodide/pyodide.mjs");
  const pyodide = await loadPyodide({ indexURL: new URL("/pyodide/", location.href).href, fullStdLib: false });
  const value = await pyodide.runPythonAsync("1 + 1");
  return { ms: performance.now() - start, value };
}

async function worker() {
  const events = [];
  const start = performance.now();
  const rt = await createRuntime({ indexURL: "/pyodide/", isolation: "worker", diagnostics: { sink: (e) => events.push(e) } });
  const value = await rt.runPythonAsync("1 + 1");
  const ms = performance.now() - start;
  const restartMs = [];
  let error = null;
  let again = null;
  for (let i = 0; i < restarts; i++) {
    error = await rt.runPythonAsync("while True:\n    pass", { timeout: 200 }).catch((e) => e);
    const stopped = performance.now();
    again = await rt.runPythonAsync("2 + 2");
    restartMs.push(performance.now() - stopped);
  }
  await rt.close();
  const boots = events.filter((e) => String(e.type).startsWith("snapshot.")).map((e) => e.type === "snapshot.restored" ? "restored" : `fallback:${e.reason}`);
  // How each worker got its snapshot from the page: fetched and verified, or the kept copy.
  const handouts = events.filter((e) => e.type === "worker.snapshot").map((e) => e.reused ? "reused" : "fetched");
  return { ms, value, restartMs, restartStage: error?.stage ?? null, restartValue: again, boots, handouts };
}

try {
  const figures = variant === "bare" ? await bare() : await worker();
  result.textContent = JSON.stringify({ ok: true, ...figures });
} catch (error) {
  result.textContent = JSON.stringify({ ok: false, message: String(error?.message ?? error) });
}
result.dataset.state = "done";
