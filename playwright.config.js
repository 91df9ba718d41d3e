// @ts-check
// End-to-end tests in Debian's Chromium; Playwright never downloads a browser here.
const { defineConfig } = require("@playwright/test");
// The flags every suite starts Chromium with (pytest-pyodide's and the bench's too).
const { flags: CHROMIUM_FLAGS } = require("./tests/chromium-flags.json");

const PORT = Number(process.env.BROWSER_RT_E2E_PORT ?? 8765);

module.exports = defineConfig({
  testDir: "./e2e",
  timeout: 90_000,
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  outputDir: "artifacts/playwright",
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
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
      command: `.venv/bin/browser-rt serve --bundle build/bundle --port ${PORT} --api-ports 8766,8767 --mount /e2e/=e2e/pages`,
      url: `http://127.0.0.1:${PORT}/`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // The demo site (e2e/demo*.spec.js), with a policy that grants only its "api" server.
      command: ".venv/bin/browser-rt serve --bundle build/bundle --site site --port 8770 --api-ports 8771,8772 --policy e2e/demo-policy.json",
      url: "http://127.0.0.1:8770/",
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
});
