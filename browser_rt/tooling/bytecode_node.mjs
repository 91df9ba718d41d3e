// Compile wheels to bytecode with the bundle's own Pyodide, run by `browser-rt bundle`:
//   node bytecode_node.mjs <pyodide dir> <job.json>
// job.json: {"compiler": "<path of bytecode_wheel.py>", "wheels": [["<source.whl>", "<target.whl>"], ...]}
// Prints nothing on success; on failure the Python traceback goes to stderr and the exit code is 1.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [indexDir, jobPath] = process.argv.slice(2);
if (!indexDir || !jobPath) {
  console.error("usage: node bytecode_node.mjs <pyodide dir> <job.json>");
  process.exit(2);
}
const job = JSON.parse(readFileSync(jobPath, "utf8"));
const index = path.resolve(indexDir);
const { loadPyodide } = await import(pathToFileURL(path.join(index, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: `${index}/`, fullStdLib: false, stdout: () => {}, stderr: () => {} });
try {
  pyodide.FS.writeFile("/tmp/bytecode_wheel.py", readFileSync(job.compiler, "utf8"));
  pyodide.runPython("import sys; sys.path.insert(0, '/tmp'); import bytecode_wheel, site");
  const compileWheel = pyodide.runPython("bytecode_wheel.compile_wheel");
  const sitePackages = pyodide.runPython("site.getsitepackages()[0]");
  for (const [source, target] of job.wheels) {
    pyodide.FS.writeFile("/tmp/in.whl", readFileSync(source));
    compileWheel("/tmp/in.whl", "/tmp/out.whl", sitePackages);
    writeFileSync(target, pyodide.FS.readFile("/tmp/out.whl"));
  }
} catch (error) {
  console.error(String(error?.message ?? error));
  process.exit(1);
}
