// Runs one workload of bench/workloads.py inside Pyodide in Node, from the offline bundle.
// Usage: node bench/node_pyodide.mjs <bundle/pyodide dir> '<json spec>'
// The spec is {"jobs": [{"workload": "decision_cost" | "spawn_join", "params": {...}}]};
// the jobs run one after another in the same interpreter. Prints one line: BENCH_RESULT <json>,
// a list with one result per job.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const [indexDir, specText] = process.argv.slice(2);
if (!indexDir || !specText) {
  console.error("usage: node bench/node_pyodide.mjs <bundle/pyodide dir> '<json spec>'");
  process.exit(2);
}
const spec = JSON.parse(specText);
const index = path.resolve(indexDir);

const started = performance.now();
const { loadPyodide } = await import(path.join(index, "pyodide.mjs"));
const pyodide = await loadPyodide({ indexURL: `${index}/`, fullStdLib: false });
const pyodideLoaded = performance.now();
await pyodide.loadPackage(["browser_rt"], { messageCallback: () => {}, errorCallback: () => {} });
pyodide.FS.writeFile("/home/pyodide/bench_workloads.py", readFileSync(path.join(here, "workloads.py"), "utf8"));
const ready = performance.now();

const programs = {
  decision_cost: `
import json, bench_workloads as w
p = json.loads(bench_params)
json.dumps(w.decision_cost(p["sizes"], p["rounds"], p["calls"]))`,
  spawn_join: `
import json, browser_rt, bench_workloads as w
p = json.loads(bench_params)
result = await browser_rt.arun(
    lambda cx: w.spawn_join(cx, p["tasks"], p["rounds"]), authority=browser_rt.FetchAuthority.deny_all()
)
json.dumps(result)`,
};
/** @param {{workload: string, params: any}} job */
async function runJob(job) {
  const program = programs[job.workload];
  if (!program) throw new Error(`unknown workload ${job.workload}`);
  pyodide.globals.set("bench_params", JSON.stringify(job.params ?? {}));
  return JSON.parse(await pyodide.runPythonAsync(program));
}

const results = [];
for (const job of spec.jobs) {
  const jobStart = performance.now();
  const result = await runJob(job);
  result.wall_ms = performance.now() - jobStart;
  results.push(result);
}
const python = pyodide.runPython("import sys; sys.version.split()[0]");
const boot = { load_pyodide_ms: pyodideLoaded - started, load_browser_rt_ms: ready - pyodideLoaded };
process.stdout.write(`BENCH_RESULT ${JSON.stringify({ python, pyodide: pyodide.version, boot, results })}\n`);
process.exit(0);
