// The memory snapshot in Node, page mode: createRuntime restores it (files, packages and the
// random state as a normal boot has them) from the bundle's one snapshot file, gzip-compressed,
// and boots the normal way, with a snapshot.fallback event naming why, when the file is missing,
// one byte of it differs, it is cut short, it unpacks to other bytes or another size than
// recorded, it was made for another Pyodide, or it would hand Python a JS object. The same in
// the browser: e2e/snapshot.spec.js.
// Worker mode's page-side copy (snapshot_source.mjs): read and verified once, then a fresh copy
// for every worker, which no worker's change to its own copy can reach.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import path from "node:path";
import { bundleDir } from "./helpers.mjs";

const { createRuntime } = await import(`${bundleDir()}/js_bridge/index.mjs`);
const { FALLBACK_REASONS, pageModeRefusal, parseContainer, readVerifiedSnapshot, SNAPSHOT_INFO } = await import(`${bundleDir()}/js_bridge/snapshot.mjs`);
const { createSnapshotSource } = await import(`${bundleDir()}/js_bridge/snapshot_source.mjs`);
const PYODIDE = path.join(bundleDir(), "pyodide");
const INFO = JSON.parse(readFileSync(path.join(PYODIDE, SNAPSHOT_INFO), "utf8"));
/** The container the bundle's snapshot file unpacks to. */
const CONTAINER = gunzipSync(readFileSync(path.join(PYODIDE, INFO.file)));
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

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

/**
 * Write `container`, compressed, as the snapshot file, and record what `record` names of it
 * (the file's own sha256 and size, the unpacked ones), so that only the rest differs.
 */
function repack(copy, container, record = { packed: true, unpacked: true }) {
  const packed = gzipSync(container);
  writeFileSync(path.join(copy, INFO.file), packed);
  const info = structuredClone(INFO);
  if (record.packed) info.gzip = { sha256: sha256(packed), bytes: packed.length };
  if (record.unpacked) Object.assign(info, { sha256: sha256(container), bytes: container.length });
  writeFileSync(path.join(copy, SNAPSHOT_INFO), JSON.stringify(info));
}

/** Rewrite the container and every recorded sha256 together, so only the change itself differs. */
function rewrite(copy, edit) {
  repack(copy, edit(new Uint8Array(CONTAINER)));
}

/** Change one byte of the snapshot file as shipped, at `at` (negative: from its end). */
function flipByte(copy, at) {
  const file = path.join(copy, INFO.file);
  const bytes = readFileSync(file);
  bytes[at < 0 ? bytes.length + at : at] ^= 1;
  writeFileSync(file, bytes);
}

/**
 * The first offset from `at` towards the file's middle where one changed bit breaks unpacking.
 * Deflate can say the same bytes more than one way: the container ends in a long run of zeros,
 * and in the last kilobytes that encode it a changed bit may unpack to the very same container
 * (then only the file's own sha256 notices). A test that means the unpacking to notice picks a
 * byte that the unpacking does notice.
 * @param {number} at an offset, negative from the end
 */
function breaksUnpacking(at) {
  const packed = readFileSync(path.join(PYODIDE, INFO.file));
  const step = at < 0 ? -64 : 64;
  for (let offset = at < 0 ? packed.length + at : at, tries = 0; tries < 256; offset += step, tries += 1) {
    const changed = Buffer.from(packed);
    changed[offset] ^= 1;
    try {
      gunzipSync(changed);
    } catch {
      return offset;
    }
  }
  throw new Error(`no byte from ${at} on breaks unpacking ${INFO.file}`);
}

/** An offset in the deflate data where one changed bit unpacks to the same container (in the
 * encoding of the container's closing zeros, searched from the end); else the gzip header's time,
 * which unpacking never reads. */
function unpacksTheSame() {
  const packed = readFileSync(path.join(PYODIDE, INFO.file));
  for (let offset = packed.length - 9, tries = 0; offset > 10 && tries < 64; offset -= 1) {
    if (packed[offset] !== 0) continue;
    tries += 1;
    const changed = Buffer.from(packed);
    changed[offset] ^= 1;
    try {
      if (gunzipSync(changed).equals(CONTAINER)) return offset;
    } catch {
      // this one breaks unpacking; look further
    }
  }
  return 5; // the gzip header's time: unpacking never looks at it
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
  // Where a byte is changed decides what notices: the unpacking (the gzip CRC at its end), or,
  // for the header bytes unpacking ignores (the time), the file's own sha256.
  ["one byte in its middle differs", "unpack_failed", (copy) => flipByte(copy, breaksUnpacking(INFO.gzip.bytes >> 1))],
  ["one byte near its end differs", "unpack_failed", (copy) => flipByte(copy, breaksUnpacking(-1000))],
  ["one byte differs where it unpacks to the same container", "hash_mismatch", (copy) => flipByte(copy, unpacksTheSame())],
  ["one byte of its gzip header's time differs", "hash_mismatch", (copy) => flipByte(copy, 5)],
  ["it is cut short", "unpack_failed", (copy) => {
    writeFileSync(path.join(copy, INFO.file), readFileSync(path.join(copy, INFO.file)).subarray(0, INFO.gzip.bytes - 100));
  }],
  ["it unpacks to other bytes than recorded", "hash_mismatch", (copy) => {
    const other = Buffer.from(CONTAINER);
    other[other.length >> 1] ^= 1;
    repack(copy, other, { packed: true, unpacked: false });
  }],
  ["it unpacks to more bytes than recorded", "size_mismatch", (copy) => {
    repack(copy, Buffer.concat([CONTAINER, Buffer.alloc(1)]), { packed: true, unpacked: false });
  }],
  ["it unpacks to fewer bytes than recorded", "size_mismatch", (copy) => {
    repack(copy, CONTAINER.subarray(0, CONTAINER.length - 1), { packed: true, unpacked: false });
  }],
  ["the file is larger than recorded", "size_mismatch", (copy) => {
    writeFileSync(path.join(copy, INFO.file), Buffer.concat([readFileSync(path.join(copy, INFO.file)), Buffer.alloc(64)]));
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

test("the bundle ships one snapshot file, gzip-compressed, and records it and what it unpacks to", () => {
  const packed = readFileSync(path.join(PYODIDE, INFO.file));
  assert.deepEqual([...packed.subarray(0, 2)], [0x1f, 0x8b]);
  assert.deepEqual(INFO.gzip, { sha256: sha256(packed), bytes: packed.length });
  assert.deepEqual([INFO.sha256, INFO.bytes], [sha256(CONTAINER), CONTAINER.length]);
  assert.throws(() => readFileSync(path.join(PYODIDE, INFO.file.replace(/\.gz$/, ""))), { code: "ENOENT" }, "no uncompressed copy beside it");
});

test("the description records the size of Pyodide's own snapshot, at the container's end", () => {
  const parsed = parseContainer(new Uint8Array(CONTAINER.buffer, CONTAINER.byteOffset, CONTAINER.byteLength));
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
  const good = new Uint8Array(CONTAINER);
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

test("page mode does not restore in Chromium, found by its brand or, without client hints, its user agent", () => {
  const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
  const headless = chrome.replace("Chrome/", "HeadlessChrome/");
  const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0";
  const safari = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15";
  const brands = (/** @type {string[]} */ ...names) => ({ userAgentData: { brands: names.map((brand) => ({ brand, version: "156" })) }, userAgent: firefox });
  for (const nav of [{ userAgent: chrome }, { userAgent: headless }, brands("Not A Brand", "Chromium", "Google Chrome")]) {
    const refusal = pageModeRefusal(nav);
    assert.equal(refusal?.reason, "unsafe_in_engine", JSON.stringify(nav));
    assert.ok(FALLBACK_REASONS.includes(refusal.reason));
    assert.match(refusal.detail, /heap profiler/);
  }
  for (const nav of [{ userAgent: firefox }, { userAgent: safari }, { userAgent: "Node.js/22" }, undefined, {}, brands("Not A Brand")]) {
    assert.equal(pageModeRefusal(nav), null, JSON.stringify(nav));
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
  const copy = variant(t, (folder) => flipByte(folder, 5));
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
 * Serve `folder` over loopback HTTP, keeping the path of every request: as a plain static host
 * does (no content encoding), or, with `encoded`, sending the .gz file with `Content-Encoding:
 * gzip` (the client unpacks it).
 * @param {string} folder @param {{encoded?: boolean}} [options]
 */
async function staticHost(folder, { encoded = false } = {}) {
  const { createServer } = await import("node:http");
  const asked = [];
  const server = createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url, "http://x").pathname).slice(1);
    asked.push(name);
    try {
      const body = readFileSync(path.join(folder, path.basename(name)));
      const headers = { "content-type": "application/octet-stream" };
      if (encoded && name.endsWith(".gz")) headers["content-encoding"] = "gzip";
      response.writeHead(200, headers).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { url: new URL(`http://127.0.0.1:${server.address().port}/`), asked, stop: () => server.close() };
}

test("over HTTP only the gzip file is read, unpacked by the page or by the client as the host encodes it; every fault falls back", async (t) => {
  const unhandled = [];
  const onUnhandled = (error) => unhandled.push(error);
  process.on("unhandledRejection", onUnhandled);
  t.after(() => process.off("unhandledRejection", onUnhandled));
  const other = Buffer.from(CONTAINER);
  other[other.length >> 1] ^= 1;
  const cases = [
    ["intact", false, () => {}, null],
    ["intact, sent with Content-Encoding: gzip", true, () => {}, null],
    ["missing", false, (copy) => rmSync(path.join(copy, INFO.file)), "missing"],
    ["one byte changed", false, (copy) => flipByte(copy, INFO.gzip.bytes >> 1), "unpack_failed"],
    ["one byte of the gzip header changed", false, (copy) => flipByte(copy, 5), "hash_mismatch"],
    ["cut short", false, (copy) => writeFileSync(path.join(copy, INFO.file), readFileSync(path.join(copy, INFO.file)).subarray(0, 4096)), "unpack_failed"],
    ["unpacks to more than recorded", false, (copy) => repack(copy, Buffer.concat([CONTAINER, Buffer.alloc(1)]), { packed: true, unpacked: false }), "size_mismatch"],
    ["unpacks to other bytes, sent with Content-Encoding: gzip", true, (copy) => repack(copy, other, { packed: true, unpacked: false }), "hash_mismatch"],
    ["unpacks to more than recorded, sent with Content-Encoding: gzip", true, (copy) => repack(copy, Buffer.concat([CONTAINER, Buffer.alloc(1)]), { packed: true, unpacked: false }), "size_mismatch"],
  ];
  for (const [name, encoded, change, reason] of cases) {
    const served = await staticHost(variant(t, change), { encoded });
    try {
      const read = await readVerifiedSnapshot(served.url);
      if (reason === null) {
        assert.equal(read.ok, true, `${name}: ${read.reason} ${read.detail}`);
        assert.equal(sha256(read.bytes), INFO.sha256, name);
      } else {
        assert.equal(read.reason, reason, `${name}: ${read.detail}`);
        assert.ok(read.detail.includes(INFO.file), `${name}: the detail names the file: ${read.detail}`);
      }
      assert.deepEqual(served.asked.filter((p) => p !== SNAPSHOT_INFO), [INFO.file], `${name}: only the gzip file is fetched`);
    } finally {
      served.stop();
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(unhandled, []);
});
