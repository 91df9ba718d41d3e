// @ts-check
// Every example of the demo, run through its own UI in real Chromium, in worker mode (the
// boundary) and in page mode (not a sandbox). Each test checks the decision log, the redacted
// diagnostics view and what the two API servers actually received.
const { test, expect } = require("@playwright/test");
const {
  DEMO_API, DEMO_OTHER, CANARY, serverLog, requestLines, resetServers, collectConsole, openDemo, runExample,
  expectCountersMatchServers, screenshot,
} = require("./demo-helpers");

/** @param {{decision: string, reason: string}[]} rows */
const reasons = (rows) => rows.map((r) => (r.decision === "allow" ? "allow" : r.reason));

/** @param {Record<string, any>[]} events @param {string} type */
const ofType = (events, type) => events.filter((e) => e.type === type);

/**
 * The "existing-http" example: pyfetch is allowed, denied by method and denied by origin, exactly
 * as cx.fetch would be, and only the allowed call reaches a server.
 * @param {import("@playwright/test").Page} page
 */
async function expectPyfetchGoverned(page) {
  const got = await runExample(page, "existing-http");
  const outcome = JSON.parse(got.output.replace(/^→ /, ""));
  expect(outcome).toEqual({
    "pyfetch(API/items)": "200 OK",
    "pyfetch(API, DELETE)": "FetchDenied: method_denied",
    "pyfetch(OTHER, POST)": "FetchDenied: origin_denied",
  });
  expect(reasons(got.rows)).toEqual(["allow", "method_denied", "origin_denied"]);
  expect((await requestLines(DEMO_API)).filter((l) => !l.startsWith("OPTIONS"))).toEqual(["GET /items"]);
  expect(await serverLog(DEMO_OTHER)).toEqual([]);
  await expectCountersMatchServers(page);
}

test.describe.configure({ mode: "serial" });

test.describe("worker mode: every example", () => {
  /** @type {import("@playwright/test").Page} */
  let page;
  /** @type {ReturnType<typeof collectConsole>} */
  let consoleLog;

  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    consoleLog = collectConsole(page);
    await openDemo(page, "?mode=worker");
    await screenshot(page, "01-ready-worker");
  });

  test.afterAll(async () => {
    await page.close();
  });

  test.beforeEach(async () => {
    await resetServers();
  });

  test.afterEach(async () => {
    // The other origin never hears from a worker-mode runtime, whatever the example does.
    await page.waitForTimeout(200);
    expect(await serverLog(DEMO_OTHER)).toEqual([]);
    await expect(page.locator("#count-other")).toHaveText("0");
    await expect(page.locator("#counter-other")).toHaveAttribute("data-reached", "false");
  });

  test("allowed GET and POST reach api; secrets stay out of the diagnostics", async () => {
    const got = await runExample(page, "allowed");
    expect(got.state).toBe("done");
    expect(got.rows).toEqual([
      { decision: "allow", reason: "–", origin: DEMO_API, method: "GET", outcome: "HTTP 200" },
      { decision: "allow", reason: "–", origin: DEMO_API, method: "POST", outcome: "HTTP 200" },
    ]);
    expect(got.output).toContain('"method": "POST"');
    const decisions = ofType(got.events, "fetch.decision");
    expect(decisions.map((e) => [e.decision, e.method])).toEqual([["allow", "GET"], ["allow", "POST"]]);
    expect(decisions[0].headers).toEqual({ count: 1, names: ["authorization"] });
    expect(decisions[0].url.query_keys).toEqual(["page", "api_key"]);
    expect(decisions[1].body).toEqual({ bytes: expect.any(Number) });
    expect(ofType(got.events, "fetch.complete").map((e) => e.status)).toEqual([200, 200]);
    expect(JSON.stringify(got.events)).not.toContain(CANARY);
    const lines = await requestLines(DEMO_API);
    expect(lines.filter((l) => !l.startsWith("OPTIONS"))).toEqual(["GET /items", "POST /items"]);
    await expectCountersMatchServers(page);
    await expect(page.locator("#recent-api")).toContainText("POST /items");
    await screenshot(page, "02-allowed");
  });

  test("denied origin (run with Ctrl+Enter): nothing leaves the page", async () => {
    const got = await runExample(page, "denied-origin", { keyboard: true });
    expect(got.output).toContain("FetchDenied: origin_denied");
    expect(got.rows).toEqual([{ decision: "deny", reason: "origin_denied", origin: DEMO_OTHER, method: "GET", outcome: "not sent" }]);
    const [decision] = ofType(got.events, "fetch.decision");
    expect(decision).toMatchObject({ decision: "deny", reason: "origin_denied", origin: DEMO_OTHER, severity: "warn" });
    expect(decision.url.query_keys).toEqual(["session"]);
    expect(await serverLog(DEMO_API)).toEqual([]);
  });

  test("method escalation is denied", async () => {
    const got = await runExample(page, "method-escalation");
    expect(reasons(got.rows)).toEqual(["method_denied", "method_denied", "method_forbidden", "forbidden_header"]);
    expect(got.rows.map((r) => r.method)).toEqual(["DELETE", "PUT", "TRACE", "GET"]);
    expect(ofType(got.events, "fetch.decision").map((e) => e.reason)).toEqual(reasons(got.rows));
    expect(await serverLog(DEMO_API)).toEqual([]);
    await expectCountersMatchServers(page);
    await screenshot(page, "03-denied");
  });

  test("credentials attempts are denied and the URL password is not shown", async () => {
    const got = await runExample(page, "credentials");
    expect(reasons(got.rows)).toEqual(["credentials_denied", "credentials_denied", "userinfo_denied"]);
    const userinfo = ofType(got.events, "fetch.decision")[2];
    expect(userinfo.url).toMatchObject({ has_userinfo: true, origin: DEMO_API });
    expect(JSON.stringify(got.events)).not.toContain(CANARY);
    expect(await serverLog(DEMO_API)).toEqual([]);
  });

  test("header flood and header injection are denied; the limit itself is allowed", async () => {
    const got = await runExample(page, "header-flood");
    expect(reasons(got.rows)).toEqual(["header_count_exceeded", "allow", "invalid_header"]);
    expect(got.rows[1].outcome).toBe("HTTP 200");
    const decisions = ofType(got.events, "fetch.decision");
    expect(decisions[0]).toMatchObject({ header_count: 40, headers: { count: 40 } });
    expect(JSON.stringify(got.events)).not.toContain(CANARY);
    expect((await requestLines(DEMO_API)).filter((l) => !l.startsWith("OPTIONS"))).toEqual(["GET /items"]);
    await expectCountersMatchServers(page);
  });

  test("forbidden headers are refused, not dropped", async () => {
    const got = await runExample(page, "forbidden-header");
    expect(reasons(got.rows)).toEqual(Array(4).fill("forbidden_header"));
    expect(ofType(got.events, "fetch.decision").map((e) => e.headers.names)).toEqual([["cookie"], ["host"], ["origin"], ["sec-fetch-site"]]);
    expect(JSON.stringify(got.events)).not.toContain(CANARY);
    expect(await serverLog(DEMO_API)).toEqual([]);
  });

  test("a redirect to the other origin is refused and the other server never hears of it", async () => {
    const got = await runExample(page, "redirect");
    expect(got.rows).toEqual([{ decision: "allow", reason: "–", origin: DEMO_API, method: "GET", outcome: "failed: redirect_denied" }]);
    expect(ofType(got.events, "fetch.error")).toEqual([expect.objectContaining({ code: "redirect_denied", origin: DEMO_API })]);
    expect(await requestLines(DEMO_API)).toEqual(["GET /redirect"]);
    await expectCountersMatchServers(page);
  });

  test("timeout and cancellation", async () => {
    const got = await runExample(page, "timeout-cancel");
    expect(got.output).toContain('"timeout=0.5": "failed: timeout"');
    expect(got.output).toContain('"cancelled task": "cancelled: the fetch was aborted"');
    expect(got.rows.map((r) => r.outcome)).toEqual(["failed: timeout", "failed: aborted"]);
    expect(ofType(got.events, "fetch.error").map((e) => e.code)).toEqual(["timeout", "aborted"]);
    // The browser really dropped the connection: the server saw the client go away.
    await expect.poll(async () => (await serverLog(DEMO_API)).find((r) => r.path === "/drip")?.aborted, { timeout: 10_000 }).toBe(true);
    await expect(page.locator("#recent-api")).toContainText("GET /drip (client aborted)");
  });

  test("a response over the cap fails with response_too_large", async () => {
    const got = await runExample(page, "too-large");
    expect(got.rows.map((r) => r.outcome)).toEqual(["failed: response_too_large", "failed: response_too_large", "HTTP 200"]);
    expect(ofType(got.events, "fetch.error").map((e) => e.code)).toEqual(["response_too_large", "response_too_large"]);
    expect(await requestLines(DEMO_API)).toEqual(["GET /big", "GET /big", "GET /big"]);
    await expectCountersMatchServers(page);
  });

  test("ambient escape attempts are all blocked and reach no server", async () => {
    const got = await runExample(page, "escapes");
    const outcome = JSON.parse(got.output.replace(/^→ /, ""));
    expect(Object.keys(outcome)).toHaveLength(4);
    for (const [name, text] of Object.entries(outcome)) expect(text, name).toMatch(/^blocked: /);
    expect(outcome["Function constructor"]).toMatch(/EvalError/);
    expect(got.rows).toEqual([]);
    await page.waitForTimeout(500);
    expect(await serverLog(DEMO_API)).toEqual([]);
    await expectCountersMatchServers(page);
    await screenshot(page, "04-escapes-worker");
  });

  test("existing pyfetch code goes through the authority", async () => {
    await expectPyfetchGoverned(page);
  });

  test("escape by navigation: a worker has no window to open", async () => {
    const got = await runExample(page, "navigation-escape");
    expect(got.output).toContain("blocked: AttributeError");
    expect(await serverLog(DEMO_API)).toEqual([]);
  });

  test("agent: the granted tool answers, the ungranted one is refused, the log shows both", async () => {
    const got = await runExample(page, "agent");
    expect(got.state).toBe("done");
    expect(got.output).toContain("granted: ['search']");
    expect(got.output).toContain("ToolNotGranted: send_email");
    expect(got.rows).toEqual([
      { decision: "allow", reason: "–", origin: "tool: search", method: "call", outcome: "done" },
      { decision: "deny", reason: "not_granted", origin: "tool: send_email", method: "call", outcome: "not called" },
    ]);
    const decisions = ofType(got.events, "tool.decision");
    expect(decisions.map((e) => [e.tool, e.decision])).toEqual([["search", "allow"], ["send_email", "deny"]]);
    expect(ofType(got.events, "tool.call").map((e) => [e.tool, e.outcome])).toEqual([["search", "performed"]]);
    expect(JSON.stringify(got.events)).not.toContain(CANARY);
    expect(JSON.stringify(got.events)).not.toContain("worker tools");
    expect(await serverLog(DEMO_API)).toEqual([]);
  });

  test("no secret from the examples reaches the console, the log or the diagnostics view", async () => {
    const messages = await consoleLog.settled();
    expect(messages.some((m) => m.includes("[browser_rt]"))).toBe(true);
    // The logged events are read in full (their nested fields too), not just a preview.
    expect(messages.some((m) => m.includes('"query_keys":["page","api_key"]'))).toBe(true);
    expect(messages.filter((m) => m.includes(CANARY))).toEqual([]);
    expect(await page.locator("#diagnostics").textContent()).not.toContain(CANARY);
    expect(await page.locator("#decision-table").textContent()).not.toContain(CANARY);
    await expect(page.locator("#diagnostics li code")).not.toHaveCount(0);
  });

  test("the diagnostics filter, the prelude toggle, Clear and Reset counters", async () => {
    await runExample(page, "allowed");
    await runExample(page, "denied-origin");
    const visible = (/** @type {string} */ attr) =>
      page.locator("#diagnostics li:not(.marker):visible").evaluateAll((items, name) => items.map((li) => li.getAttribute(name)), attr);
    await page.locator("#diag-filter").selectOption("warn");
    expect(new Set(await visible("data-severity"))).toEqual(new Set(["warn"]));
    await page.locator("#diag-filter").selectOption("fetch");
    expect((await visible("data-type")).every((t) => t?.startsWith("fetch."))).toBe(true);
    await page.locator("#diag-filter").selectOption("all");
    expect(await visible("data-type")).toContain("authority.loaded");

    await page.locator("#show-prelude").click();
    await expect(page.locator("#prelude")).toBeVisible();
    await expect(page.locator("#prelude")).toContainText(`API = "${DEMO_API}"`);
    await expect(page.locator("#show-prelude")).toHaveAttribute("aria-expanded", "true");
    await page.locator("#show-prelude").click();
    await expect(page.locator("#prelude")).toBeHidden();

    await page.locator("#clear-logs").click();
    await expect(page.locator("#decision-table tbody tr")).toHaveCount(0);
    await expect(page.locator("#diagnostics li")).toHaveCount(0);

    expect((await serverLog(DEMO_API)).length).toBeGreaterThan(0);
    await page.locator("#reset-counters").click();
    await expect(page.locator("#count-api")).toHaveText("0");
    expect(await serverLog(DEMO_API)).toEqual([]);
  });
});

test.describe("page mode: not a sandbox, and the demo says so", () => {
  /** @type {import("@playwright/test").Page} */
  let page;
  /** @type {ReturnType<typeof collectConsole>} */
  let consoleLog;

  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    consoleLog = collectConsole(page);
    await openDemo(page, "?mode=page");
  });

  test.afterAll(async () => {
    await page.close();
  });

  test.beforeEach(async () => {
    await resetServers();
  });

  test("the runtime reports its ambient paths", async () => {
    const ambient = await page.locator('#diagnostics li[data-type="runtime.ambient_paths"] code').textContent();
    const event = JSON.parse(ambient ?? "{}");
    expect(event.severity).toBe("warn");
    expect(event.paths).toEqual(expect.arrayContaining(["js.fetch", "js.XMLHttpRequest", "js.Function"]));
    // browser_rt sends pyfetch through the authority, so it is not an ambient path.
    expect(event.paths).not.toContain("pyodide.http.pyfetch");
    await expect(page.locator("#mode-note")).toContainText("Page mode is not a sandbox");
    await expect(page.locator("#mode-note")).toContainText(`${event.paths.length} network paths`);
  });

  test("cx.fetch is still decided by the policy", async () => {
    const allowed = await runExample(page, "allowed");
    expect(reasons(allowed.rows)).toEqual(["allow", "allow"]);
    const denied = await runExample(page, "method-escalation");
    expect(reasons(denied.rows)).toEqual(["method_denied", "method_denied", "method_forbidden", "forbidden_header"]);
    const redirect = await runExample(page, "redirect");
    expect(redirect.rows.map((r) => r.outcome)).toEqual(["failed: redirect_denied"]);
    expect((await requestLines(DEMO_API)).filter((l) => !l.startsWith("OPTIONS"))).toEqual(["GET /items", "POST /items", "GET /redirect"]);
    expect(await serverLog(DEMO_OTHER)).toEqual([]);
  });

  test("ambient escapes: api is reached around the policy; OTHER only because of the page CSP", async () => {
    const got = await runExample(page, "escapes");
    const outcome = JSON.parse(got.output.replace(/^→ /, ""));
    // js.fetch to the granted origin with a method the policy denies: it gets there.
    expect(outcome["js.fetch(API, DELETE)"]).toBe("REACHED the server: HTTP 200");
    expect(await requestLines(DEMO_API)).toEqual(["OPTIONS /items/1", "DELETE /items/1"]);
    // js.fetch and XMLHttpRequest to OTHER: refused by the browser because the page CSP's
    // connect-src lists only the granted origin; the runtime itself did nothing to stop them.
    expect(outcome["js.fetch(OTHER)"]).toMatch(/^blocked: .*Failed to fetch/);
    expect(outcome["XMLHttpRequest(OTHER)"]).toBe("blocked: OSError: XMLHttpRequest network error");
    expect(outcome["Function constructor"]).toMatch(/EvalError/);
    await expect(page.locator('#csp-reports li[data-directive="connect-src"]').first()).toHaveAttribute("data-blocked", DEMO_OTHER);
    await expect(page.locator('#csp-reports li[data-directive="script-src"]').first()).toHaveAttribute("data-blocked", "eval");
    // None of it went through cx.fetch, so the decision log has nothing for this run.
    expect(got.rows).toEqual([]);
    expect(await serverLog(DEMO_OTHER)).toEqual([]);
    await expectCountersMatchServers(page);
    await expect(page.locator("#counter-api")).toHaveAttribute("data-reached", "true");
  });

  test("existing pyfetch code is decided by the policy in page mode too", async () => {
    await expectPyfetchGoverned(page);
  });

  test("escape by navigation reaches the other server: the counter goes up", async () => {
    const popup = page.waitForEvent("popup");
    const got = await runExample(page, "navigation-escape");
    expect(got.output).toContain("REACHED the other server");
    expect((await popup).url()).toBe(`${DEMO_OTHER}/opened-by-python`);
    expect(await requestLines(DEMO_OTHER)).toContain("GET /opened-by-python");
    await expectCountersMatchServers(page);
    await expect(page.locator("#counter-other")).toHaveAttribute("data-reached", "true");
    await expect(page.locator("#recent-other")).toContainText("GET /opened-by-python");
    await screenshot(page, "05-escapes-page");
  });

  test("no secret from the examples reaches the console in page mode either", async () => {
    const messages = await consoleLog.settled();
    expect(messages.some((m) => m.includes("[browser_rt]"))).toBe(true);
    expect(messages.filter((m) => m.includes(CANARY))).toEqual([]);
    expect(await page.locator("#diagnostics").textContent()).not.toContain(CANARY);
  });
});
