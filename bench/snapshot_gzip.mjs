// Whether shipping the memory snapshot gzip-compressed, unpacked in the page, pays off on a host
// that does not compress (docs/snapshot.md, "Transfer"):
//   node bench/snapshot_gzip.mjs [chromium|firefox|webkit] [rounds] [bundle]   (webkit: under xvfb-run)
// `browser-rt serve` (which never compresses) serves the bundle, whose one snapshot file is the
// gzip-compressed container, and, as the peer, the container unpacked.
// Each round reads the snapshot both ways in alternating order, skipping the HTTP cache, and
// hashes it. On loopback the wire costs nearly nothing, so the difference of the medians is what
// unpacking costs; the bytes it saves pay that back on any link slower than the break-even rate.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { launchEngine, freePort } = require(path.join(ROOT, "e2e", "engines.js"));

const [engineName = "chromium", roundsText = "5", bundleArg = "build/bundle"] = process.argv.slice(2);
const rounds = Number(roundsText);
const bundle = path.resolve(ROOT, bundleArg);
const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const info = JSON.parse(readFileSync(path.join(bundle, "pyodide", "browser_rt-snapshot.json"), "utf8"));
const packed = readFileSync(path.join(bundle, "pyodide", info.file));
const raw = gunzipSync(packed);
const folder = mkdtempSync(path.join(tmpdir(), "browser-rt-gzip-"));
writeFileSync(path.join(folder, "browser_rt.snapshot"), raw);

const port = await freePort();
const server = spawn(path.join(ROOT, ".venv", "bin", "browser-rt"), ["serve", "--bundle", bundle, "--port", String(port),
  "--mount", `/bench/=${path.join(ROOT, "bench", "pages")}`, "--mount", `/raw/=${folder}`], { stdio: "ignore" });
const origin = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    await fetch(`${origin}/`);
    break;
  } catch {
    if (i > 150) throw new Error("browser-rt serve did not start");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const engine = await launchEngine(engineName);
try {
  /** @param {string} variant */
  const sample = async (variant) => {
    await engine.open(`${origin}/bench/snapshot_gzip.html?variant=${variant}&t=${Date.now()}`);
    const got = JSON.parse(await engine.waitForText('#result[data-state="done"]', 120_000));
    if (!got.ok || got.sha256 !== info.sha256) throw new Error(`${variant}: ${JSON.stringify(got).slice(0, 300)}`);
    return got;
  };
  await sample("raw");
  await sample("gzip");
  /** @type {Record<string, any[]>} */
  const got = { raw: [], gzip: [] };
  for (let i = 0; i < rounds; i++) {
    for (const variant of i % 2 ? ["gzip", "raw"] : ["raw", "gzip"]) got[variant].push(await sample(variant));
  }
  const ms = (/** @type {string} */ v, /** @type {string} */ key) => median(got[v].map((s) => s[key]));
  const extra = ms("gzip", "ms") - ms("raw", "ms");
  const saved = raw.length - packed.length;
  console.log(JSON.stringify({
    engine: await engine.version(), rounds, raw_bytes: raw.length, gzip_bytes: packed.length,
    raw_ms: got.raw.map((s) => Math.round(s.ms)), gzip_ms: got.gzip.map((s) => Math.round(s.ms)),
    median_raw_ms: Math.round(ms("raw", "ms")), median_gzip_ms: Math.round(ms("gzip", "ms")),
    median_hash_ms: Math.round(ms("raw", "hash_ms")), unpack_cost_ms: Math.round(extra),
    // Below this rate the bytes not sent outweigh the unpacking.
    break_even_mbit_s: extra > 0 ? Math.round((saved * 8) / (extra / 1000) / 1e6) : null,
  }));
} finally {
  await engine.close();
  server.kill();
  rmSync(folder, { recursive: true, force: true });
}
