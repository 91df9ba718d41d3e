// One plain pytest.main() inside Pyodide in Node over a project's own folder: the control that
// `pytest --run-in-pyodide` is compared with (tests/test_pytest_plugin_layouts.py, and
// bench/plugin_session.py for its wall time). The folder is mounted with NODEFS, as
// `pyodide venv` runs a suite.
// Usage: node bench/plain_session.mjs <bundle/pyodide dir> <project> <path entry or ""> <junit.xml> [packages, comma-separated]
// The JUnit file must be inside the project (the only host folder mounted).
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
pyodide.globals.set("args", pyodide.toPy([root, pathEntry, junit]));
pyodide.runPython(`
import os, sys, pytest

class NoDeadline:
    """Hypothesis without a deadline (the interpreter is slow), set as the plugin sets it."""

    def pytest_configure(self, config):
        try:
            from hypothesis import settings
        except ImportError:
            return
        if settings.get_current_profile_name() == "default":
            settings.register_profile("slow-interpreter", deadline=None)
            settings.load_profile("slow-interpreter")

sys.dont_write_bytecode = True
root, entry, junit = args
os.chdir(root)
if entry:
    sys.path.insert(0, os.path.join(root, entry))
pytest.main(["-p", "no:cacheprovider", f"--junitxml={junit}"], plugins=[NoDeadline()])
`);
