// One plain pytest.main() inside Pyodide in Node over a project's own folder: the control that
// `pytest --run-in-pyodide` is compared with (tests/test_pytest_plugin_layouts.py, and
// bench/plugin_session.py for its wall time). The folder is mounted with NODEFS, as
// `pyodide venv` runs a suite.
// Usage: node bench/plain_session.mjs <bundle/pyodide dir> <project> <path entry or ""> <junit.xml> [packages, comma-separated]
// The JUnit file must be inside the project (the only host folder mounted).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [pyodideDir, root, pathEntry, junit, packages = "pytest,hypothesis"] = process.argv.slice(2);
if (!pyodideDir || !root || pathEntry === undefined || !junit) {
  console.error("usage: node bench/plain_session.mjs <pyodide dir> <project> <path entry> <junit.xml>");
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(`${pyodideDir}/pyodide.mjs`).href);
const pyodide = await loadPyodide({ indexURL: `${pyodideDir}/`, stdout: () => {}, stderr: () => {} });
pyodide.FS.mkdirTree(root);
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root }, root);
await pyodide.loadPackage(packages.split(","), { messageCallback: () => {} });
pyodide.runPython(readFileSync(new URL("plain_session_inside.py", import.meta.url), "utf8"));
pyodide.globals.get("run")(root, pathEntry, junit);
