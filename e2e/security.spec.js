// @ts-check
// The boundary's security checks in every engine (the Playwright project names the engine) and
// in both hosting shapes:
// - header: `browser-rt serve`, which sends worker.mjs with the worker CSP;
// - meta: the production bundle copied to a plain static server that sends no security headers
//   (`python3 -m http.server`), whose page carries the CSP as a <meta>.
// The checks run inside e2e/pages/security.html; this spec reads their results, then asks the
// servers what actually reached them.
const { test, expect } = require("@playwright/test");
const { launchEngine } = require("./engines");
const { OTHER, API, HARNESS, resetServers } = require("./helpers");
const { startBundleOnPlainHost, checksURL } = require("./security-host");

const MAX_CONCURRENT = 4; // the policy default for max_concurrent_requests

/** @type {import("./engines").EngineDriver} */
let engine;
/** @type {{origin: string, stop: () => void}} */
let staticHost;
const tally = { executed: 0, passed: 0 };

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({}, testInfo) => {
  testInfo.setTimeout(120_000);
  engine = await launchEngine(/** @type {any} */ (testInfo.project.name));
  testInfo.annotations.push({ type: "engine", description: await engine.version() });
  staticHost = await startBundleOnPlainHost();
});

test.afterAll(async () => {
  if (engine) console.log(`[${engine.name}] security checks in ${await engine.version()}: ${tally.executed} executed, ${tally.passed} passed`);
  await engine?.close();
  staticHost?.stop();
});

/** @param {string} pageURL @param {string} mode */
async function runChecks(pageURL, mode) {
  await resetServers();
  await engine.open(checksURL(pageURL, mode));
  const text = await engine.waitForText('#results[data-state="done"]', 240_000);
  const report = JSON.parse(text);
  for (const check of report.checks) {
    console.log(`[${engine.name}] ${check.ok ? "PASS" : "FAIL"} ${check.name}`);
    tally.executed += 1;
    if (check.ok) tally.passed += 1;
    if (check.name === "existing HTTP code goes through the authority" && check.detail?.support) {
      const { jspi, cross_origin_isolated: isolated } = check.detail.support;
      console.log(`[${engine.name}]      synchronous waits (open_url, requests): JSPI ${jspi ? "present" : "absent"}, cross-origin isolated: ${isolated}`);
    }
    if (check.name === "worker starts" && check.detail?.absent?.length) {
      console.log(`[${engine.name}]      not in this engine, so nothing to revoke: ${check.detail.absent.join(", ")}`);
    }
  }
  const failed = report.checks.filter((/** @type {any} */ c) => !c.ok);
  expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
  return report;
}

/** @param {string} origin */
async function apiLog(origin) {
  return /** @type {any} */ (await (await fetch(`${origin}/__log`)).json());
}

/** @param {any} report @param {string} expectedShape */
async function expectBoundaryHeld(report, expectedShape) {
  const names = report.checks.map((/** @type {any} */ c) => c.name);
  expect(names.length).toBeGreaterThanOrEqual(12);
  const started = report.checks.find((/** @type {any} */ c) => c.name === "worker starts");
  expect(started.detail.shape).toBe(expectedShape);
  // Give string-scheduled code (setTimeout) its chance to have reached the other origin.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await apiLog(OTHER)).requests).toEqual([]);
  const api = await apiLog(API);
  // The flood and the 1,000 polite fetches never held more than the policy's slots, plus the
  // page's own request.
  expect(api.peak_active).toBeLessThanOrEqual(MAX_CONCURRENT + 1);
  expect(api.peak_active).toBeGreaterThan(0);
  // The bridge's own record accounts for every request the granted server answered (the page's
  // own request aside): performed ones, and failed ones that reached it (timeout, cap, abort,
  // refused redirect). Its denials reached nothing.
  const totals = report.checks.find((/** @type {any} */ c) => c.name === "the bridge record counts every request").detail;
  const fromBridge = api.requests.filter((/** @type {any} */ r) => r.path !== "/page-own");
  expect(fromBridge.length).toBe(totals.performed + totals.failed);
}

test("header shape: the worker suite holds under browser-rt serve", async () => {
  test.setTimeout(300_000);
  const report = await runChecks(`${HARNESS}/e2e/security.html`, "worker");
  await expectBoundaryHeld(report, "header");
});

test("meta shape: the production bundle holds on a plain static host", async () => {
  test.setTimeout(300_000);
  // The bundle's own page starts in worker mode there, under the <meta> policy it was built with.
  await engine.open(`${staticHost.origin}/`);
  expect(await engine.waitForText("body[data-state]", 120_000)).toMatch(/Status: ready\s+Python says: emscripten browser_rt \d/);
  const report = await runChecks(`${staticHost.origin}/security.html`, "worker");
  await expectBoundaryHeld(report, "meta");
});

test("a plain static host without the <meta> policy: worker mode refuses to start", async () => {
  test.setTimeout(120_000);
  await runChecks(`${staticHost.origin}/security-no-policy.html`, "refusal");
  expect((await apiLog(OTHER)).requests).toEqual([]);
});

test("page mode reports the ambient paths it cannot close", async () => {
  test.setTimeout(120_000);
  await runChecks(`${HARNESS}/e2e/security.html`, "page");
});
