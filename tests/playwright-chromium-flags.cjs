// @ts-check
// The suites' Chromium flags (tests/chromium-flags.json) as Playwright is given them: Playwright
// passes a --disable-features list of its own, and Chromium keeps only the last list it is given,
// so ours would switch Playwright's back on. (browser_rt.testing.chromium.for_playwright in Python.)
module.exports = require("./chromium-flags.json").flags.filter((/** @type {string} */ flag) => !flag.startsWith("--disable-features="));
