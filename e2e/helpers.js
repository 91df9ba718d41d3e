// @ts-check
// Shared helpers for the specs: the API servers' logs and runtime creation inside the page.
const { expect } = require("@playwright/test");
const { ports, origin } = require("./ports");

const API = origin(ports.api);
const OTHER = origin(ports.other);
const HARNESS = origin(ports.harness);
/** The same harness, served cross-origin isolated (COOP/COEP). */
const ISOLATED_HARNESS = origin(ports.isolated);

/** The policy the bridge and security specs run under: API granted, with small caps to hit. */
const CHECK_POLICY = Object.freeze({
  origins: [API],
  methods: ["GET", "POST"],
  max_header_count: 4,
  max_request_body_bytes: 1024,
  max_response_body_bytes: 65536,
  timeout_ms: 20000,
});

/** @param {string} origin */
async function serverLog(origin) {
  const response = await fetch(`${origin}/__log`);
  return (await response.json()).requests;
}

async function resetServers() {
  await fetch(`${API}/__reset`);
  await fetch(`${OTHER}/__reset`);
}

/**
 * Open the harness and create a runtime in it.
 * @param {import("@playwright/test").Page} page
 * @param {object} options createRuntime options (fetchAuthority, isolation, diagnostics mode)
 * @param {string} [harness] which server to open it from (ISOLATED_HARNESS for COOP/COEP)
 */
async function startRuntime(page, options, harness = HARNESS) {
  await page.goto(`${harness}/e2e/harness.html`);
  await expect(page.locator("#status")).toHaveText("ready");
  await page.evaluate(async (opts) => {
    const events = [];
    window.events = events;
    window.rt = await window.harness.createRuntime({
      indexURL: "/pyodide/",
      ...opts,
      diagnostics: { ...(opts.diagnostics ?? {}), sink: (e) => events.push(e) },
    });
  }, options);
}

/**
 * @param {import("@playwright/test").Page} page
 * @param {string} code
 */
function runPython(page, code) {
  return page.evaluate(async (source) => {
    try {
      return { ok: true, value: await window.rt.runPythonAsync(source) };
    } catch (error) {
      return { ok: false, name: error.name, message: String(error.message) };
    }
  }, code);
}

module.exports = { API, OTHER, HARNESS, ISOLATED_HARNESS, CHECK_POLICY, serverLog, resetServers, startRuntime, runPython };
