// A minimal reproduction for an upstream Pyodide report: C recursion that CPython on a native
// platform turns into a RecursionError kills Pyodide in Node with a fatal
// "RangeError: Maximum call stack size exceeded", well below the recursion limit.
//
//   node docs/repro/c_stack_overflow.mjs PYODIDE_DIR [CASE] [DEPTH]
//
// CASE (default all):
//   callback  a Python function that calls itself through C (`map`) DEPTH levels (default 300);
//             host CPython returns, Pyodide 314.0.7 in Node 20 dies from 280 levels up
//   repr      repr() of a list nested DEPTH deep (default 5000); host CPython raises
//             RecursionError, Pyodide dies from about 4,450 levels up
//   eq        == of two such lists (default 5000); Pyodide dies from about 4,040 levels up
// Each case runs in a fresh Node process, since the fatal error ends the interpreter. The
// thresholds are the same with --liftoff --no-wasm-tier-up and with --no-liftoff, and rise with
// --stack-size: the limit is V8's native stack, which CPython's stack guard does not see.
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const CASES = {
  callback: [300, "def deep(n):\n    return 0 if n == 0 else 1 + next(map(deep, (n - 1,)))\nresult = deep(DEPTH)"],
  repr: [5000, "x = []\nfor _ in range(DEPTH):\n    x = [x]\nresult = len(repr(x))"],
  eq: [5000, "x = y = []\nfor _ in range(DEPTH):\n    x, y = [x], [y]\nresult = x == y"],
};
const [pyodideDir, only, depthText, child] = process.argv.slice(2);
if (!pyodideDir || (only && only !== "all" && !(only in CASES))) {
  console.error("usage: node c_stack_overflow.mjs PYODIDE_DIR [callback|repr|eq|all] [DEPTH]");
  process.exit(2);
}
if (child === "--child") {
  const { loadPyodide } = await import(pathToFileURL(`${pyodideDir}/pyodide.mjs`).href);
  const pyodide = await loadPyodide({ indexURL: `${pyodideDir}/` });
  const [, code] = CASES[only];
  const outcome = pyodide.runPython(
    `try:\n${indent(code.replaceAll("DEPTH", depthText))}\n    outcome = f"returned {result!r}"\n` +
      `except RecursionError as error:\n    outcome = f"RecursionError: {error}"\noutcome`,
  );
  console.log(String(outcome));
} else {
  for (const name of only && only !== "all" ? [only] : Object.keys(CASES)) {
    const depth = depthText ?? String(CASES[name][0]);
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), pyodideDir, name, depth, "--child"], { encoding: "utf8" });
    const lines = `${run.stdout}\n${run.stderr}`.split("\n");
    const said = lines.find((l) => /^(returned|RecursionError)/.test(l)) ?? lines.find((l) => l.startsWith("RangeError")) ?? "no outcome";
    console.log(`${name} at depth ${depth}: ${said} (exit ${run.status})`);
  }
}

/** @param {string} code */
function indent(code) {
  return code.split("\n").map((line) => `    ${line}`).join("\n");
}
