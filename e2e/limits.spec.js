// @ts-check
// Tools and the memory limit in every engine (the Playwright project names it: Chromium
// through Playwright, Firefox ESR and WebKitGTK through e2e/engines.js), in both isolation
// modes. The checks run inside e2e/pages/limits.html; this spec reads their results.
const { test, expect } = require("@playwright/test");
const { launchEngine } = require("./engines");
const { HARNESS } = require("./helpers");

/** @type {import("./engines").EngineDriver} */
let engine;

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({}, testInfo) => {
  testInfo.setTimeout(120_000);
  engine = await launchEngine(/** @type {any} */ (testInfo.project.name));
  testInfo.annotations.push({ type: "engine", description: await engine.version() });
});

test.afterAll(async () => {
  await engine?.close();
});

// Titles written out whole, as the gate's scenarios (security/policy.json) name them.
const TITLES = { worker: "memory limit and tools, worker mode", page: "memory limit and tools, page mode" };

for (const mode of /** @type {const} */ (["worker", "page"])) {
  test(TITLES[mode], async ({}, testInfo) => {
    testInfo.setTimeout(300_000);
    await engine.open(`${HARNESS}/e2e/limits.html?mode=${mode}`);
    const report = JSON.parse(await engine.waitForText('#results[data-state="done"]', 240_000));
    for (const check of report.checks) console.log(`[${engine.name}] ${mode}: ${check.ok ? "PASS" : "FAIL"} ${check.name} ${JSON.stringify(check.detail)}`);
    expect(report.checks.length).toBeGreaterThanOrEqual(mode === "worker" ? 11 : 10);
    expect(report.checks.filter((/** @type {any} */ c) => !c.ok)).toEqual([]);
  });
}
