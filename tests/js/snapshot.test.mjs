// The memory snapshot in Node, page mode: createRuntime restores it (files, packages and the
// random state as a normal boot has them), and boots the normal way, with a snapshot.fallback
// event naming why, when the snapshot is missing, one byte differs, it was made for another
// Pyodide, or it would hand Python a JS object. The same in the browser: e2e/snapshot.spec.js.
// Worker mode's page-side copy (snapshot_source.mjs): read and verified once, then a fresh copy
// for every worker, which no worker's change to its own copy can reach.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bundleDir } from "./helpers.mjs";

const { createRuntime } = await import(`${bundleDir()}/js_bridge/index.mjs`);
const { parseContainer, readVerifiedSnapshot, SNAPSHOT_INFO } = await import(`${bundleDir()}/js_bridge/snapshot.mjs`);
const { createSnapshotSource } = await import(`${bundleDir()}/js_bridge/snapshot_source.mjs`);
const PYODIDE = path.join(bundleDir(), "pyodide");
const INFO = JSON.parse(readFileSync(path.join(PYODIDE, SNAPSHOT_INFO), "utf8"));

/** @param {string} indexDir @param {Record<string, unknown>} [extra] */
async function start(indexDir, extra = {}) {
  const events = [];
  const rt = await createRuntime({ indexURL: `${indexDir}/`, isolation: "page", diagnostics: { sink: (e) => events.push(e) }, ...extra });
  const boot = events.filter((e) => String(e.type).startsWith("snapshot."));
  return { rt, events, boot };
}

/** A copy of the bundle's pyodide/ folder, changed by `change`, removed after the test. */
function variant(t, change) {
  const folder = mkdtempSync(path.join(tmpdir(), "browser-rt-snapshot-"));
  const copy = path.join(folder, "pyodide");
  cpSync(PYODIDE, copy, { recursive: true });
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  change(copy);
  return copy;
}

/** Rewrite the container and its recorded sha256 together, so only the change itself differs. */
function rewrite(copy, edit) {
  const file = path.join(copy, INFO.file);
  const bytes = edit(new Uint8Array(readFileSync(file)));
  writeFileSync(file, bytes);
  const info = { ...INFO, sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length };
  writeFileSync(path.join(copy, SNAPSHOT_INFO), JSON.stringify(info));
}

test("createRuntime restores the snapshot: browser_rt, its files and the packages asked for", async () => {
  const { rt, boot } = await start(PYODIDE, { packages: ["sortedcontainers"] });
  try {
    assert.equal(boot.length, 1, JSON.stringify(boot));
    assert.equal(boot[0].type, "snapshot.restored");
    assert.deepEqual(boot[0].packages, INFO.packages);
    const got = await rt.runPythonAsync(`
import importlib.metadata, sys, browser_rt.lab, sortedcontainers
[importlib.metadata.version("browser-rt"), "browser_rt.lab" in sys.modules, sortedcontainers.SortedList([3, 1]).pop(0)]`);
    assert.deepEqual(got, ["0.1.0", true, 1]);
  } finally {
    await rt.close();
  }
});

test("two restored runtimes do not share the builder's random state", async () => {
  const draws = [];
  for (let i = 0; i < 2; i++) {
    const { rt, boot } = await start(PYODIDE);
    assert.equal(boot[0].type, "snapshot.restored");
    draws.push(await rt.runPythonAsync("import random; random.random()"));
    await rt.close();
  }
  assert.notEqual(draws[0], draws[1]);
});

const FALLBACKS = [
  ["the snapshot is missing", "missing", (copy) => rmSync(path.join(copy, INFO.file))],
  ["its description is missing", "missing", (copy) => rmSync(path.join(copy, SNAPSHOT_INFO))],
  ["one byte differs", "hash_mismatch", (copy) => {
    const file = path.join(copy, INFO.file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1000] ^= 1;
    writeFileSync(file, bytes);
  }],
  ["it was made for another Pyodide", "build_mismatch", (copy) => {
    writeFileSync(path.join(copy, SNAPSHOT_INFO), JSON.stringify({ ...INFO, pyodide: "314.0.6" }));
  }],
  ["another build's snapshot, recorded as this one's", "build_mismatch", (copy) => rewrite(copy, (bytes) => {
    const header = 12 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
    const text = new TextDecoder().decode(bytes.subarray(12, header)).replace(INFO.build_id, "0".repeat(64));
    bytes.set(new TextEncoder().encode(text), 12);
    return bytes;
  })],
  ["it would hand Python a JS object", "js_references", (copy) => rewrite(copy, (bytes) => {
    const at = Buffer.from(bytes).indexOf('{"hiwireKeys":[null,null]');
    assert.ok(at > 0, "no Pyodide state header found");
    // The same length, so only the meaning changes: one key now names an object.
    bytes.set(new TextEncoder().encode('{"hiwireKeys":[{},null]  '), at);
    return bytes;
  })],
  ["its description is not one", "malformed", (copy) => writeFileSync(path.join(copy, SNAPSHOT_INFO), "{\"file\": \"../x\"}")],
  // Checked with the other checks, before anything reaches the heap, whether Pyodide's module
  // came up while the bytes were read (the restore is then abandoned there) or not.
  ["its description gives Pyodide's part another size", "malformed", (copy) => {
    writeFileSync(path.join(copy, SNAPSHOT_INFO), JSON.stringify({ ...INFO, pyodide_bytes: INFO.pyodide_bytes - 16 }));
  }],
];

test("the description records the size of Pyodide's own snapshot, at the container's end", () => {
  const bytes = readFileSync(path.join(PYODIDE, INFO.file));
  const parsed = parseContainer(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  assert.ok(!("reason" in parsed), JSON.stringify(parsed));
  assert.equal(INFO.pyodide_bytes, parsed.pyodideSnapshot.length);
});

for (const [what, reason, change] of FALLBACKS) {
  test(`when ${what}, the runtime boots the normal way and says why (${reason})`, async (t) => {
    const copy = variant(t, change);
    const { rt, boot } = await start(copy);
    try {
      assert.equal(boot.length, 1, JSON.stringify(boot));
      assert.equal(boot[0].type, "snapshot.fallback");
      assert.equal(boot[0].reason, reason, boot[0].detail);
      assert.equal(await rt.runPythonAsync("import browser_rt, sys; (1 + 1, 'browser_rt.host.embed' in sys.modules)").then(JSON.stringify), "[2,true]");
    } finally {
      await rt.close();
    }
  });
}

test("parseContainer names what is wrong with a container, and never throws", () => {
  const good = new Uint8Array(readFileSync(path.join(PYODIDE, INFO.file)));
  assert.ok("pyodideSnapshot" in parseContainer(good));
  for (const [bytes, reason] of [
    [new Uint8Array(0), "malformed"],
    [new TextEncoder().encode("NOTASNAP" + "x".repeat(100)), "malformed"],
    [good.slice(0, 5000), "malformed"],
  ]) {
    const got = parseContainer(bytes);
    assert.equal(got.reason, reason, JSON.stringify(got));
  }
});

/** The page's snapshot source over `folder`, counting how often it reads the snapshot. */
function countingSource(folder) {
  const counter = { reads: 0 };
  const source = createSnapshotSource(new URL(`file://${folder}/`), (url) => {
    counter.reads += 1;
    return readVerifiedSnapshot(url);
  });
  return { source, counter };
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

test("the page reads and verifies the snapshot once, then hands each worker a fresh copy no worker can change", async () => {
  const { source, counter } = countingSource(PYODIDE);
  const first = await source.forWorker();
  assert.deepEqual([first.event.type, first.event.reused, first.event.bytes], ["worker.snapshot", false, INFO.bytes]);
  assert.equal(sha256(first.snapshot.bytes), INFO.sha256);
  // A hostile worker rewrites the copy it was given, then the page starts another worker.
  const given = structuredClone(first.snapshot, { transfer: first.transfer });
  assert.equal(first.snapshot.bytes.byteLength, 0, "the copy was transferred: the page kept no handle on it");
  given.bytes.fill(0x41, 0, 4096);
  given.info.sha256 = "0".repeat(64);
  for (let restart = 0; restart < 2; restart++) {
    const next = await source.forWorker();
    assert.deepEqual([next.event.type, next.event.reused], ["worker.snapshot", true]);
    assert.equal(sha256(next.snapshot.bytes), INFO.sha256, "a restart restores exactly the verified bytes");
    assert.equal(next.snapshot.info.sha256, INFO.sha256);
    assert.notEqual(next.snapshot.bytes.buffer, given.bytes.buffer);
    assert.deepEqual(next.transfer, [next.snapshot.bytes.buffer]);
    next.snapshot.bytes.fill(0x42);
  }
  assert.equal(counter.reads, 1, "a restart neither downloads nor hashes the snapshot again");
  source.release();
  await source.forWorker();
  assert.equal(counter.reads, 2, "a released source reads again");
});

test("a snapshot that does not verify is reported on every worker start, and read once", async (t) => {
  const copy = variant(t, (folder) => {
    const file = path.join(folder, INFO.file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1000] ^= 1;
    writeFileSync(file, bytes);
  });
  const { source, counter } = countingSource(copy);
  for (let start = 0; start < 2; start++) {
    const got = await source.forWorker();
    assert.equal(got.snapshot, null);
    assert.deepEqual(got.transfer, []);
    assert.deepEqual([got.event.type, got.event.reason], ["snapshot.fallback", "hash_mismatch"]);
  }
  assert.equal(counter.reads, 1);
});

/**
 * Serve `folder` over loopback HTTP as a plain static host does (no content encoding), keeping
 * the path of every request.
 * @param {string} folder
 */
async function plainHost(folder) {
  const { createServer } = await import("node:http");
  const asked = [];
  const server = createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url, "http://x").pathname).slice(1);
    asked.push(name);
    try {
      const body = readFileSync(path.join(folder, path.basename(name)));
      response.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { url: new URL(`http://127.0.0.1:${server.address().port}/`), asked, stop: () => server.close() };
}

test("over HTTP the gzip copy is read, and any fault in it falls back to the plain file, never past the recorded size", async (t) => {
  const { gzipSync } = await import("node:zlib");
  const raw = readFileSync(path.join(PYODIDE, INFO.file));
  const cases = {
    intact: () => {},
    "one byte changed": (copy) => {
      const gz = readFileSync(path.join(copy, INFO.gzip.file));
      gz[gz.length >> 1] ^= 1;
      writeFileSync(path.join(copy, INFO.gzip.file), gz);
    },
    "unpacks to more than recorded": (copy) => writeFileSync(path.join(copy, INFO.gzip.file), gzipSync(Buffer.concat([raw, Buffer.alloc(1)]))),
    "unpacks to other bytes of the same size": (copy) => {
      const other = Buffer.from(raw);
      other[other.length >> 1] ^= 1;
      writeFileSync(path.join(copy, INFO.gzip.file), gzipSync(other));
    },
    missing: (copy) => rmSync(path.join(copy, INFO.gzip.file)),
  };
  for (const [name, change] of Object.entries(cases)) {
    const served = await plainHost(variant(t, change));
    try {
      const read = await readVerifiedSnapshot(served.url);
      assert.equal(read.ok, name !== "unpacks to other bytes of the same size", `${name}: ${JSON.stringify(read.reason)}`);
      const fetched = served.asked.filter((p) => p !== SNAPSHOT_INFO);
      if (name === "intact") assert.deepEqual(fetched, [INFO.gzip.file], "only the compressed copy is fetched");
      else if (name === "unpacks to other bytes of the same size") assert.equal(read.reason, "hash_mismatch");
      else assert.deepEqual(fetched, [INFO.gzip.file, INFO.file], `${name}: the plain file is read instead`);
    } finally {
      served.stop();
    }
  }
});
