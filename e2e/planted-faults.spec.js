// @ts-check
// The security checks can fail, in every engine: each planted fault is a real regression put
// into a copy of the production bundle, and a run of the check page in that engine against it
// must show it the way e2e/security.spec.js would: the guarding check fails, or the ungranted
// server's log (which security.spec.js requires to be empty) is not. A fault that cannot be planted (its source
// text moved) fails the test too, so this never passes by planting nothing.
const { test, expect } = require("@playwright/test");
const fs = require("node:fs");
const path = require("node:path");
const { launchEngine } = require("./engines");
const { OTHER, resetServers, serverLog } = require("./helpers");
const { startBundleOnPlainHost, checksURL } = require("./security-host");

/**
 * @typedef {object} Fault
 * @property {string} name
 * @property {string} page the check page to open on the sabotaged host
 * @property {string} check the check to run
 * @property {"check fails" | "the other server is reached"} caughtBy what must show the regression
 * @property {[string, string, string][]} edits [file in the bundle, text to find, replacement]
 * @property {string[]} [engines] the engines that have the door (all three when absent)
 */

/** @type {Fault[]} */
const FAULTS = [
  {
    name: "the realm keeps a member it does not list (BroadcastChannel), and its own check is silenced",
    page: "security.html",
    check: "the worker's realm holds only its allowlist",
    caughtBy: "check fails",
    edits: [
      ["js_bridge/revocation.mjs", "if (isAllowed(key, allowlist)) continue;", 'if (isAllowed(key, allowlist) || key === "BroadcastChannel") continue;'],
      ["js_bridge/revocation.mjs", "const left = openMembers(scope);", 'const left = openMembers(scope).filter((name) => name !== "js.BroadcastChannel");'],
    ],
  },
  {
    name: "navigator.locks is put back on the allowlist",
    page: "security.html",
    check: "the origin's other contexts are out of reach",
    caughtBy: "check fails",
    edits: [["js_bridge/realm_allowlist.mjs", "export const NAVIGATOR_ALLOWLIST = Object.freeze({", '$&\n  locks: "planted",']],
  },
  {
    name: "navigator.storage is put back on the allowlist",
    // WebKitGTK has no navigator.storage to put back; the navigator.locks fault covers it.
    engines: ["chromium", "firefox"],
    page: "security.html",
    check: "the origin's storage is out of reach",
    caughtBy: "check fails",
    edits: [["js_bridge/realm_allowlist.mjs", "export const NAVIGATOR_ALLOWLIST = Object.freeze({", '$&\n  storage: "planted",']],
  },
  {
    name: "worker mode starts without proving its policy, on a host that sends none",
    page: "security-no-policy.html",
    check: "every ambient escape is blocked",
    // Without a CSP, import() and string-scheduled code send their requests; the page sees only
    // that the modules failed to load, the server sees them arrive.
    caughtBy: "the other server is reached",
    edits: [
      ["js_bridge/worker_policy.mjs", "export function isolationProblems(policies, { selfOrigin, granted }) {", "$&\n  return [];"],
      ["js_bridge/revocation.mjs", "export async function proveIsolation() {", "$&\n  return [];"],
    ],
  },
];

/** @type {import("./engines").EngineDriver} */
let engine;

/**
 * The paths `origin`'s server has logged, once it has logged any and then stayed quiet for a
 * moment (so late string-scheduled requests count), or [] after `timeoutMs`.
 * @param {string} origin @param {number} timeoutMs
 */
async function waitForRequests(origin, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let seen = [];
  for (;;) {
    const now = (await serverLog(origin)).map((/** @type {any} */ r) => r.path);
    if (now.length > 0 && now.length === seen.length) return now;
    seen = now;
    if (Date.now() > deadline) return seen;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({}, testInfo) => {
  testInfo.setTimeout(120_000);
  engine = await launchEngine(/** @type {any} */ (testInfo.project.name));
});

test.afterAll(async () => {
  await engine?.close();
});

for (const fault of FAULTS) {
  test(`planted: ${fault.name} -> ${fault.caughtBy}`, async ({}, testInfo) => {
    test.skip(Boolean(fault.engines && !fault.engines.includes(testInfo.project.name)), "this engine does not have the door");
    test.setTimeout(180_000);
    const host = await startBundleOnPlainHost();
    try {
      for (const [file, find, replacement] of fault.edits) {
        const target = path.join(host.folder, file);
        const text = fs.readFileSync(target, "utf8");
        if (!text.includes(find)) throw new Error(`cannot plant "${fault.name}": ${file} no longer contains ${JSON.stringify(find)}`);
        fs.writeFileSync(target, text.replace(find, () => replacement.replace("$&", () => find)));
      }
      await resetServers();
      await engine.open(checksURL(`${host.origin}/${fault.page}`, "worker", fault.check));
      if (fault.caughtBy === "check fails") {
        const report = JSON.parse(await engine.waitForText('#results[data-state="done"]', 150_000));
        const started = report.checks.find((/** @type {any} */ c) => c.name === "worker starts");
        expect(started?.ok, JSON.stringify(started)).toBe(true);
        const guard = report.checks.find((/** @type {any} */ c) => c.name === fault.check);
        expect(guard, `the check ${JSON.stringify(fault.check)} did not run`).toBeDefined();
        console.log(`[${engine.name}] planted "${fault.name}": ${guard.ok ? "NOT caught" : "caught"}: "${fault.check}" ${guard.ok ? "passed" : "failed"}`);
        expect(guard.ok, JSON.stringify(guard.detail)).toBe(false);
      } else {
        // The page's own verdict is not needed (in WebKitGTK an escape without a CSP never
        // settles, so the page never finishes): the ungranted server's log decides.
        const reached = await waitForRequests(OTHER, 60_000);
        console.log(`[${engine.name}] planted "${fault.name}": ${reached.length ? "caught" : "NOT caught"}: the other server saw ${JSON.stringify(reached)}`);
        expect(reached.length, "no request reached the other server").toBeGreaterThan(0);
      }
    } finally {
      host.stop();
    }
  });
}
