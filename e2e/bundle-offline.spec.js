// @ts-check
// A page served from the offline bundle loads Pyodide and browser_rt without touching any other origin.
const { test, expect } = require("@playwright/test");

test("bundle page loads Pyodide and browser_rt with zero foreign requests", async ({ page, baseURL }) => {
  const origin = new URL(String(baseURL)).origin;
  /** @type {string[]} */
  const requested = [];
  /** @type {string[]} */
  const failed = [];
  page.on("request", (request) => requested.push(request.url()));
  page.on("requestfailed", (request) => failed.push(request.url()));

  await page.goto("/");
  await expect(page.locator("#status")).toHaveText("ready", { timeout: 60_000 });
  await expect(page.locator("#result")).toHaveText(/^emscripten browser_rt \d+\.\d+\.\d+$/);

  const resourceURLs = await page.evaluate(() =>
    performance.getEntriesByType("resource").map((entry) => entry.name),
  );
  const everything = [...requested, ...resourceURLs];
  expect(everything.length).toBeGreaterThan(3);
  // browser_rt comes from the bundle: restored from its memory snapshot, or installed from its wheel.
  const fromSnapshot = everything.includes(`${origin}/pyodide/browser_rt.snapshot.gz`);
  const fromWheel = everything.some((url) => /\/pyodide\/browser_rt-[^/]+-cp\d+-none-any\.whl$/.test(url));
  expect(fromSnapshot || fromWheel, JSON.stringify(everything.filter((url) => url.includes("/pyodide/")))).toBe(true);
  // The worker's isolation probe tries one import of another origin, on port 9 (which the Fetch
  // standard blocks), and must see it refused: it is the only foreign URL, and it failed.
  const PROBE = "http://127.0.0.1:9/browser-rt-isolation-probe.mjs";
  const foreign = everything.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:") && !url.startsWith("blob:"));
  expect(foreign.filter((url) => url !== PROBE)).toEqual([]);
  expect(requested.filter((url) => url === PROBE).every(() => failed.includes(PROBE))).toBe(true);
});
