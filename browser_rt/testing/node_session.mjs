// One Pyodide in Node running one pytest session over the project's own folders.
//
// Usage: node node_session.mjs SPEC.json. The host (browser_rt/testing/node_session.py) writes
// the spec. The project's folders are mounted with NODEFS at the same absolute paths as on the
// host, so pytest inside finds the same rootdir, ini file and node ids. stdout carries only the
// session's JSON lines (browser_rt/testing/inner.py); everything Python or Pyodide prints goes
// to stderr, which the host keeps for a crash report.
import { readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const toStdout = (line) => writeSync(1, `${line}\n`);
const toStderr = (line) => writeSync(2, `${line}\n`);

// An uncaught error would make Node print the line it came from: all of pyodide.asm.mjs.
process.on("uncaughtException", (error) => {
  toStderr(String(error?.stack ?? error).slice(0, 4000));
  process.exit(typeof error?.status === "number" ? error.status : 70);
});

const { loadPyodide } = await import(pathToFileURL(join(spec.pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({
  indexURL: `${spec.pyodideDir}/`,
  stdout: toStderr,
  stderr: toStderr,
});
for (const folder of spec.folders) {
  pyodide.FS.mkdirTree(folder);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: folder }, folder);
}
await pyodide.loadPackage(spec.packages, { messageCallback: () => {}, errorCallback: toStderr });

const runner = pyodide.globals.get("dict")();
pyodide.runPython(spec.runner, { globals: runner, filename: "browser_rt_inner.py" });
const session = JSON.stringify(spec.session);
runner.get("prepare")(session);
if (spec.wheels.length > 0) {
  await pyodide.loadPackage(["micropip"], { messageCallback: () => {}, errorCallback: toStderr });
  const micropip = pyodide.pyimport("micropip");
  await micropip.install.callKwargs(spec.wheels, { deps: true, index_urls: [] });
}
const missing = JSON.parse(runner.get("missing_imports")(JSON.stringify(spec.importNames)));
toStdout(JSON.stringify({ type: "prepared", missing }));
if (missing.length === 0) {
  try {
    process.exitCode = runner.get("run")(session, toStdout);
  } catch (error) {
    toStderr(String(error?.stack ?? error).slice(0, 4000));
    process.exit(typeof error?.status === "number" ? error.status : 70);
  }
}
