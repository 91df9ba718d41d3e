// One Pyodide in Node running one pytest session over the project's own folders.
//
// Usage: node node_session.mjs BOOT.json, then the session's spec as one JSON line on stdin.
// The interpreter boots first (Pyodide, pytest and the session runner, BOOT.json's
// `pyodideDir`, `preload` and `runner`), while the host is still collecting; the spec that
// names the tests comes when the host knows them (browser_rt/testing/node_session.py). Nothing
// of the project is mounted or imported before the spec arrives. The project's folders are
// mounted with NODEFS at the same absolute paths as on the host, so pytest inside finds the same
// rootdir, ini file and node ids. stdout carries only the session's JSON lines
// (browser_rt/testing/inner.py); everything Python or Pyodide prints goes to stderr, which the
// host keeps for a crash report. A stdin closed without a spec ends the process quietly.
//
// With BOOT.json's `snapshot` (browser_rt/testing/session_snapshot.py), the interpreter is
// restored from a cached memory snapshot that already holds `preload` imported, once the
// container's sha256 equals the one its description records. Any failure boots the normal way
// and says why in one JSON line, `{"type": "snapshot", "used": false, "reason": ...}`, so the
// host can build the cache again; a restore says `"used": true`.
import { createHash } from "node:crypto";
import { readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const boot = JSON.parse(readFileSync(process.argv[2], "utf8"));
const toStdout = (line) => writeSync(1, `${line}\n`);
const toStderr = (line) => writeSync(2, `${line}\n`);

// An uncaught error would make Node print the line it came from: all of pyodide.asm.mjs.
process.on("uncaughtException", (error) => {
  toStderr(String(error?.stack ?? error).slice(0, 4000));
  process.exit(typeof error?.status === "number" ? error.status : 70);
});

/** The first line of stdin, or null when it closes without one. */
async function firstLine() {
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) {
    text += chunk;
    const end = text.indexOf("\n");
    if (end >= 0) {
      process.stdin.destroy();
      return text.slice(0, end);
    }
  }
  return text.trim() === "" ? null : text;
}

const core = await import(pathToFileURL(join(boot.pyodideDir, "pyodide.mjs")).href);
const options = { indexURL: `${boot.pyodideDir}/`, stdout: toStderr, stderr: toStderr };
const pyodide = (boot.snapshot && (await restored(boot.snapshot))) || (await core.loadPyodide(options));
await pyodide.loadPackage(boot.preload, { messageCallback: () => {}, errorCallback: toStderr });
const runner = pyodide.globals.get("dict")();
pyodide.runPython(boot.runner, { globals: runner, filename: "browser_rt_inner.py" });

/**
 * The interpreter restored from the cached snapshot, or null (the reason is on stdout).
 * @param {{container: string, info: {sha256: string, bytes: number}, module: string}} snapshot
 */
async function restored(snapshot) {
  const report = (used, reason = "") => toStdout(JSON.stringify({ type: "snapshot", used, reason: reason.slice(0, 500) }));
  try {
    const bytes = new Uint8Array(readFileSync(snapshot.container));
    const digest = createHash("sha256").update(bytes).digest("hex");
    if (bytes.length !== snapshot.info.bytes || digest !== snapshot.info.sha256) {
      report(false, `hash_mismatch: ${snapshot.container} has sha256 ${digest} (${bytes.length} bytes)`);
      return null;
    }
    const { restoreFromSnapshot } = await import(pathToFileURL(snapshot.module).href);
    const outcome = await restoreFromSnapshot(new URL(options.indexURL, "file:///"), core, options, { info: snapshot.info, bytes });
    if (!outcome.ok) {
      report(false, `${outcome.reason}: ${outcome.detail}`);
      return null;
    }
    report(true);
    return outcome.pyodide;
  } catch (error) {
    report(false, `unreadable: ${String(error?.message ?? error).split("\n")[0]}`);
    return null;
  }
}

const line = await firstLine();
if (line === null) process.exit(0);
const spec = JSON.parse(line);
for (const folder of spec.folders) {
  pyodide.FS.mkdirTree(folder);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: folder }, folder);
}
await pyodide.loadPackage(spec.packages, { messageCallback: () => {}, errorCallback: toStderr });
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
