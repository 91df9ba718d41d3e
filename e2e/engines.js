// @ts-check
/**
 * One small driver per browser engine, each able to do the same three things: open a URL, wait
 * for an element, and read its text. The security checks run inside the page and write their
 * results to the DOM, so a driver never evaluates script in the page: that keeps the page's CSP
 * in force (WebDriver's script commands are subject to it in WebKit) and keeps one source of
 * truth for what is checked.
 *
 * - Chromium: Playwright, with Debian's /usr/bin/chromium.
 * - Firefox ESR: puppeteer-core over WebDriver BiDi (Playwright cannot drive a stock Firefox).
 * - WebKitGTK: its own WebDriver server (WebKitWebDriver) and MiniBrowser, spoken to with the
 *   plain W3C WebDriver HTTP protocol; MiniBrowser needs an X display (run under xvfb-run).
 */
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const CHROMIUM_FLAGS = require("../tests/playwright-chromium-flags.cjs");

const ENGINES = Object.freeze({
  chromium: { binary: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", label: "Chromium" },
  firefox: { binary: process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr", label: "Firefox ESR" },
  webkit: {
    binary: process.env.WEBKIT_DRIVER_PATH ?? "/usr/bin/WebKitWebDriver",
    browser: process.env.WEBKIT_BROWSER_PATH ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    label: "WebKitGTK",
  },
});

/**
 * @typedef {object} EngineDriver
 * @property {string} name
 * @property {() => Promise<string>} version the browser's own version string
 * @property {(url: string) => Promise<void>} open
 * @property {(selector: string, timeoutMs: number) => Promise<string>} waitForText
 *   poll until `selector` matches, then return the element's text
 * @property {() => Promise<void>} close
 */

/**
 * @param {"chromium" | "firefox" | "webkit"} name
 * @returns {Promise<EngineDriver>}
 */
async function launchEngine(name) {
  const spec = ENGINES[name];
  if (!spec) throw new Error(`unknown engine ${JSON.stringify(name)} (known: ${Object.keys(ENGINES).join(", ")})`);
  if (!fs.existsSync(spec.binary)) {
    throw new Error(`${spec.label} is not installed: ${spec.binary} is missing (run make setup)`);
  }
  if (name === "chromium") return launchChromium(spec.binary);
  if (name === "firefox") return launchFirefox(spec.binary);
  return launchWebKit(/** @type {typeof ENGINES.webkit} */ (spec));
}

/** @param {string} executablePath @returns {Promise<EngineDriver>} */
async function launchChromium(executablePath) {
  const { chromium } = require("@playwright/test");
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
  const page = await browser.newPage();
  return {
    name: "chromium",
    version: async () => `Chromium ${browser.version()}`,
    open: async (url) => {
      await page.goto(url);
    },
    waitForText: async (selector, timeoutMs) => {
      const handle = page.locator(selector);
      await handle.waitFor({ state: "attached", timeout: timeoutMs });
      return (await handle.textContent()) ?? "";
    },
    close: () => browser.close(),
  };
}

/** @param {string} executablePath @returns {Promise<EngineDriver>} */
async function launchFirefox(executablePath) {
  const puppeteer = require("puppeteer-core");
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath,
    headless: true,
    protocol: "webDriverBiDi",
    // Keep Firefox off the closed network: no update, telemetry or captive-portal checks.
    extraPrefsFirefox: {
      "network.captive-portal-service.enabled": false,
      "network.connectivity-service.enabled": false,
      "app.update.enabled": false,
      "toolkit.telemetry.enabled": false,
      "datareporting.healthreport.uploadEnabled": false,
      "browser.safebrowsing.malware.enabled": false,
      "browser.safebrowsing.phishing.enabled": false,
    },
  });
  const page = await browser.newPage();
  return {
    name: "firefox",
    version: () => browser.version(),
    open: async (url) => {
      await page.goto(url);
    },
    waitForText: async (selector, timeoutMs) => {
      const handle = await page.waitForSelector(selector, { timeout: timeoutMs });
      if (!handle) throw new Error(`${selector} not found`);
      return String(await handle.evaluate((element) => element.textContent ?? ""));
    },
    close: () => browser.close(),
  };
}

/** @param {typeof ENGINES.webkit} spec @returns {Promise<EngineDriver>} */
async function launchWebKit(spec) {
  if (!process.env.DISPLAY) throw new Error("WebKitGTK's MiniBrowser needs an X display: run the suite under xvfb-run -a");
  const port = await freePort();
  const server = spawn(spec.binary, [`--port=${port}`, "--host=127.0.0.1"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  server.stderr?.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const base = `http://127.0.0.1:${port}`;
  /** @param {string} method @param {string} path @param {unknown} [body] */
  async function call(method, path, body) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = /** @type {any} */ (await response.json());
    if (!response.ok) throw new Error(`WebKitWebDriver ${method} ${path}: ${JSON.stringify(payload.value ?? payload)}`);
    return payload.value;
  }
  try {
    await waitUntil(async () => {
      try {
        return (await call("GET", "/status")).ready === true;
      } catch {
        return false;
      }
    }, 15_000, () => `WebKitWebDriver did not start: ${stderr}`);
    const session = await call("POST", "/session", {
      capabilities: {
        alwaysMatch: {
          browserName: "MiniBrowser",
          "webkitgtk:browserOptions": { binary: spec.browser, args: ["--automation"] },
        },
      },
    });
    const id = session.sessionId;
    const version = `WebKitGTK ${session.capabilities?.browserVersion ?? "unknown"}`;
    return {
      name: "webkit",
      version: async () => version,
      open: async (url) => {
        await call("POST", `/session/${id}/url`, { url });
      },
      waitForText: async (selector, timeoutMs) => {
        /** @type {string | null} */
        let element = null;
        await waitUntil(async () => {
          const found = await call("POST", `/session/${id}/elements`, { using: "css selector", value: selector });
          if (!Array.isArray(found) || found.length === 0) return false;
          element = Object.values(found[0])[0];
          return true;
        }, timeoutMs, () => `${selector} did not appear within ${timeoutMs} ms`);
        return String(await call("GET", `/session/${id}/element/${element}/text`));
      },
      close: async () => {
        await call("DELETE", `/session/${id}`).catch(() => {});
        server.kill();
      },
    };
  } catch (error) {
    server.kill();
    throw error;
  }
}

/**
 * @param {() => Promise<boolean>} check
 * @param {number} timeoutMs
 * @param {() => string} explain
 */
async function waitUntil(check, timeoutMs, explain) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(explain());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A port nothing listens on right now, chosen by the kernel. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

module.exports = { ENGINES, launchEngine, freePort };
