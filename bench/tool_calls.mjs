// Tool call round trip against a direct call of the same JS function, in one Chromium run.
//
//   node bench/tool_calls.mjs [--batches 100] [--size 20] [--bundle build/bundle] [--raw 1]
//
// Page mode: `await cx.tools.call("echo", n=1)` (grant check, JSON both ways, the page's tool
// bridge with its limiter, timeout and record, events) against `await echo(to_js({"n": 1}))`,
// the same function reached directly through `js`, which only page mode allows. Batches
// alternate the two so machine load falls on both; figures are medians over batches. Worker mode has no direct peer (the worker
// cannot reach the page's functions): its figure is reported beside the page-mode direct call.
// Prints one JSON object (`--raw 1`: on one line, as `python -m bench` reads it), with every
// batch's figures under `batches_us`; goal: page-mode ratio <= 1.5. `make bench` runs it as its
// `tool_calls` figure.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import { chromium } from "@playwright/test";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
const SIZE = Number(args.size ?? 20);
const BATCHES = Number(args.batches ?? 100);
const BUNDLE = args.bundle ?? "build/bundle";
const flags = createRequire(import.meta.url)("../tests/playwright-chromium-flags.cjs");

/**
 * Python run in the runtime: batches of `size` sequential calls, the two kinds alternating batch
 * by batch (and which goes first), so that load on a shared machine falls on both alike.
 * Returns microseconds per call, per batch, for each kind.
 */
const TIMED = `
import time, js
from pyodide.ffi import to_js
from browser_rt import current_cx
cx = current_cx()
convert = js.Object.fromEntries
async def direct():
    (await js.benchEcho(to_js({"n": 1}, dict_converter=convert))).to_py()
async def tool():
    await cx.tools.call("echo", n=1)
async def batch(one, size):
    started = time.perf_counter()
    for _ in range(size):
        await one()
    return (time.perf_counter() - started) / size * 1e6
async def compare(kinds, batches, size):
    runs = {"direct": direct, "tool": tool}
    out = {kind: [] for kind in kinds}
    for index in range(batches):
        for kind in (kinds if index % 2 else kinds[::-1]):
            out[kind].append(await batch(runs[kind], size))
    return out
`;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url) {
  for (let i = 0; i < 300; i += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server at ${url} did not start`);
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  // Cross-origin isolated, so that `performance.now()` (Python's `perf_counter`) ticks in 5 us
  // steps rather than 100 us. The harness page only gives the runtime a document to start from.
  const server = spawn(".venv/bin/browser-rt", ["serve", "--bundle", BUNDLE, "--port", String(port), "--mount", "/e2e/=e2e/pages", "--cross-origin-isolated"], { stdio: "ignore" });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: flags });
  try {
    await waitFor(`${origin}/`);
    const page = await browser.newPage();
    await page.goto(`${origin}/e2e/harness.html`);
    const result = await page.evaluate(async ({ TIMED, SIZE, BATCHES }) => {
      const { createRuntime } = await import("/js_bridge/index.mjs");
      const echo = async (args) => args;
      window.benchEcho = echo;
      const out = {};
      for (const isolation of ["page", "worker"]) {
        const rt = await createRuntime({ indexURL: "/pyodide/", isolation, tools: { echo: { handler: echo, perMinute: 100_000, maxQueued: 1024 } } });
        await rt.runPythonAsync(TIMED);
        // The worker cannot reach the page's function: only its tool calls are timed there.
        const kinds = JSON.stringify(isolation === "page" ? ["direct", "tool"] : ["tool"]);
        await rt.runPythonAsync(`await compare(${kinds}, 4, ${SIZE})`); // warm up
        out[isolation] = await rt.runPythonAsync(`await compare(${kinds}, ${BATCHES}, ${SIZE})`);
        await rt.close();
      }
      return out;
    }, { TIMED, SIZE, BATCHES });
    const ratios = result.page.tool.map((/** @type {number} */ tool, /** @type {number} */ i) => tool / result.page.direct[i]);
    const inPage = { tool_us: median(result.page.tool), direct_us: median(result.page.direct) };
    const worker = { tool_us: median(result.worker.tool) };
    console.log(JSON.stringify({
      batches: BATCHES, calls_per_batch: SIZE, browser: `Chromium ${browser.version()}`,
      page_mode: { ...inPage, ratio: inPage.tool_us / inPage.direct_us, median_batch_ratio: median(ratios), goal: "<= 1.5" },
      worker_mode: { ...worker, ratio_to_page_direct: worker.tool_us / inPage.direct_us },
      load_average: os.loadavg(),
      batches_us: { page: result.page, worker: result.worker },
    }, (key, value) => (typeof value === "number" ? Math.round(value * 100) / 100 : value), args.raw ? undefined : 2));
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
