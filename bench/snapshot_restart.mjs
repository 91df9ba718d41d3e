// Restart after a timeout, two bundles in one browser, alternating, one engine per run:
//   node bench/snapshot_restart.mjs [chromium|firefox|webkit] [rounds] [restarts] BUNDLE_A BUNDLE_B [--fresh-browser]
// (webkit: under xvfb-run; use --fresh-browser there: WebKitGTK 2.50 keeps running a worker that
// was terminated while Python spun, so each restart leaves a thread busy until the browser exits)
// Each bundle is served by its own `browser-rt serve`. Each round opens
// bench/pages/snapshot_start.html?variant=worker on both, in alternating order: createRuntime()
// in worker mode, then `restarts` restarts forced by a timeout on a busy loop, each timed from
// the end of the stopped run to the next result. One unmeasured visit per bundle warms the HTTP
// cache first. Prints, per bundle, every restart figure and their median.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { launchEngine, freePort } = require(path.join(ROOT, "e2e", "engines.js"));

const freshBrowser = process.argv.includes("--fresh-browser");
const [engineName = "chromium", roundsText = "3", restartsText = "4", ...bundleArgs] = process.argv.slice(2).filter((arg) => arg !== "--fresh-browser");
if (bundleArgs.length !== 2) throw new Error("usage: snapshot_restart.mjs ENGINE ROUNDS RESTARTS BUNDLE_A BUNDLE_B");
const rounds = Number(roundsText);
const restarts = Number(restartsText);
const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** @param {string} bundle */
async function serve(bundle) {
  const port = await freePort();
  const server = spawn(path.join(ROOT, ".venv", "bin", "browser-rt"), ["serve", "--bundle", bundle, "--port", String(port), "--mount", `/bench/=${path.join(ROOT, "bench", "pages")}`], { stdio: "ignore" });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    try {
      await fetch(`${origin}/`);
      return { bundle, origin, stop: () => server.kill() };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  server.kill();
  throw new Error(`browser-rt serve did not start for ${bundle}`);
}

const servers = [];
for (const arg of bundleArgs) servers.push(await serve(path.resolve(ROOT, arg)));
let engine = await launchEngine(engineName);
try {
  /** @param {{origin: string}} server */
  const sample = async (server) => {
    if (freshBrowser) {
      await engine.close();
      engine = await launchEngine(engineName);
    }
    await engine.open(`${server.origin}/bench/snapshot_start.html?variant=worker&restart=${restarts}&t=${Date.now()}`);
    const got = JSON.parse(await engine.waitForText('#result[data-state="done"]', 300_000));
    if (!got.ok || got.value !== 2 || got.restartValue !== 4 || got.restartStage !== "restart") throw new Error(`${server.origin}: ${JSON.stringify(got)}`);
    return got;
  };
  for (const server of servers) await sample(server);
  /** @type {any[][]} */
  const got = servers.map(() => []);
  for (let i = 0; i < rounds; i++) {
    for (const index of i % 2 ? [1, 0] : [0, 1]) got[index].push(await sample(servers[index]));
  }
  console.log(JSON.stringify({
    engine: await engine.version(), rounds, restarts, fresh_browser: freshBrowser,
    bundles: servers.map((server, index) => {
      const ms = got[index].flatMap((s) => s.restartMs).map(Math.round);
      return {
        bundle: path.relative(ROOT, server.bundle) || server.bundle, restart_ms: ms, median_restart_ms: median(ms),
        boots: [...new Set(got[index].flatMap((s) => s.boots))], handouts: [...new Set(got[index].map((s) => s.handouts.join(",")))],
      };
    }),
  }, null, 1));
} finally {
  await engine.close();
  for (const server of servers) server.stop();
}
