// @ts-check
// The StorageAuthority in every engine (the Playwright project names the engine), in worker and
// page mode. The checks run inside e2e/pages/storage.html; opening the next phase's URL in the
// same browser is the reload, so what one phase flushed must come back in the next.
const { test, expect } = require("@playwright/test");
const { launchEngine } = require("./engines");
const { HARNESS } = require("./helpers");

/** @type {import("./engines").EngineDriver} */
let engine;
const RUN = `t${Date.now().toString(36)}`;

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({}, testInfo) => {
  testInfo.setTimeout(120_000);
  engine = await launchEngine(/** @type {any} */ (testInfo.project.name));
  testInfo.annotations.push({ type: "engine", description: await engine.version() });
});

test.afterAll(async () => {
  await engine?.close();
});

/** @param {Record<string, string>} query */
async function phase(query) {
  await engine.open(`${HARNESS}/e2e/storage.html?${new URLSearchParams({ run: RUN, ...query })}`);
  const report = JSON.parse(await engine.waitForText('#results[data-state="done"]', 240_000));
  for (const check of report.checks) console.log(`[${engine.name}] ${query.mode} ${check.ok ? "PASS" : "FAIL"} ${check.name}`);
  const failed = report.checks.filter((/** @type {any} */ c) => !c.ok);
  expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
  return report.checks;
}

// Titles written out whole, as the gate's scenarios (security/policy.json) name them.
const TITLES = {
  worker: ["worker mode: files survive a reload; limits, paths, namespaces and the app's files hold",
    "worker mode: a reload in the middle of a flush leaves the old or the new file whole"],
  page: ["page mode: files survive a reload; limits, paths, namespaces and the app's files hold",
    "page mode: a reload in the middle of a flush leaves the old or the new file whole"],
};

for (const mode of /** @type {const} */ (["worker", "page"])) {
  test(TITLES[mode][0], async ({}, testInfo) => {
    testInfo.setTimeout(300_000);
    const firstChecks = await phase({ phase: "first", mode });
    expect(firstChecks.length).toBeGreaterThanOrEqual(7);
    const secondChecks = await phase({ phase: "second", mode });
    expect(secondChecks.length).toBe(4);
  });

  test(TITLES[mode][1], async ({}, testInfo) => {
    testInfo.setTimeout(300_000);
    // The page leaves itself mid-commit (after the content is written but before it is closed,
    // or before the manifest): the old file must come back. Left to race, either may.
    for (const cut of ["close", "manifest"]) {
      await engine.open(`${HARNESS}/e2e/storage.html?${new URLSearchParams({ run: `${RUN}${cut}`, phase: "crash-start", mode, cut })}`);
      const report = JSON.parse(await engine.waitForText('#results[data-state="done"]', 240_000));
      expect(report.phase, "the page left itself mid-commit").toBe("crash-check");
      const [check] = report.checks;
      expect(check.ok, JSON.stringify(check)).toBe(true);
      expect(check.detail.value[1]).toBe("old");
    }
    await phase({ phase: "crash-start", mode, run: `${RUN}race` });
    const [raced] = await phase({ phase: "crash-check", mode, run: `${RUN}race` });
    console.log(`[${engine.name}] ${mode}: cut mid-commit the file was old; left to race it was ${raced.detail.value[1]}`);
  });
}
