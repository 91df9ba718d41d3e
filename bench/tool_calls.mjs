// Tool call round trip against a direct call of the same JS function, in one Chromium run.
//
//   node bench/tool_calls.mjs [--calls 400] [--rounds 5] [--bundle build/bundle]
//
// Page mode: `await cx.tools.call("echo", n=1)` (grant check, JSON both ways, the page's tool
// bridge with its limiter, timeout and record, events) against `await echo(to_js({"n": 1}))`,
// the same function reached directly through `js`, which only page mode allows. Rounds
// alternate the two so machine load falls on both. Worker mode has no direct peer (the worker
// cannot reach the page's functions): its figure is reported beside the page-mode direct call.
// Prints one JSON object; goal: page-mode ratio <= 1.5.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { chromium } from "@playwright/test";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
const CALLS = Number(args.calls ?? 400);
const ROUNDS = Number(args.rounds ?? 5);
const BUNDLE = args.bundle ?? "build/bundle";
const { flags } = JSON.parse(readFileSync(new URL("../tests/chromium-flags.json", import.meta.url), "utf8"));

/** Python run in the runtime: time `calls` sequential calls each way, one round per call. */
const TIMED = `
import time, js
from pyodide.ffi import to_js
from browser_rt import current_cx
cx = current_cx()
async def timed(kind, calls):
    if kind == "direct":
        echo = js.benchEcho
        convert = js.Object.fromEntries
        started = time.perf_counter()
        for _ in range(calls):
            (await echo(to_js({"n": 1}, dict_converter=convert))).to_py()
    else:
        started = time.perf_counter()
        for _ in range(calls):
            await cx.tools.call("echo", n=1)
    return (time.perf_counter() - started) / calls * 1e6
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
  const server = spawn(".venv/bin/browser-rt", ["serve", "--bundle", BUNDLE, "--port", String(port), "--mount", "/e2e/=e2e/pages"], { stdio: "ignore" });
  // The harness page only gives the runtime a same-origin document to start from.
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: flags });
  try {
    await waitFor(`${origin}/`);
    const page = await browser.newPage();
    await page.goto(`${origin}/e2e/harness.html`);
    const result = await page.evaluate(async ({ TIMED, CALLS, ROUNDS }) => {
      const { createRuntime } = await import("/js_bridge/index.mjs");
      const echo = async (args) => args;
      window.benchEcho = echo;
      const out = {};
      for (const isolation of ["page", "worker"]) {
        const rt = await createRuntime({ indexURL: "/pyodide/", isolation, tools: { echo: { handler: echo, perMinute: 100_000, maxQueued: 1024 } } });
        await rt.runPythonAsync(TIMED);
        const kinds = isolation === "page" ? ["tool", "direct"] : ["tool"];
        for (const kind of kinds) await rt.runPythonAsync(`await timed("${kind}", 50)`); // warm up
        const samples = Object.fromEntries(kinds.map((kind) => [kind, []]));
        for (let round = 0; round < ROUNDS; round += 1) {
          for (const kind of round % 2 ? [...kinds].reverse() : kinds) samples[kind].push(await rt.runPythonAsync(`await timed("${kind}", ${CALLS})`));
        }
        out[isolation] = samples;
        await rt.close();
      }
      return out;
    }, { TIMED, CALLS, ROUNDS });
    const inPage = { tool_us: median(result.page.tool), direct_us: median(result.page.direct) };
    const worker = { tool_us: median(result.worker.tool) };
    console.log(JSON.stringify({
      calls_per_round: CALLS, rounds: ROUNDS, browser: `Chromium ${browser.version()}`,
      page_mode: { ...inPage, ratio: inPage.tool_us / inPage.direct_us, goal: "<= 1.5" },
      worker_mode: { ...worker, ratio_to_page_direct: worker.tool_us / inPage.direct_us },
      samples_us: result,
    }, (key, value) => (typeof value === "number" ? Math.round(value * 100) / 100 : value), 2));
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
