// The StorageAuthority checks, run inside the page in whichever engine opened it (the driver in
// e2e/engines.js only reads #results). A reload is the driver opening the next phase's URL in
// the same browser, so what the first phase flushed must come back in the second.
//
// Query parameters: phase (first | second | crash-start | crash-check), mode (worker | page),
// run (a prefix that keeps one test run's namespaces apart from another's).
import { createRuntime } from "/js_bridge/index.mjs";
import { openIndexedDBBackend, openOpfsBackend } from "/js_bridge/storage/backends.mjs";

const params = new URLSearchParams(location.search);
const PHASE = params.get("phase") ?? "first";
const MODE = params.get("mode") ?? "worker";
const RUN = params.get("run") ?? "r";
const NS1 = `${RUN}-${MODE}-one`;
const NS2 = `${RUN}-${MODE}-two`;
const NS3 = `${RUN}-${MODE}-crash`;
const GRANT = Object.freeze({ namespace: NS1, quota_bytes: 200_000, max_file_bytes: 100_000, max_files: 20 });
const APP_FILE = "app-own.txt";
const APP_TEXT = "the app's own file, not browser_rt's";
const status = document.getElementById("status");

/** @type {{name: string, ok: boolean, detail: unknown}[]} */
const checks = [];
/** @type {Record<string, unknown>[]} */
const events = [];

function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), detail });
  status.value = `ran ${checks.length}`;
}

async function attempt(name, body) {
  try {
    await body();
  } catch (error) {
    check(name, false, { threw: `${error?.name}: ${String(error?.message ?? error).slice(0, 400)}` });
  }
}

function start(storageAuthority, extra = {}) {
  return createRuntime({
    indexURL: "/pyodide/", isolation: MODE, storageAuthority,
    diagnostics: { sink: (event) => events.push(event) }, ...extra,
  });
}

async function run(rt, code) {
  try {
    return { ok: true, value: await rt.runPythonAsync(code) };
  } catch (error) {
    return { ok: false, type: error.type, message: String(error.message) };
  }
}

const hasOPFS = typeof navigator.storage?.getDirectory === "function";

/** The app's own data beside browser_rt's: an OPFS file (where there is OPFS) and a database. */
async function writeAppData() {
  if (hasOPFS) {
    const root = await navigator.storage.getDirectory();
    const writable = await (await root.getFileHandle(APP_FILE, { create: true })).createWritable();
    await writable.write(APP_TEXT);
    await writable.close();
  }
  await idb("app-own-db", (store) => store.put(APP_TEXT, "key"));
}

async function readAppData() {
  let file = null;
  /** @type {string[]} */
  let rootNames = [];
  if (hasOPFS) {
    const root = await navigator.storage.getDirectory();
    file = await (await (await root.getFileHandle(APP_FILE)).getFile()).text();
    for await (const name of root.keys()) rootNames.push(name);
    rootNames = rootNames.sort();
  }
  const record = await idb("app-own-db", (store) => store.get("key"));
  return { file, rootNames, record };
}

/** One request in a tiny database of the app's own. */
function idb(name, action) {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(name, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore("s");
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
      const tx = opening.result.transaction("s", "readwrite");
      const request = action(tx.objectStore("s"));
      tx.oncomplete = () => {
        opening.result.close();
        resolve(request.result);
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

// Python that sends a flush straight to the page's writer, past Python's own checks: what a
// hostile worker could post. Returns (ok, limit, reason).
const RAW_FLUSH = `
import browser_rt.storage as s
async def raw_flush(writes, keep=("notes.txt", "sub/deep/a.bin")):
    out = await s.current()._host.flush(writes, list(keep))
    return [out.ok, out.limit, out.reason]
`;

const PATH_ATTACKS = Object.freeze([
  ["../escape.txt", "dot_segment"],
  [`../${NS2}/stolen.txt`, "dot_segment"],
  ["sub/../../up.txt", "dot_segment"],
  ["./here.txt", "dot_segment"],
  ["/etc/passwd", "absolute"],
  ["nul\\u0000byte", "control_char"],
  ["line\\nbreak", "control_char"],
  ["esc\\u001bape", "control_char"],
  ["del\\u007f", "control_char"],
  ["back\\\\slash", "backslash"],
  ["a//b", "empty_segment"],
  ["trailing/", "empty_segment"],
  ["", "empty"],
  ["n".repeat(256), "name_too_long"],
  [Array(17).fill("d").join("/"), "too_deep"],
  [`${"pp/".repeat(400)}x`, "path_too_long"],
]);

async function first() {
  await writeAppData();
  await attempt("a bad grant is refused, naming the field", async () => {
    const got = [];
    for (const [grant, field] of [[{ namespace: "Bad Name" }, "namespace"], [{ namespace: "ok", quota_bytes: 0 }, "quota_bytes"],
      [{ namespace: "ok", max_file_bytes: 10, quota_bytes: 5 }, "max_file_bytes"], [{ namespace: "ok", readonly: true }, "readonly"]]) {
      try {
        await start(grant);
        got.push({ field, refused: false });
      } catch (error) {
        got.push({ field, refused: error.name === "StorageGrantError" && error.field === field && error.message.includes(field) });
      }
    }
    check("a bad grant is refused, naming the field", got.every((g) => g.refused), got);
  });
  const rt = await start(GRANT);
  await attempt("files written by Python are flushed at the end of the run", async () => {
    const got = await run(rt, `
import pathlib, shutil
pathlib.Path("/data/sub/deep").mkdir(parents=True, exist_ok=True)
with open("/data/notes.txt", "w") as f:
    f.write("survives a reload")
pathlib.Path("/data/tmp.bin").write_bytes(bytes(range(256)))
shutil.move("/data/tmp.bin", "/data/sub/deep/a.bin")
sorted(str(p.relative_to("/data")) for p in pathlib.Path("/data").rglob("*"))`);
    const record = rt.bridgeRecord().entries.filter((e) => e.kind === "storage");
    const last = record.at(-1);
    check("files written by Python are flushed at the end of the run",
      got.ok && last?.outcome === "committed" && last.files === 2 && last.bytes === 273 && last.namespace === NS1 && !("names" in last),
      { got, last });
  });
  await attempt("a quota overrun is refused whole, by Python and by the page", async () => {
    const got = await run(rt, `${RAW_FLUSH}
import os
for i in range(3):
    with open(f"/data/big{i}.bin", "wb") as f:
        f.write(b"x" * 90_000)
try:
    await s.flush()
    polite = "flushed"
except s.StorageRefused as error:
    polite = [error.limit, error.reason, "nothing was written" in str(error) or "quota_bytes" in str(error)]
raw = await raw_flush([(f"big{i}.bin", b"x" * 90_000, 0.0) for i in range(3)])
too_big = await raw_flush([("one.bin", b"x" * 100_001, 0.0)])
too_many = await raw_flush([(f"f{i}", b"", 0.0) for i in range(21)], keep=())
for i in range(3):
    os.remove(f"/data/big{i}.bin")
[polite, raw, too_big, too_many]`);
    const refused = rt.bridgeRecord().entries.filter((e) => e.kind === "storage" && e.outcome === "refused");
    const expected = [["quota_bytes", "quota_exceeded", true], [false, "quota_bytes", "quota_exceeded"],
      [false, "max_file_bytes", "file_too_large"], [false, "max_files", "too_many_files"]];
    const event = events.find((e) => e.type === "storage.flush" && e.outcome === "refused");
    check("a quota overrun is refused whole, by Python and by the page",
      got.ok && JSON.stringify(got.value) === JSON.stringify(expected) && refused.length === 3 && event?.source === "bridge",
      { got, refused, event });
  });
  await attempt("each path attack is refused by the page", async () => {
    const list = PATH_ATTACKS.map(([path]) => `"${path}"`).join(", ");
    const got = await run(rt, `${RAW_FLUSH}
[await raw_flush([(p, b"attack", 0.0)]) for p in [${list}]]`);
    const wrong = got.ok ? PATH_ATTACKS.filter(([, reason], i) => JSON.stringify(got.value[i]) !== JSON.stringify([false, "path", reason])) : PATH_ATTACKS;
    check("each path attack is refused by the page", got.ok && wrong.length === 0, { got: got.ok ? undefined : got, wrong });
  });
  await attempt("Python refuses a file name the page would refuse, naming it", async () => {
    const got = await run(rt, `
import browser_rt.storage as s, os
open("/data/bad\\x01name", "w").close()
try:
    await s.flush()
    r = "flushed"
except s.StorageRefused as error:
    r = [error.limit, error.reason]
os.remove("/data/bad\\x01name")
r`);
    check("Python refuses a file name the page would refuse, naming it", got.ok && JSON.stringify(got.value) === '["path","control_char"]', got);
  });
  await attempt("a second runtime on the same namespace is refused while the first holds it", async () => {
    const begun = performance.now();
    let message = null;
    try {
      const again = await start(GRANT);
      await again.close();
    } catch (error) {
      message = String(error.message);
    }
    check("a second runtime on the same namespace is refused while the first holds it",
      message !== null && message.includes("in use"), { message, waitedMs: Math.round(performance.now() - begun) });
  });
  await attempt("a second namespace cannot see the first", async () => {
    const other = await start({ namespace: NS2 });
    const got = await run(other, `
import os, pathlib
seen = sorted(os.listdir("/data"))
pathlib.Path("/data/other.txt").write_text("namespace two")
seen`);
    await other.close();
    check("a second namespace cannot see the first", got.ok && JSON.stringify(got.value) === "[]", got);
  });
  await attempt("without a grant Python has no /data and no storage", async () => {
    const bare = await createRuntime({ indexURL: "/pyodide/", isolation: MODE });
    const got = await run(bare, `
import os, browser_rt.storage as s
try:
    s.current()
    r = "granted"
except s.StorageUnavailable:
    r = "unavailable"
[os.path.exists("/data"), r]`);
    await bare.close();
    check("without a grant Python has no /data and no storage", got.ok && JSON.stringify(got.value) === '[false,"unavailable"]', got);
  });
  if (MODE === "worker") {
    await attempt("a worker restarted by interrupt() gets back what was flushed", async () => {
      const rt = await start({ namespace: `${RUN}-restart` });
      const wrote = await run(rt, "open('/data/kept.txt', 'w').write('flushed at the end of the run')");
      const busy = rt.runPythonAsync("open('/data/lost.txt', 'w').write('never flushed')\nwhile True:\n    pass").catch((error) => error);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const { stage } = await rt.interrupt();
      await busy;
      const got = await run(rt, "import os\nsorted(os.listdir('/data'))");
      await rt.close();
      check("a worker restarted by interrupt() gets back what was flushed",
        wrote.ok && stage === "restart" && got.ok && JSON.stringify(got.value) === '["kept.txt"]', { wrote, stage, got });
    });
  }
  if (hasOPFS) await attempt("a commit cut short at any step leaves old or new files", checkRecovery);
  if (MODE === "page") await attempt("IndexedDB: a held database is an error, and leaving aborts a commit", checkIndexedDBHeld);
}

/**
 * The IndexedDB store (WebKitGTK's, and any engine without OPFS) must never wait for ever: a
 * write another page holds open makes a read an error that says so, and a page that leaves
 * (pagehide) drops its commit or removal in flight, so a page kept in the back/forward cache
 * does not hold later pages' reads.
 */
async function checkIndexedDBHeld() {
  const namespace = `${RUN}-idb-held`;
  const store = await openIndexedDBBackend(namespace, 500);
  await store.commit({ generation: 1, files: new Map([["a.txt", { blob: "b-1-0", size: 3, mtime: 1 }]]) },
    [["b-1-0", new TextEncoder().encode("old")]]);
  // Another connection keeps a write open by chaining requests.
  const other = await new Promise((resolve, reject) => {
    const opening = indexedDB.open("browser_rt_storage", 1);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  let holding = true;
  const held = other.transaction("manifests", "readwrite");
  const keep = () => {
    held.objectStore("manifests").get("nothing").onsuccess = () => {
      if (holding) keep();
    };
  };
  keep();
  const started = performance.now();
  const waited = await store.load().then(() => "answered", (error) => String(error.message));
  const waitedMs = Math.round(performance.now() - started);
  holding = false;
  await new Promise((resolve) => {
    held.oncomplete = resolve;
    held.onabort = resolve;
  });
  other.close();
  // A commit in flight when the page leaves is dropped whole.
  const commit = store.commit({ generation: 2, files: new Map([["a.txt", { blob: "b-2-0", size: 3, mtime: 2 }]]) },
    [["b-2-0", new TextEncoder().encode("new")]]);
  dispatchEvent(new Event("pagehide"));
  const committed = await commit.then(() => "committed", (error) => String(error?.name ?? error));
  const after = await store.load();
  const text = new TextDecoder().decode(await store.read(/** @type {any} */ (after.files.get("a.txt")).blob));
  // A removal of old blobs in flight is dropped too: the blob it would have removed stays.
  const removal = store.discard(2, ["b-1-0"]);
  dispatchEvent(new Event("pagehide"));
  await removal;
  const kept = await store.read("b-1-0").then(() => "kept", (error) => String(error?.message ?? error));
  check("IndexedDB: a held database is an error, and leaving aborts a commit",
    waited.includes("did not answer within 500 ms") && waitedMs < 5000 && committed !== "committed"
      && after.generation === 1 && text === "old" && kept === "kept",
    { waited, waitedMs, committed, generation: after.generation, text, kept });
}

/**
 * The states a crash can leave in OPFS, written directly, then read back by a fresh open:
 * new blobs without a manifest, and a half-written manifest, must give the old files; a whole
 * new manifest whose old blobs were not removed yet must give the new ones.
 */
async function checkRecovery() {
  const name = `${RUN}-${MODE}-recovery`;
  const encode = (text) => new TextEncoder().encode(text);
  const decode = (bytes) => new TextDecoder().decode(bytes);
  const backend = await openOpfsBackend(name);
  await backend.commit({ generation: 1, files: new Map([["f.txt", { blob: "b-1-0", size: 3, mtime: 0 }]]) }, [["b-1-0", encode("old")]]);
  const folder = await (await (await (await navigator.storage.getDirectory()).getDirectoryHandle("browser_rt")).getDirectoryHandle("storage")).getDirectoryHandle(name);
  const put = async (file, text) => {
    const writable = await (await folder.getFileHandle(file, { create: true })).createWritable();
    await writable.write(text);
    await writable.close();
  };
  const read = async () => {
    const opened = await openOpfsBackend(name);
    const manifest = await opened.load();
    const entry = manifest.files.get("f.txt");
    const names = [];
    for await (const key of folder.keys()) names.push(key);
    return { text: decode(await opened.read(entry.blob)), names: names.sort() };
  };
  await put("b-2-0", "new");
  const blobsOnly = await read();
  await put("b-2-0", "new");
  await put("m-2.json", '{"generation":2,"files":[["f.txt","b-2-0",3,');
  const halfManifest = await read();
  await put("b-2-0", "new");
  await put("m-2.json", '{"generation":2,"files":[["f.txt","b-2-0",3,0]]}');
  const wholeManifest = await read();
  check("a commit cut short at any step leaves old or new files",
    blobsOnly.text === "old" && halfManifest.text === "old" && wholeManifest.text === "new"
      && JSON.stringify(wholeManifest.names) === '["b-2-0","m-2.json"]' && JSON.stringify(halfManifest.names) === '["b-1-0","m-1.json"]',
    { blobsOnly, halfManifest, wholeManifest });
}

async function second() {
  await attempt("files survive a reload, and nothing refused was written", async () => {
    const rt = await start(GRANT);
    const got = await run(rt, `
import pathlib
root = pathlib.Path("/data")
[sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()),
 (root / "notes.txt").read_text(), (root / "sub/deep/a.bin").read_bytes() == bytes(range(256))]`);
    const viaFs = new TextDecoder().decode(await rt.fs.readFile("/data/notes.txt"));
    await rt.close();
    check("files survive a reload, and nothing refused was written",
      got.ok && JSON.stringify(got.value) === '[["notes.txt","sub/deep/a.bin"],"survives a reload",true]' && viaFs === "survives a reload", { got, viaFs });
  });
  await attempt("the second namespace kept its own file", async () => {
    const rt = await start({ namespace: NS2 });
    const got = await run(rt, "import os\nsorted(os.listdir('/data'))");
    await rt.close();
    check("the second namespace kept its own file", got.ok && JSON.stringify(got.value) === '["other.txt"]', got);
  });
  await attempt("a read-only grant reads, and refuses a change", async () => {
    const rt = await start({ ...GRANT, read_only: true });
    const got = await run(rt, `
import browser_rt.storage as s
text = open("/data/notes.txt").read()
open("/data/new.txt", "w").write("no")
try:
    await s.flush()
    r = "flushed"
except s.StorageRefused as error:
    r = error.limit
import os
os.remove("/data/new.txt")
[text, r]`);
    await rt.close();
    check("a read-only grant reads, and refuses a change", got.ok && JSON.stringify(got.value) === '["survives a reload","read_only"]', got);
  });
  await attempt("the app's own storage is untouched", async () => {
    const app = await readAppData();
    check("the app's own storage is untouched",
      (!hasOPFS || (app.file === APP_TEXT && JSON.stringify(app.rootNames) === `["${APP_FILE}","browser_rt"]`)) && app.record === APP_TEXT,
      { ...app, hasOPFS });
  });
}

const BIG = 4 * 1024 * 1024;

async function crashStart() {
  const rt = await start({ namespace: NS3, quota_bytes: 3 * BIG, max_file_bytes: BIG });
  const got = await run(rt, `open("/data/big.bin", "wb").write(b"A" * ${BIG})`);
  check("the old content is committed", got.ok, got);
  const cut = params.get("cut") ?? "none";
  if (cut !== "none") {
    // Leave the page at one step of the commit, as a crash would: that step never finishes.
    const next = new URL(location.href);
    next.searchParams.set("phase", "crash-check");
    const leave = () => {
      location.replace(next.href);
      return new Promise(() => {});
    };
    if (!hasOPFS) {
      // IndexedDB: the blobs are queued in the commit's transaction, then the manifest fails
      // and the page leaves; the transaction must take none of it.
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (...args) {
        if (this.name !== "manifests") return put.apply(this, args);
        leave();
        throw new DOMException("cut before the manifest", "AbortError");
      };
    } else if (cut === "close") {
      FileSystemWritableFileStream.prototype.close = leave;
    } else {
      const createWritable = FileSystemFileHandle.prototype.createWritable;
      FileSystemFileHandle.prototype.createWritable = function (...args) {
        return this.name.startsWith("m-") ? leave() : createWritable.apply(this, args);
      };
    }
    await rt.runPythonAsync(`open("/data/big.bin", "wb").write(b"B" * ${BIG})`).catch(() => {});
    // The navigation has begun, but it lands only after this task: report nothing until then,
    // or the driver would read this phase's results. A commit that never reached the cut ends
    // here after a while, and the driver sees it did not leave.
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    return;
  }
  // The next flush starts; the driver navigates away as soon as it sees #results.
  rt.runPythonAsync(`open("/data/big.bin", "wb").write(b"B" * ${BIG})`).catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, Number(params.get("delay") ?? 0)));
}

async function crashCheck() {
  await attempt("a flush cut short by a reload leaves the old or the new file whole", async () => {
    const rt = await start({ namespace: NS3, quota_bytes: 3 * BIG, max_file_bytes: BIG });
    const got = await run(rt, `
data = open("/data/big.bin", "rb").read()
[len(data), data == b"A" * len(data) and "old" or data == b"B" * len(data) and "new" or "mixed"]`);
    await rt.close();
    check("a flush cut short by a reload leaves the old or the new file whole",
      got.ok && got.value[0] === BIG && ["old", "new"].includes(got.value[1]), got);
  });
}

const PHASES = { first, second, "crash-start": crashStart, "crash-check": crashCheck };
try {
  await PHASES[PHASE]();
} catch (error) {
  check(`phase ${PHASE}`, false, { threw: `${error?.name}: ${String(error?.message ?? error).slice(0, 400)}` });
}
const results = document.getElementById("results");
results.textContent = JSON.stringify({ phase: PHASE, mode: MODE, checks });
results.dataset.state = "done";
status.value = "done";
