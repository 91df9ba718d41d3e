// @ts-check
// Helpers for the demo specs: the demo server (second webServer in playwright.config.js), its
// two API servers, and driving the page through its own controls.
const fs = require("node:fs");
const path = require("node:path");
const { expect } = require("@playwright/test");

const { ports, origin } = require("./ports");

const DEMO = origin(ports.demo);
const DEMO_API = origin(ports.demoApi);
const DEMO_OTHER = origin(ports.demoOther);
/** Every secret in the examples starts with this (site/examples.mjs). */
const CANARY = "canary-d3m0-";
const SHOTS = path.join(__dirname, "..", "artifacts", "demo");

/** @param {string} origin */
async function serverLog(origin) {
  const response = await fetch(`${origin}/__log`);
  return /** @type {{method: string, path: string, aborted: boolean}[]} */ ((await response.json()).requests);
}

/** @param {string} origin */
async function requestLines(origin) {
  return (await serverLog(origin)).map((r) => `${r.method} ${r.path}`);
}

async function resetServers() {
  await fetch(`${DEMO_API}/__reset`);
  await fetch(`${DEMO_OTHER}/__reset`);
}

/**
 * Collect every console message of the page (and its workers) with its arguments as JSON,
 * so a secret inside a logged object is found too.
 * @param {import("@playwright/test").Page} page
 */
function collectConsole(page) {
  /** @type {string[]} */
  const messages = [];
  /** @type {Promise<void>[]} */
  const pending = [];
  /** @param {import("@playwright/test").ConsoleMessage} message */
  const record = (message) => {
    pending.push(
      (async () => {
        const args = await Promise.all(
          message.args().map((arg) => arg.jsonValue().then((value) => JSON.stringify(value), () => "<unserializable>")),
        );
        messages.push(`${message.type()}: ${message.text()} ${args.join(" ")}`);
      })(),
    );
  };
  page.on("console", record);
  page.on("worker", (worker) => worker.on("console", record));
  return {
    messages,
    async settled() {
      await Promise.all(pending);
      return messages;
    },
  };
}

/**
 * Open the demo and wait until the runtime is ready.
 * @param {import("@playwright/test").Page} page
 * @param {string} [query] e.g. "?mode=page"
 */
async function openDemo(page, query = "") {
  await page.goto(`${DEMO}/${query}`);
  await waitReady(page);
}

/** @param {import("@playwright/test").Page} page */
async function waitReady(page) {
  const progress = page.locator("#progress-text");
  await expect
    .poll(async () => `${await progress.getAttribute("data-stage")} | ${await page.locator("#banner").textContent()}`, {
      timeout: 60_000,
      message: "the runtime should become ready",
    })
    .toMatch(/^ready \| /);
  await expect(page.locator("#run")).toBeEnabled();
}

/**
 * Select an example, run it with the Run button (or Ctrl+Enter), wait for its output.
 * @param {import("@playwright/test").Page} page
 * @param {string} id
 * @param {{keyboard?: boolean}} [options]
 */
async function runExample(page, id, options = {}) {
  await page.locator("#example").selectOption(id);
  return runEditor(page, options);
}

/**
 * Run whatever is in the Python editor and return what the page shows about that run.
 * @param {import("@playwright/test").Page} page
 * @param {{keyboard?: boolean}} [options]
 */
async function runEditor(page, options = {}) {
  const before = Number((await page.locator("#output").getAttribute("data-run")) ?? 0);
  if (options.keyboard) {
    await page.locator("#code").focus();
    await page.keyboard.press("Control+Enter");
  } else {
    await page.locator("#run").click();
  }
  const run = String(before + 1);
  await expect(page.locator("#output")).toHaveAttribute("data-run", run, { timeout: 60_000 });
  await expect(page.locator("#run")).toBeEnabled();
  return {
    run,
    output: /** @type {string} */ (await page.locator("#output").textContent()),
    state: await page.locator("#output").getAttribute("data-state"),
    rows: await decisionRows(page, run),
    events: await diagnosticEvents(page, run),
  };
}

/**
 * The decision log rows of one run.
 * @param {import("@playwright/test").Page} page
 * @param {string} run
 */
function decisionRows(page, run) {
  return page.locator(`#decision-table tbody tr[data-run="${run}"]`).evaluateAll((rows) =>
    rows.map((row) => {
      const cells = [...row.querySelectorAll("td")].map((td) => td.textContent ?? "");
      return { decision: cells[2], reason: cells[3], origin: cells[4], method: cells[5], outcome: cells[6] };
    }),
  );
}

/**
 * The redacted events the diagnostics view shows for one run, parsed back from their JSON.
 * @param {import("@playwright/test").Page} page
 * @param {string} run
 */
function diagnosticEvents(page, run) {
  return page
    .locator(`#diagnostics li[data-run="${run}"] code`)
    .evaluateAll((codes) => codes.map((code) => JSON.parse(code.textContent ?? "{}")));
}

/**
 * Wait for the page's counters to show what the servers say, and return them.
 * @param {import("@playwright/test").Page} page
 */
async function expectCountersMatchServers(page) {
  const api = (await serverLog(DEMO_API)).length;
  const other = (await serverLog(DEMO_OTHER)).length;
  await expect(page.locator("#count-api")).toHaveText(String(api), { timeout: 5_000 });
  await expect(page.locator("#count-other")).toHaveText(String(other), { timeout: 5_000 });
  return { api, other };
}

/**
 * @param {import("@playwright/test").Page} page
 * @param {string} name
 */
async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/**
 * Set the policy editor's text the way typing would (an input event).
 * @param {import("@playwright/test").Page} page
 * @param {string} text
 */
async function setPolicy(page, text) {
  await page.locator("#policy").fill(text);
}

module.exports = {
  DEMO,
  DEMO_API,
  DEMO_OTHER,
  CANARY,
  SHOTS,
  serverLog,
  requestLines,
  resetServers,
  collectConsole,
  openDemo,
  waitReady,
  runExample,
  runEditor,
  decisionRows,
  diagnosticEvents,
  expectCountersMatchServers,
  screenshot,
  setPolicy,
};
