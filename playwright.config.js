// @ts-check
// End-to-end tests. Every spec runs in Debian's Chromium (Playwright never downloads a browser
// here); the security checks (e2e/security.spec.js, and the planted faults that show they can
// fail) and the WHATWG differential also run in Firefox ESR and WebKitGTK,
// through the drivers in e2e/engines.js. WebKitGTK needs an X display: run under xvfb-run.
const fs = require("node:fs");
const { defineConfig } = require("@playwright/test");
// The flags every suite starts Chromium with (pytest-pyodide's and the bench's too), as Playwright
// takes them.
const CHROMIUM_FLAGS = require("./tests/playwright-chromium-flags.cjs");
// Free ports, picked once per run and shared with the specs through the environment.
const { ports, origin } = require("./e2e/ports");

// The demo's policy grants only its "api" server, whose port is chosen above.
const DEMO_POLICY = "artifacts/e2e/demo-policy.json";
const demoPolicy = { ...JSON.parse(fs.readFileSync("e2e/demo-policy.json", "utf8")), origins: [origin(ports.demoApi)] };
fs.mkdirSync("artifacts/e2e", { recursive: true });
fs.writeFileSync(DEMO_POLICY, `${JSON.stringify(demoPolicy, null, 2)}\n`);

module.exports = defineConfig({
  testDir: "./e2e",
  timeout: 90_000,
  // In CI a test that fails once runs once more and is reported "flaky" if it then passes: a
  // renderer crash ("Target crashed", about one page start in a few hundred on this shared
  // machine: Chromium's sampling heap profiler walking a JSPI stack, which the pytest suites turn
  // off and Playwright's cannot, see tests/playwright-chromium-flags.cjs) is not the product's
  // verdict. A test that fails twice fails the run, and the
  // security gate (browser_rt/gate/prior.py) reuses only tests that passed on their first run.
  retries: process.env.CI ? 1 : 0,
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  outputDir: "artifacts/playwright",
  projects: [
    { name: "chromium" },
    { name: "firefox", testMatch: /(security|whatwg|planted-faults|limits|snapshot|storage)\.spec\.js$/ },
    { name: "webkit", testMatch: /(security|whatwg|planted-faults|limits|snapshot|storage)\.spec\.js$/ },
  ],
  use: {
    baseURL: origin(ports.harness),
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_FLAGS,
    },
  },
  webServer: [
    {
      command: `.venv/bin/browser-rt serve --bundle build/bundle --port ${ports.harness} --api-ports ${ports.api},${ports.other} --mount /e2e/=e2e/pages`,
      url: `${origin(ports.harness)}/`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // The harness again, cross-origin isolated (COOP/COEP): interrupts keep the runtime.
      command: `.venv/bin/browser-rt serve --bundle build/bundle --port ${ports.isolated} --api-ports ${ports.isolatedApi},${ports.isolatedOther} --mount /e2e/=e2e/pages --cross-origin-isolated`,
      url: `${origin(ports.isolated)}/`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // The demo site (e2e/demo*.spec.js), with a policy that grants only its "api" server.
      command: `.venv/bin/browser-rt serve --bundle build/bundle --site site --port ${ports.demo} --api-ports ${ports.demoApi},${ports.demoOther} --policy ${DEMO_POLICY} --cross-origin-isolated`,
      url: `${origin(ports.demo)}/`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
});
