// @ts-check
// The demo's policy editor: live validation with FetchAuthority.fromJSON, inline errors that
// name the entry, applying a policy (which restarts the runtime), and the page CSP's say.
const { test, expect } = require("@playwright/test");
const {
  DEMO, DEMO_API, DEMO_OTHER, serverLog, requestLines, resetServers, openDemo, waitReady, runExample, runEditor, screenshot,
  setPolicy,
} = require("./demo-helpers");

const SERVER_POLICY = {
  origins: [DEMO_API],
  methods: ["GET", "POST"],
  credentials: "omit",
  max_header_count: 8,
  max_request_body_bytes: 4096,
  max_response_body_bytes: 65536,
  redirect: "error",
  timeout_ms: 10000,
};

/** @param {Record<string, unknown>} changes */
const policyText = (changes) => JSON.stringify({ ...SERVER_POLICY, ...changes }, null, 2);

test.describe.configure({ mode: "serial" });

test.describe("policy editor", () => {
  /** @type {import("@playwright/test").Page} */
  let page;

  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await openDemo(page, "?mode=worker");
  });

  test.afterAll(async () => {
    await page.close();
  });

  test.beforeEach(async () => {
    await resetServers();
  });

  test("starts with the server's policy, which the runtime is using", async () => {
    expect(JSON.parse(await page.locator("#policy").inputValue())).toEqual(SERVER_POLICY);
    await expect(page.locator("#policy-status")).toContainText("Valid.");
    await expect(page.locator("#policy-status")).toContainText("The runtime is using this policy.");
    await expect(page.locator("#apply-policy")).toBeDisabled();
    await expect(page.locator("#policy")).toHaveAttribute("aria-invalid", "false");
    await expect(page.locator("#grant-api")).toHaveText("granted by the running policy");
    await expect(page.locator("#grant-other")).toHaveText("not granted");
    // The CSP the server sent lists the same single origin.
    await expect(page.locator("#csp")).toContainText(`connect-src 'self' ${DEMO_API}`);
  });

  const BAD = [
    {
      name: "a path in an origin",
      text: policyText({ origins: [DEMO_API, `${DEMO_OTHER}/api`] }),
      error: "origins[1]: path not allowed in an origin",
      entry: `"${DEMO_OTHER}/api"`,
    },
    { name: "an unknown key", text: policyText({ allow_everything: true }), error: 'policy: unknown key "allow_everything"', entry: '"allow_everything"' },
    { name: "a never-allowed method", text: policyText({ methods: ["GET", "TRACE"] }), error: "methods[1]: TRACE is never allowed", entry: '"TRACE"' },
    { name: "a bare *", text: policyText({ origins: ["*"] }), error: 'origins[0]: a bare "*" is not allowed', entry: '"*"' },
    {
      name: "include with a wildcard",
      text: policyText({ origins: ["https://*.example.com"], credentials: "include" }),
      error: 'credentials: "include" cannot be combined with a wildcard origin',
      entry: '"include"',
    },
    { name: "a limit out of range", text: policyText({ max_header_count: 500 }), error: "max_header_count: 500 is outside", entry: "500" },
    { name: "a duplicate key", text: '{\n  "methods": ["GET"],\n  "methods": ["POST"]\n}', error: 'policy: duplicate key "methods"', entry: '"methods"' },
    { name: "broken JSON", text: '{\n  "origins": [\n    "http://127.0.0.1:8771",\n  ]\n}', error: "not valid JSON (line 4 column 3", entry: null },
    { name: "an empty editor", text: "", error: "policy: empty", entry: null },
  ];

  for (const bad of BAD) {
    test(`${bad.name} is shown inline, naming the entry`, async () => {
      await setPolicy(page, bad.text);
      const error = page.locator("#policy-error");
      await expect(error).toContainText("Invalid policy.");
      await expect(error).toContainText(bad.error);
      await expect(page.locator("#policy")).toHaveAttribute("aria-invalid", "true");
      await expect(page.locator("#apply-policy")).toBeDisabled();
      if (bad.entry) {
        await error.getByRole("button", { name: "Select it in the editor" }).click();
        const selected = await page.locator("#policy").evaluate((/** @type {HTMLTextAreaElement} */ t) =>
          t.value.slice(t.selectionStart, t.selectionEnd));
        expect(selected).toBe(bad.entry);
        await expect(page.locator("#policy")).toBeFocused();
      }
      if (bad.name === "a path in an origin") await screenshot(page, "06-policy-error");
    });
  }

  test("Back to the server's policy restores it", async () => {
    await setPolicy(page, "{");
    await expect(page.locator("#policy-error")).toBeVisible();
    await page.locator("#reset-policy").click();
    expect(JSON.parse(await page.locator("#policy").inputValue())).toEqual(SERVER_POLICY);
    await expect(page.locator("#policy-status")).toContainText("The runtime is using this policy.");
  });

  test("applying a wider policy restarts the runtime, which then allows PUT", async () => {
    await setPolicy(page, policyText({ methods: ["GET", "POST", "PUT"] }));
    await expect(page.locator("#policy-status")).toContainText("Not applied yet");
    await expect(page.locator("#apply-policy")).toBeEnabled();
    await page.locator("#apply-policy").click();
    await waitReady(page);
    await expect(page.locator("#policy-status")).toContainText("The runtime is using this policy.");
    await expect(page.locator("#decision-table tr.marker").last()).toContainText("starting in worker mode");
    await page.locator("#code").fill('await attempt(f"{API}/items/1", method="PUT", body="{}")');
    const got = await runEditor(page);
    expect(got.output).toBe('→ "200 OK"');
    expect(got.rows).toEqual([{ decision: "allow", reason: "–", origin: DEMO_API, method: "PUT", outcome: "HTTP 200" }]);
    expect(await requestLines(DEMO_API)).toEqual(["OPTIONS /items/1", "PUT /items/1"]);
  });

  test("granting OTHER in the editor: the page CSP, from the server's policy, still refuses it", async () => {
    await setPolicy(page, policyText({ origins: [DEMO_API, DEMO_OTHER] }));
    await expect(page.locator("#policy-status .warn")).toContainText(`does not list ${DEMO_OTHER}`);
    await page.keyboard.press("Control+Enter"); // in the policy editor: apply
    await waitReady(page);
    await expect(page.locator("#grant-other")).toHaveText("granted by the running policy");
    const got = await runExample(page, "denied-origin");
    // Allowed by the policy, refused by the browser: the bridge reports a network error.
    expect(got.rows).toEqual([{ decision: "allow", reason: "–", origin: DEMO_OTHER, method: "GET", outcome: "failed: network" }]);
    await expect(page.locator('#csp-reports li[data-directive="connect-src"]').last()).toHaveAttribute("data-blocked", DEMO_OTHER);
    expect(await serverLog(DEMO_OTHER)).toEqual([]);
    await expect(page.locator("#count-other")).toHaveText("0");
    // Put the server's policy back for the next tests.
    await page.locator("#reset-policy").click();
    await page.locator("#apply-policy").click();
    await waitReady(page);
  });

  test("an empty Python editor and a syntax error get clear messages", async () => {
    await page.locator("#code").fill("   \n");
    await page.locator("#run").click();
    await expect(page.locator("#output")).toHaveText(/^Nothing to run: the editor is empty/);
    await page.locator("#code").fill("def broken(:\n    pass");
    const got = await runEditor(page);
    expect(got.state).toBe("error");
    expect(got.output).toContain("SyntaxError");
    // The runtime is fine afterwards.
    await page.locator("#code").fill('await attempt(f"{OTHER}/x")');
    expect((await runEditor(page)).output).toBe('→ "denied: origin_denied"');
  });

  test("bad values in the address are reported and ignored", async ({ browser }) => {
    const other = await browser.newPage();
    await other.goto(`${DEMO}/?mode=sandbox&example=nope`);
    await expect(other.locator("#banner")).toContainText('Unknown mode "sandbox"');
    await expect(other.locator("#banner")).toContainText('Unknown example "nope"');
    await expect(other.locator("#example")).toHaveValue("allowed");
    await expect(other.locator('input[name="isolation"][value="worker"]')).toBeChecked();
    await other.close();
  });
});
