// @ts-check
/**
 * What the security specs share: the production bundle with the check pages on a plain static
 * host (no security headers), with and without the `<meta>` policy `browser-rt policy csp
 * --target meta` emits, and the check page's URL under helpers.js's CHECK_POLICY.
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startPlainStaticHost, ROOT } = require("./static-host");
const { API, OTHER, CHECK_POLICY } = require("./helpers");

// BROWSER_RT_PRODUCTION_BUNDLE points the static-host tests at another build.
const PRODUCTION_BUNDLE = process.env.BROWSER_RT_PRODUCTION_BUNDLE ?? path.join(ROOT, "build", "bundle-production");
/**
 * The production bundle and the check pages on a plain static host: `security.html` carries the
 * meta policy, `security-no-policy.html` carries none.
 */
async function startBundleOnPlainHost() {
  if (!fs.existsSync(path.join(PRODUCTION_BUNDLE, "pyodide", "pyodide.mjs"))) {
    throw new Error(`${PRODUCTION_BUNDLE} is missing: run make bundle-production`);
  }
  const policyFile = path.join(os.tmpdir(), `browser-rt-security-policy-${process.pid}.json`);
  fs.writeFileSync(policyFile, JSON.stringify(CHECK_POLICY));
  const meta = execFileSync(path.join(ROOT, ".venv", "bin", "browser-rt"), ["policy", "csp", policyFile, "--target", "meta"], { encoding: "utf8" }).trim();
  fs.rmSync(policyFile);
  const page = fs.readFileSync(path.join(__dirname, "pages", "security.html"), "utf8");
  return startPlainStaticHost({
    copy: PRODUCTION_BUNDLE,
    files: {
      "security.html": page.replace("<!--CSP-->", meta),
      "security-no-policy.html": page,
      "security-checks.mjs": fs.readFileSync(path.join(__dirname, "pages", "security-checks.mjs")),
    },
  });
}

/**
 * The check page's URL for one suite (`worker`, `page` or `refusal`); `only` limits the suite
 * to one named check (the checks outside `attempt` blocks still run).
 * @param {string} pageURL @param {string} mode @param {string} [only]
 */
function checksURL(pageURL, mode, only) {
  const query = new URLSearchParams({ mode, api: API, other: OTHER, policy: JSON.stringify(CHECK_POLICY) });
  if (only) query.set("only", only);
  return `${pageURL}?${query}`;
}

module.exports = { startBundleOnPlainHost, checksURL };
