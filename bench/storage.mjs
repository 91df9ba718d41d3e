// The StorageAuthority bench: `node bench/storage.mjs [rounds]` (after make bundle). It serves
// the bundle and bench/pages on a free loopback port, opens bench/pages/storage.html in
// Debian's Chromium and prints, per workload, the median flush time beside its peer (the page
// writing the same bytes to OPFS directly) and their ratio. Goal: at most 1.5x.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";

const require = createRequire(import.meta.url);
const { chromium } = require("@playwright/test");
const { freePort } = require("../e2e/engines.js");
const flags = require("../tests/playwright-chromium-flags.cjs");

const rounds = process.argv[2] ?? "7";
const port = await freePort();
const server = spawn(".venv/bin/browser-rt", ["serve", "--bundle", "build/bundle", "--port", String(port), "--mount", "/bench/=bench/pages"], { stdio: "ignore" });
const origin = `http://127.0.0.1:${port}`;
try {
  for (let tries = 0; ; tries += 1) {
    try {
      await fetch(`${origin}/`);
      break;
    } catch (error) {
      if (tries > 100) throw error;
      await sleep(100);
    }
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: flags });
  const page = await browser.newPage();
  await page.goto(`${origin}/bench/storage.html?rounds=${rounds}`);
  const text = await page.locator('#results[data-state="done"]').textContent({ timeout: 600_000 });
  await browser.close();
  const report = JSON.parse(text ?? "{}");
  console.log(`browser: ${report.userAgent}`);
  for (const row of report.results) {
    console.log(`${row.workload}: flush ${row.flush_ms.toFixed(1)} ms, page writing to OPFS directly ${row.direct_opfs_ms.toFixed(1)} ms, ratio ${row.ratio.toFixed(2)}x (median of ${row.rounds})`);
  }
  console.log(JSON.stringify(report.results));
} finally {
  server.kill();
}
