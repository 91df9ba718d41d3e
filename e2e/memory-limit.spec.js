// @ts-check
// memoryLimitMB in a real browser, in both isolation modes: Python that allocates in a loop gets
// MemoryError, the runtime stays usable, and the page's own timer keeps ticking throughout.
// The same code without a limit allocates past it, which shows the limit is what refuses.
const { test, expect } = require("@playwright/test");
const { HARNESS } = require("./helpers");

const LIMIT_MB = 192;

/** Allocate 1 MiB at a time until MemoryError; report how many MiB that was. */
const HOG = `
def hog(step=1 << 20):
    chunks = []
    try:
        while True:
            chunks.append(bytearray(step))
    except MemoryError:
        held = len(chunks) * step >> 20
        chunks.clear()
        return held
hog()
`;

/** Many small objects, then one large block past the limit. */
const SMALL_AND_LARGE = `
def small():
    items = []
    try:
        while True:
            items.append(str(len(items)) * 8)
    except MemoryError:
        count = len(items)
        items.clear()
        return count
def large():
    try:
        bytearray(${LIMIT_MB + 64} << 20)
    except MemoryError:
        return "MemoryError"
[small() > 100_000, large()]
`;

/**
 * @param {import("@playwright/test").Page} page
 * @param {object} options createRuntime options
 */
async function start(page, options) {
  await page.goto(`${HARNESS}/e2e/harness.html`);
  await expect(page.locator("#status")).toHaveText("ready");
  await page.evaluate(async (opts) => {
    window.rt = await window.harness.createRuntime({ indexURL: "/pyodide/", ...opts });
    window.ticks = 0;
    window.ticker = setInterval(() => { window.ticks += 1; }, 20);
  }, options);
}

/** @param {import("@playwright/test").Page} page @param {string} code */
function run(page, code) {
  return page.evaluate(async (source) => {
    const before = window.ticks;
    const started = performance.now();
    try {
      const value = await window.rt.runPythonAsync(source);
      return { ok: true, value, ticks: window.ticks - before, ms: performance.now() - started };
    } catch (error) {
      return { ok: false, name: error.name, message: String(error.message), stage: error.stage, ticks: window.ticks - before, ms: performance.now() - started };
    }
  }, code);
}

for (const isolation of /** @type {const} */ (["worker", "page"])) {
  test.describe(`memory limit, ${isolation} mode`, () => {
    test("allocating in a loop ends in MemoryError, and the runtime stays usable", async ({ page }) => {
      await start(page, { isolation, memoryLimitMB: LIMIT_MB });
      const hog = await run(page, HOG);
      expect(hog.ok, hog.message).toBe(true);
      expect(hog.value).toBeGreaterThan(16);
      expect(hog.value).toBeLessThan(LIMIT_MB);
      if (isolation === "worker") expect(hog.ticks).toBeGreaterThan(hog.ms / 20 / 4);
      const again = await run(page, SMALL_AND_LARGE);
      expect(again.ok, again.message).toBe(true);
      expect(again.value).toEqual([true, "MemoryError"]);
      // Freed memory is used again: the same loop gets as far as the first time.
      const second = await run(page, HOG);
      expect(second.value).toBeGreaterThan(/** @type {number} */ (hog.value) - 16);
      expect((await run(page, "sum(range(10))")).value).toBe(45);
      expect(await page.evaluate(() => window.ticks)).toBeGreaterThan(0);
    });

    test("where Python cannot get MemoryError, a fatal failure ends the run at once, never a hang", async ({ page }) => {
      await start(page, { isolation, memoryLimitMB: LIMIT_MB });
      await page.evaluate(() => { window.rt.runPythonAsync("kept = 41"); });
      // Pyodide's own fatal path, as an Emscripten abort takes it (no run timeout is set).
      const fatal = await run(page, "import pyodide_js\npyodide_js._api.fatal_error('out of memory')");
      expect(fatal.ok).toBe(false);
      expect(fatal.name).toBe("RunInterruptedError");
      expect(fatal.message).toContain("(fatal)");
      expect(fatal.ms).toBeLessThan(30_000);
      if (isolation === "worker") {
        expect(fatal.stage).toBe("restart");
        // A fresh worker with the same grants, and the old state gone.
        const after = await run(page, "'kept' in globals(), 1 + 1");
        expect(after.value).toEqual([false, 2]);
        const hog = await run(page, HOG);
        expect(hog.value).toBeLessThan(LIMIT_MB);
      } else {
        expect(fatal.stage).toBe("closed");
        const after = await run(page, "1 + 1");
        expect(after.message).toContain("runtime is closed");
      }
      const events = await page.evaluate(() => window.rt.events().filter((e) => e.type === "runtime.interrupted"));
      expect(events.at(-1)).toMatchObject({ reason: "fatal", stage: isolation === "worker" ? "restart" : "closed", source: "page" });
    });

    test("without a limit the same allocation goes past it", async ({ page }) => {
      await start(page, { isolation });
      const big = await run(page, `len(bytearray(${LIMIT_MB + 64} << 20))`);
      expect(big.ok, big.message).toBe(true);
      expect(big.value).toBe((LIMIT_MB + 64) << 20);
    });
  });
}

test("createRuntime refuses a memoryLimitMB out of range", async ({ page }) => {
  await page.goto(`${HARNESS}/e2e/harness.html`);
  await expect(page.locator("#status")).toHaveText("ready");
  const message = await page.evaluate(async () => {
    try {
      await window.harness.createRuntime({ indexURL: "/pyodide/", isolation: "page", memoryLimitMB: 8 });
      return "started";
    } catch (error) {
      return String(error.message);
    }
  });
  expect(message).toContain("memoryLimitMB must be an integer from 64 to 4095, got 8");
});
