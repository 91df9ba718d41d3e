// @ts-check
// The bundle's memory snapshot in every engine (the Playwright project names it). The snapshot
// is taken once, in Node, by `browser-rt bundle`; these tests show whether that one snapshot
// restores in Chromium, Firefox and WebKit, and that a restored worker holds the same boundary
// as one booted the normal way: the whole worker security suite passes with it, the revocation
// reports the same doors closed, and hostile Python's escapes end the same way. The bundle ships
// one snapshot file, gzip-compressed, which each engine unpacks in the page: a snapshot file that
// is missing or has one byte changed is never used, and the start falls back and says why.
// The production bundle runs on a plain static host (no headers), as an embedder deploys it.
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const zlib = require("node:zlib");
const { test, expect } = require("@playwright/test");
const { launchEngine } = require("./engines");
const { OTHER, startRuntime } = require("./helpers");
const { startBundleOnPlainHost, checksURL } = require("./security-host");

const SNAPSHOT_FILE = "browser_rt.snapshot.gz";
const ESCAPES = "every ambient escape is blocked";

/** @type {import("./engines").EngineDriver} */
let engine;
/** @type {{origin: string, folder: string, stop: () => void, requests: () => string[]}[]} */
const hosts = [];

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({}, testInfo) => {
  testInfo.setTimeout(120_000);
  engine = await launchEngine(/** @type {any} */ (testInfo.project.name));
  testInfo.annotations.push({ type: "engine", description: await engine.version() });
});

test.afterAll(async () => {
  await engine?.close();
  for (const host of hosts) host.stop();
});

/**
 * The production bundle on a plain static host, its snapshot file changed by `change` first.
 * @param {(snapshot: string) => void} [change]
 */
async function host(change) {
  const started = await startBundleOnPlainHost();
  hosts.push(started);
  if (change) change(path.join(started.folder, "pyodide", SNAPSHOT_FILE));
  return started;
}

/**
 * `target` behind a proxy that sends every .gz file with `Content-Encoding: gzip`, as some hosts
 * do: the browser unpacks the snapshot file before the page sees a byte of it.
 * @param {{origin: string}} target
 * @returns {Promise<{origin: string, stop: () => void}>}
 */
async function encodingProxy(target) {
  const upstream = new URL(target.origin);
  const server = http.createServer((request, response) => {
    const forward = http.request({ host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers }, (reply) => {
      const headers = { ...reply.headers };
      if (String(request.url).split("?")[0].endsWith(".gz")) headers["content-encoding"] = "gzip";
      response.writeHead(reply.statusCode ?? 502, headers);
      reply.pipe(response);
    });
    forward.on("error", () => response.writeHead(502).end());
    request.pipe(forward);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return { origin: `http://127.0.0.1:${port}`, stop: () => server.close() };
}

/** Change one byte of a file. @param {string} file @param {(length: number) => number} where */
function flipByte(file, where) {
  const bytes = fs.readFileSync(file);
  bytes[where(bytes.length)] ^= 1;
  fs.writeFileSync(file, bytes);
}

/**
 * Change one byte of the gzip file, from its middle on, where the change breaks unpacking: deflate
 * can say the same bytes more than one way, and a changed bit in some places unpacks to the very
 * same container (only the file's own sha256 notices those; another test covers that).
 * @param {string} file
 */
function breakUnpacking(file) {
  const packed = fs.readFileSync(file);
  for (let offset = packed.length >> 1; offset < packed.length - 8; offset += 64) {
    const changed = Buffer.from(packed);
    changed[offset] ^= 1;
    try {
      zlib.gunzipSync(changed);
    } catch {
      fs.writeFileSync(file, changed);
      return;
    }
  }
  throw new Error(`no byte from the middle of ${file} on breaks unpacking`);
}

/**
 * Run the check page's suite and return its report; every check must pass.
 * @param {string} origin @param {string} mode @param {string} snapshot what the boot must report
 * @param {string} [only] one check by name ("none": only the checks every run makes)
 * @param {string} [extra] more of the check page's query (`&restart=1`)
 */
async function suite(origin, mode, snapshot, only, extra = "") {
  await fetch(`${OTHER}/__reset`);
  await engine.open(`${checksURL(`${origin}/security.html`, mode, only)}&snapshot=${snapshot}${extra}`);
  const report = JSON.parse(await engine.waitForText('#results[data-state="done"]', 240_000));
  // With `only`, the checks that need the whole suite's traffic (the bridge record) cannot hold.
  const required = only ? [only, "worker starts", `the runtime booted: ${snapshot}`] : null;
  const failed = report.checks.filter((/** @type {any} */ c) => !c.ok && (!required || required.includes(c.name)));
  expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
  expect(report.checks.map((/** @type {any} */ c) => c.name)).toContain(`the runtime booted: ${snapshot}`);
  // Give string-scheduled code its chance to reach the other origin: it must see nothing.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await (await fetch(`${OTHER}/__log`)).json()).requests).toEqual([]);
  return report;
}

/** @param {any} report @param {string} name */
function detail(report, name) {
  return report.checks.find((/** @type {any} */ c) => c.name === name)?.detail;
}

/** How each escape ended, without the engine's wording: "blocked:TypeName" or "REACHED". */
function endings(/** @type {Record<string, string>} */ outcomes) {
  return Object.fromEntries(Object.entries(outcomes).map(([name, text]) => [name, text.split(":").slice(0, 2).join(":")]));
}

test("a restored worker holds the boundary: the whole security suite, and the same escapes as a normal boot", async () => {
  test.setTimeout(420_000);
  const intact = await host();
  const restored = await suite(intact.origin, "worker", "restored");
  const boot = detail(restored, "the runtime booted: restored").boot;
  console.log(`[${engine.name}] restored from the snapshot in ${boot.ms} ms (${boot.packages.join(", ")})`);
  // The same bundle with one byte of the snapshot file changed boots the normal way: the engine's
  // own unpacking stops at the damage (the gzip CRC).
  const changed = await host(breakUnpacking);
  const normal = await suite(changed.origin, "worker", "unpack_failed", ESCAPES);
  // What ran before user code ran the same way after the restore.
  const started = (/** @type {any} */ report) => {
    const { revoked, closed, absent, shape } = detail(report, "worker starts");
    return { revoked, closed, absent, shape };
  };
  expect(started(restored)).toEqual(started(normal));
  // Hostile Python reaches nothing after the restore that it could not after a normal boot.
  expect(endings(detail(restored, ESCAPES).outcomes)).toEqual(endings(detail(normal, ESCAPES).outcomes));
});

test("a bundle without its snapshot boots the normal way and says so", async () => {
  test.setTimeout(180_000);
  const without = await host((file) => fs.rmSync(file));
  await suite(without.origin, "worker", "missing", "none");
});

test("one byte changed where unpacking does not look (the gzip header's time) is caught by the file's sha256", async () => {
  test.setTimeout(180_000);
  const changed = await host((file) => flipByte(file, () => 5));
  await suite(changed.origin, "worker", "hash_mismatch", "none");
});

test("a host that sends the snapshot file with Content-Encoding: gzip: the browser unpacks it, and the start restores it", async () => {
  test.setTimeout(180_000);
  const plain = await host();
  const proxy = await encodingProxy(plain);
  hosts.push({ ...plain, origin: proxy.origin, stop: proxy.stop });
  const probe = await fetch(`${proxy.origin}/pyodide/${SNAPSHOT_FILE}`, { method: "HEAD" });
  expect(probe.headers.get("content-encoding")).toBe("gzip");
  await suite(proxy.origin, "worker", "restored", "none");
});

test("page mode restores the snapshot too, but in Chromium boots in full and says why", async () => {
  test.setTimeout(180_000);
  const intact = hosts[0] ?? (await host());
  // Chromium's sampling heap profiler crashes a restored page running Python on a JSPI stack.
  await suite(intact.origin, "page", test.info().project.name === "chromium" ? "unsafe_in_engine" : "restored");
});

test("a restarted worker restores the page's verified copy: one download, and the whole security suite holds in it", async () => {
  test.setTimeout(420_000);
  // A host of its own: its log holds only this visit, and the browser has nothing of it cached.
  const fresh = await host();
  const report = await suite(fresh.origin, "worker", "restored", undefined, "&restart=1");
  const restart = detail(report, "a restart restores the page's verified copy of the snapshot");
  expect(restart).toMatchObject({ stage: "restart", handouts: [false, true] });
  const asked = (/** @type {string} */ name) => fresh.requests().filter((p) => p.split("?")[0] === `/pyodide/${name}`).length;
  // The one snapshot file, unpacked in the page (DecompressionStream), and nothing else of it.
  expect({ snapshot: asked(SNAPSHOT_FILE), uncompressed: asked("browser_rt.snapshot"), description: asked("browser_rt-snapshot.json") })
    .toEqual({ snapshot: 1, uncompressed: 0, description: 1 });
});

test("a restart after an interrupt restores the snapshot again", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== "chromium", "drives the page with Playwright (Chromium)");
  test.setTimeout(120_000);
  await startRuntime(page, { isolation: "worker" });
  const got = await page.evaluate(async () => {
    const w = /** @type {any} */ (window);
    const started = performance.now();
    const error = await w.rt.runPythonAsync("while True:\n    pass", { timeout: 300 }).catch((/** @type {any} */ e) => e);
    const stopped = performance.now();
    const value = await w.rt.runPythonAsync("1 + 1");
    return {
      stage: error?.stage, value, restartMs: Math.round(performance.now() - stopped), totalMs: Math.round(performance.now() - started),
      boots: w.events.filter((/** @type {any} */ e) => String(e.type).startsWith("snapshot.")).map((/** @type {any} */ e) => e.type),
      handouts: w.events.filter((/** @type {any} */ e) => e.type === "worker.snapshot").map((/** @type {any} */ e) => e.reused),
    };
  });
  console.log(`[chromium] restart after a timeout: first result ${got.restartMs} ms after the interrupted run ended`);
  expect(got).toMatchObject({ stage: "restart", value: 2, boots: ["snapshot.restored", "snapshot.restored"], handouts: [false, true] });
});
