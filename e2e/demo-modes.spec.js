// @ts-check
// The demo's isolation switch, progress indicator, Stop button, layout at desktop and phone
// width, and keyboard access. Also writes the README screenshot when asked to.
const path = require("node:path");
const { test, expect } = require("@playwright/test");
const {
  DEMO, DEMO_OTHER, serverLog, resetServers, openDemo, waitReady, runExample, runEditor, screenshot,
} = require("./demo-helpers");

/**
 * Record every text the progress indicator shows, from the moment this is called.
 * @param {import("@playwright/test").Page} page
 */
async function recordProgress(page) {
  await page.evaluate(() => {
    const seen = /** @type {string[]} */ ((/** @type {any} */ (window)).progressSeen = []);
    const text = /** @type {HTMLElement} */ (document.getElementById("progress-text"));
    const bar = /** @type {HTMLProgressElement} */ (document.getElementById("progress"));
    new MutationObserver(() => seen.push(`${text.dataset.stage}|${bar.value}|${text.textContent}`)).observe(text, {
      childList: true, characterData: true, subtree: true, attributes: true,
    });
  });
  return async () => /** @type {string[]} */ (await page.evaluate(() => (/** @type {any} */ (window)).progressSeen));
}

test.describe.configure({ mode: "serial" });

test("the progress indicator shows each loading stage with its percentage", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${DEMO}/?mode=worker`);
  await expect(page.locator("#progress-text")).toHaveText(/^(Loading Pyodide|Loading browser_rt|Starting the runtime) \d+%$/);
  await screenshot(page, "00-loading");
  await waitReady(page);
  await expect(page.locator("#progress")).toHaveJSProperty("value", 100);
  await expect(page.locator("#progress-text")).toHaveText(/^worker mode, ready in \d+\.\d s$/);
});

test("switching isolation recreates the runtime; worker blocks what page mode lets through", async ({ page }) => {
  await resetServers();
  await page.setViewportSize({ width: 1280, height: 800 });
  await openDemo(page, "?mode=worker");
  await expect(page.locator("#mode-note")).toContainText("Worker mode");
  let escapes = await runExample(page, "escapes");
  expect(escapes.output).not.toContain("REACHED");

  // To page mode, with the keyboard: arrow keys move within the radio group.
  const seen = await recordProgress(page);
  await page.locator('input[name="isolation"][value="worker"]').focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.locator('input[name="isolation"][value="page"]')).toBeChecked();
  await expect(page.locator("#run")).toBeDisabled();
  await waitReady(page);
  const stages = (await seen()).map((s) => s.split("|")[0]);
  expect(stages).toEqual(expect.arrayContaining(["loading-pyodide", "loading-browser-rt", "starting-runtime", "ready"]));
  expect(stages.indexOf("loading-pyodide")).toBeLessThan(stages.indexOf("ready"));
  expect(page.url()).toContain("mode=page");
  await expect(page.locator("#progress-text")).toHaveText(/^page mode, ready in/);
  await expect(page.locator("#mode-note")).toContainText("Page mode is not a sandbox");
  await expect(page.locator("#decision-table tr.marker").last()).toHaveText("Runtime 2 starting in page mode");
  await expect(page.locator('#diagnostics li[data-type="runtime.ambient_paths"]')).toHaveCount(1);
  escapes = await runExample(page, "escapes");
  expect(escapes.output).toContain('"js.fetch(API, DELETE)": "REACHED the server: HTTP 200"');

  // And back: the new worker runtime blocks every escape again.
  await resetServers();
  await page.locator('input[name="isolation"][value="worker"]').check();
  await waitReady(page);
  await expect(page.locator("#mode-note")).toContainText("Worker mode");
  escapes = await runExample(page, "escapes");
  expect(escapes.output).not.toContain("REACHED");
  expect(await serverLog(DEMO_OTHER)).toEqual([]);
  await expect(page.locator("#count-api")).toHaveText("0");
});

test("Stop interrupts a worker whose Python does not finish", async ({ page }) => {
  await openDemo(page, "?mode=worker");
  await page.locator("#code").fill("while True:\n    pass");
  await page.locator("#run").click();
  await expect(page.locator("#stop")).toBeEnabled();
  await expect(page.locator('input[name="isolation"][value="page"]')).toBeDisabled();
  await page.locator("#stop").click();
  await expect(page.locator("#output")).toHaveText(/^Run 1 stopped: the worker was restarted, and its state was lost\.$|^Run 1 stopped \(keyboard-interrupt\); the runtime kept its state\.$/);
  await waitReady(page);
  await page.locator("#code").fill("1 + 1");
  expect((await runEditor(page)).output).toBe("→ 2");
  // Whichever stage stopped it, the examples' prelude is there for the next run.
  expect((await runExample(page, "denied-origin")).output).toContain("FetchDenied: origin_denied");
});

test("Stop that has to restart the worker: the banner ends ready and the prelude is back", async ({ page }) => {
  await openDemo(page, "?mode=worker");
  // Python that swallows the KeyboardInterrupt, so only a fresh worker stops it.
  await page.locator("#code").fill("while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass");
  await page.locator("#run").click();
  await expect(page.locator("#stop")).toBeEnabled();
  await page.locator("#stop").click();
  await expect(page.locator("#output")).toHaveText("Run 1 stopped: the worker was restarted, and its state was lost.", { timeout: 60_000 });
  await waitReady(page);
  await expect(page.locator("#progress-text")).toContainText("restarted after Stop");
  expect((await runExample(page, "denied-origin")).output).toContain("FetchDenied: origin_denied");
});

test("usable at 1280x800: the main controls and the proof are on the first screen", async ({ page }) => {
  await resetServers();
  await page.setViewportSize({ width: 1280, height: 800 });
  await openDemo(page, "?mode=worker");
  for (const id of ["example", "code", "run", "count-api", "count-other", "decision-table", "mode-switch", "progress"]) {
    await expect(page.locator(`#${id}`)).toBeInViewport();
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  await runExample(page, "allowed");
  await runExample(page, "method-escalation");
  await runExample(page, "redirect");
  // docs/demo.png is this screenshot with its colours reduced to a palette (to stay small).
  await screenshot(page, "08-overview");
});

test("usable at phone width: one column, nothing wider than the screen", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openDemo(page, "?mode=worker");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const got = await runExample(page, "denied-origin");
  expect(got.rows.map((r) => r.reason)).toEqual(["origin_denied"]);
  const run = page.locator("#run");
  const box = await run.boundingBox();
  expect(box && box.height).toBeGreaterThanOrEqual(40);
  await screenshot(page, "07-phone");
  await page.screenshot({ path: path.join(__dirname, "..", "artifacts", "demo", "07-phone-full.png"), fullPage: true });
});

test("every control has a label and can be reached with Tab", async ({ page }) => {
  await openDemo(page, "?mode=worker");
  const controls = page.locator("main button, main select, main textarea, header input, main [tabindex='0']");
  const count = await controls.count();
  expect(count).toBeGreaterThan(10);
  for (let i = 0; i < count; i++) {
    const control = controls.nth(i);
    if (!(await control.isVisible())) continue;
    await expect(control, `control ${i}: ${await control.evaluate((e) => e.outerHTML.slice(0, 80))}`).toHaveAccessibleName(/\S/);
  }
  // Tab through the page and note what gets focus.
  await page.locator("body").focus();
  const reached = new Set();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    reached.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute("name") || ""));
  }
  for (const id of ["isolation", "example", "code", "show-prelude", "run", "policy", "reset-policy", "reset-counters", "clear-logs", "diag-filter", "diagnostics"]) {
    expect(reached, `Tab should reach #${id}`).toContain(id);
  }
});
