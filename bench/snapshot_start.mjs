// The memory snapshot's benchmark, one engine per run (`make bench` runs it in each engine
// through bench/engines.py):
//   node bench/snapshot_start.mjs [chromium|firefox|webkit] [rounds] [bundle] [restart=N] [--no-transfer] [--no-warmup]
// (webkit: under xvfb-run). --no-transfer leaves out the transfer sizes (brotli at quality 11
// takes long); --no-warmup leaves out the unmeasured samples that warm the HTTP cache first.
// Each round opens bench/pages/snapshot_start.html twice in the same browser, in alternating
// order: a bare loadPyodide() to its first result (the peer), and createRuntime() in worker mode
// to its first result, then N restarts after a timeout (restart=1 when not given), each to its
// next result. The bundle is served by `browser-rt serve` (which sends the worker's CSP, and
// validators, as a static host does), each sample in a renderer process of its own (below). Both
// variants run with the same warm HTTP cache after the unmeasured samples. Prints the medians
// and their ratio, then the transfer sizes: the
// snapshot file as shipped (gzip-compressed), and its content raw, gzip and brotli, against the
// bytes a normal boot fetches.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gunzipSync, gzipSync } from "node:zlib";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { launchEngine, freePort } = require(path.join(ROOT, "e2e", "engines.js"));

const flags = new Set(process.argv.slice(2).filter((arg) => arg.startsWith("--")));
for (const flag of flags) if (!["--no-transfer", "--no-warmup"].includes(flag)) throw new Error(`unknown option ${flag}`);
const [engineName = "chromium", roundsText = "5", bundleArg = "build/bundle", restartArg = "restart=1"] = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
if (!/^restart=\d+$/.test(restartArg)) throw new Error(`expected restart=N, got ${restartArg}`);
const rounds = Number(roundsText);
const bundle = path.resolve(ROOT, bundleArg);

const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function serve() {
  const port = await freePort();
  const server = spawn(path.join(ROOT, ".venv", "bin", "browser-rt"), ["serve", "--bundle", bundle, "--port", String(port), "--mount", `/bench/=${path.join(ROOT, "bench", "pages")}`], { stdio: "ignore" });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    try {
      await fetch(`${origin}/`);
      return { origin, stop: () => server.kill() };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  server.kill();
  throw new Error("browser-rt serve did not start");
}

/**
 * The bytes each start fetches from a host that compresses nothing (`shipped`: the snapshot
 * file is already gzip-compressed), and each file's content uncompressed (`raw`) and compressed
 * (level 9 gzip, quality 11 brotli), as a compressing host would send it.
 */
function transfer() {
  const info = JSON.parse(readFileSync(path.join(bundle, "pyodide", "browser_rt-snapshot.json"), "utf8"));
  const lock = JSON.parse(readFileSync(path.join(bundle, "pyodide", "pyodide-lock.json"), "utf8"));
  const wheels = ["browser-rt", "idna"].map((name) => lock.packages[name].file_name);
  const sizes = (/** @type {string[]} */ names) => names.map((name) => {
    const file = readFileSync(path.join(bundle, "pyodide", name));
    const bytes = name.endsWith(".gz") ? gunzipSync(file) : file;
    return { name, shipped: file.length, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length };
  });
  const core = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];
  return { normal: sizes([...core, ...wheels]), snapshot: sizes([...core, info.file, "browser_rt-snapshot.json"]) };
}

const server = await serve();
const engine = await launchEngine(engineName);
try {
  const version = await engine.version();
  // Consecutive samples alternate between two sites of the same server (127.0.0.1, localhost), so
  // every sample starts in a renderer process of its own: a process kept from the sample before
  // would still hold that page's compiled Wasm module, and the engine hands a module already
  // compiled from the same bytes to the next compile, tiered code included. With one site, a bare
  // loadPyodide() right after another took 1.4 s against 2.0 to 2.4 s after a worker start, whose
  // module goes with its worker. Each site keeps its own warm HTTP cache.
  const origins = [server.origin, server.origin.replace("127.0.0.1", "localhost")];
  let samples = 0;
  /** @param {string} variant */
  const sample = async (variant) => {
    const origin = origins[samples++ % origins.length];
    await engine.open(`${origin}/bench/snapshot_start.html?variant=${variant}&${restartArg}&t=${Date.now()}`);
    const got = JSON.parse(await engine.waitForText('#result[data-state="done"]', 120_000));
    if (!got.ok || got.value !== 2) throw new Error(`${variant}: ${JSON.stringify(got)}`);
    return got;
  };
  // Every variant once on each site, so that both start measured with a warm cache.
  if (!flags.has("--no-warmup")) for (const variant of ["bare", "worker", "worker", "bare"]) await sample(variant);
  const bare = [];
  const worker = [];
  for (let i = 0; i < rounds; i++) {
    for (const variant of i % 2 ? ["worker", "bare"] : ["bare", "worker"]) {
      const got = await sample(variant);
      if (variant === "bare") bare.push(got.ms);
      else worker.push(got);
    }
  }
  const figures = {
    engine: version,
    rounds,
    bare_ms: bare.map(Math.round),
    worker_ms: worker.map((w) => Math.round(w.ms)),
    restart_ms: worker.flatMap((w) => w.restartMs).map(Math.round),
    boots: [...new Set(worker.flatMap((w) => w.boots))],
    handouts: [...new Set(worker.map((w) => (w.handouts ?? []).join(",")))],
    restart_stages: [...new Set(worker.map((w) => w.restartStage))],
  };
  const ratio = median(figures.worker_ms) / median(figures.bare_ms);
  console.log(JSON.stringify({ ...figures, median_bare_ms: median(figures.bare_ms), median_worker_ms: median(figures.worker_ms),
    ratio: Math.round(ratio * 100) / 100, median_restart_ms: figures.restart_ms.length ? median(figures.restart_ms) : null,
    ...(flags.has("--no-transfer") ? {} : { transfer: transfer() }) }, null, 1));
} finally {
  await engine.close();
  server.stop();
}
