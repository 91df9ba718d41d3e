// Take the bundle's memory snapshot with the bundle's own Pyodide, run by `browser-rt bundle`:
//   node snapshot_node.mjs <job.json>
// job.json: {"pyodide": "<dir of the Pyodide core>", "wheels": ["<wheel>", ...],
//            "imports": ["<module>", ...], "output": "<container file>"}
// The container (read by js_bridge/snapshot.mjs): "BRTSNAP1", a u32 (little-endian) length, a
// JSON header {format, pyodide, build_id, files: [[path, size], ...]}, the files' bytes in that
// order (site-packages as the wheels left it: a memory snapshot holds only the Wasm heap, not the
// file system), then Pyodide's own snapshot.
// Prints nothing on success; on failure the reason goes to stderr and the exit code is 1.
import nodeCrypto from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [jobPath] = process.argv.slice(2);
if (!jobPath) {
  console.error("usage: node snapshot_node.mjs <job.json>");
  process.exit(2);
}
const job = JSON.parse(readFileSync(jobPath, "utf8"));
// Emscripten copies the script's path into the interpreter's environment (`_`): give it a
// neutral one, so the builder's folders stay out of the snapshot.
process.argv[1] = "/snapshot";
// Two builds of the same inputs give the same bytes: the interpreter's randomness (the string
// hash secret, random's first state) and clock come from fixed sources while it is taken. A
// restore reseeds `random` from the engine (js_bridge/snapshot.mjs).
installFixedSources();
const index = path.resolve(job.pyodide);
const { loadPyodide, version } = await import(pathToFileURL(path.join(index, "pyodide.mjs")).href);
try {
  // env: {} so that nothing of the builder's environment reaches the interpreter.
  const pyodide = await loadPyodide({
    indexURL: `${index}/`, fullStdLib: false, _makeSnapshot: true, env: {}, stdout: () => {}, stderr: () => {},
  });
  if (typeof pyodide.makeMemorySnapshot !== "function") throw new Error(`Pyodide ${version} has no makeMemorySnapshot()`);
  // The heap records whether stack switching was there at start-up (snapshot.py, _jspi_flags).
  if (!pyodide._module.jspiSupported) throw new Error("no WebAssembly stack switching (JSPI) in this Node");
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const wheel of job.wheels) {
    pyodide.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel", { extractDir: sitePackages });
  }
  pyodide.globals.set("_snapshot_imports", pyodide.toPy(job.imports));
  pyodide.runPython(`
import importlib, os, sys
for _name in _snapshot_imports:
    importlib.import_module(_name)
# The builder's clock and paths must not be in the heap: forget the working folder's finder
# caches and the import list, and start from a fixed environment.
del _name
sys.path_importer_cache.clear()
importlib.invalidate_caches()
`);
  pyodide.globals.delete("_snapshot_imports");
  const files = listFiles(pyodide.FS, sitePackages);
  const pyodideSnapshot = pyodide.makeMemorySnapshot();
  const buildId = Array.from(new Uint32Array(pyodideSnapshot.buffer, pyodideSnapshot.byteOffset + 16, 8), (w) => w.toString(16).padStart(8, "0")).join("");
  const headerText = JSON.stringify({
    format: 1, pyodide: version, build_id: buildId, files: files.map(([name, data]) => [name, data.length]),
  });
  // Pyodide reads its snapshot through 32-bit views: pad the header so that part starts aligned.
  const filesLength = files.reduce((sum, [, data]) => sum + data.length, 0);
  const unpadded = 12 + new TextEncoder().encode(headerText).length + filesLength;
  const header = new TextEncoder().encode(headerText + " ".repeat((16 - (unpadded % 16)) % 16));
  const prefix = new Uint8Array(12);
  prefix.set(new TextEncoder().encode("BRTSNAP1"));
  new DataView(prefix.buffer).setUint32(8, header.length, true);
  writeFileSync(job.output, Buffer.concat([prefix, header, ...files.map(([, data]) => data), pyodideSnapshot]));
  process.stdout.write(JSON.stringify({ pyodide: version, build_id: buildId, files: files.length }));
} catch (error) {
  console.error(String(/** @type {any} */ (error)?.message ?? error));
  process.exit(1);
}

/**
 * Every file under `root`, sorted by path, with its bytes.
 * @param {any} FS @param {string} root @returns {[string, Uint8Array][]}
 */
function listFiles(FS, root) {
  /** @type {[string, Uint8Array][]} */
  const found = [];
  const walk = (/** @type {string} */ folder) => {
    for (const name of FS.readdir(folder).sort()) {
      if (name === "." || name === "..") continue;
      const full = `${folder}/${name}`;
      if (FS.isDir(FS.stat(full).mode)) walk(full);
      else found.push([full, FS.readFile(full)]);
    }
  };
  walk(root);
  return found;
}

/** A seeded generator for crypto.getRandomValues and a predictable clock, for this process only. */
function installFixedSources() {
  let state = 0x9e3779b9;
  const next = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
  const fill = (/** @type {ArrayBufferView} */ view) => {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = next() & 0xff;
    return view;
  };
  // Emscripten draws from node:crypto's randomFillSync in Node, from getRandomValues elsewhere.
  nodeCrypto.randomFillSync = fill;
  Object.defineProperty(globalThis.crypto, "getRandomValues", { configurable: true, value: fill });
  // A clock that starts at a fixed time and moves on a millisecond a reading: file times in the
  // heap are the same every build, and still differ where importlib compares them.
  let now = Date.UTC(2000, 0, 1);
  Date.now = () => (now += 1);
  let ticks = 0;
  performance.now = () => (ticks += 0.5);
  process.hrtime.bigint = () => BigInt(Math.round((ticks += 0.5) * 1e6));
}
