// @ts-check
// Tools in a real browser, in both isolation modes: the page's tool bridge refuses what was not
// granted and arguments that are not bounded JSON before any handler runs, applies each tool's
// timeout and limits, aborts the handler's signal when the Python task is cancelled, and keeps
// argument values out of every event, while the page's own timer keeps ticking.
const { test, expect } = require("@playwright/test");
const { HARNESS } = require("./helpers");

/**
 * Open the harness and create a runtime with the test tools; every handler logs to window.toolLog.
 * @param {import("@playwright/test").Page} page
 * @param {"worker" | "page"} isolation
 * @param {string} [mode] diagnostics mode
 */
async function startWithTools(page, isolation, mode = "metadata_only") {
  await page.goto(`${HARNESS}/e2e/harness.html`);
  await expect(page.locator("#status")).toHaveText("ready");
  await page.evaluate(async ({ isolation, mode }) => {
    const log = { calls: [], aborted: [], running: 0, peak: 0, ticks: 0 };
    const events = [];
    Object.assign(window, { toolLog: log, events });
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    window.rt = await window.harness.createRuntime({
      indexURL: "/pyodide/",
      isolation,
      diagnostics: { mode, sink: (event) => events.push(event) },
      tools: {
        echo: (args) => { log.calls.push("echo"); return { got: args }; },
        fail: () => { log.calls.push("fail"); throw new Error("db is down"); },
        slow: {
          handler: (_args, ctx) => new Promise((resolve) => {
            log.calls.push("slow");
            ctx.signal.addEventListener("abort", () => { log.aborted.push(`slow:${ctx.signal.reason?.code ?? "?"}`); resolve(null); });
          }),
          timeoutMs: 300,
        },
        hang: {
          handler: (_args, ctx) => new Promise(() => {
            log.calls.push("hang");
            ctx.signal.addEventListener("abort", () => log.aborted.push(`hang:${ctx.signal.reason?.code ?? "?"}`));
          }),
          timeoutMs: 60_000,
        },
        busy: {
          handler: async () => {
            log.calls.push("busy");
            log.running += 1;
            log.peak = Math.max(log.peak, log.running);
            await sleep(20);
            log.running -= 1;
            return 1;
          },
          maxConcurrent: 2, maxQueued: 4, perMinute: 1000,
        },
      },
    });
  }, { isolation, mode });
}

/** @param {import("@playwright/test").Page} page @param {string} code @param {object} [options] */
function run(page, code, options) {
  return page.evaluate(async ({ code, options }) => {
    try {
      return { ok: true, value: await window.rt.runPythonAsync(code, options) };
    } catch (error) {
      return { ok: false, name: error.name, message: String(error.message), stage: error.stage };
    }
  }, { code, options });
}

/** @param {import("@playwright/test").Page} page */
const toolLog = (page) => page.evaluate(() => window.toolLog);

/** Python that calls the runtime's tool host directly, skipping the grant's own checks. */
const RAW_CALL = `
import json
from browser_rt import current_cx
from browser_rt.tools import ToolCall, ToolDenied

async def raw(tool, args_json):
    host = current_cx()._services.tool_host
    try:
        return await host.call(ToolCall(call_id=id(args_json) % 1_000_000, tool=tool, args_json=args_json, timeout_ms=1000))
    except ToolDenied as denied:
        return f"{type(denied).__name__}:{denied.reason}"
`;

for (const isolation of /** @type {const} */ (["worker", "page"])) {
  test.describe(`tools, ${isolation} mode`, () => {
    test("a granted tool answers; an ungranted one is a PermissionError naming it", async ({ page }) => {
      await startWithTools(page, isolation);
      const result = await run(page, `
from browser_rt import current_cx
from browser_rt.tools import ToolNotGranted
cx = current_cx()
got = await cx.tools.call("echo", query="pyodide", n=2)
try:
    await cx.tools.call("delete_everything", really=True)
    refused = None
except ToolNotGranted as error:
    refused = [isinstance(error, PermissionError), error.tool, str(error)]
narrow = cx.narrow(tools=["fail"])
try:
    await narrow.tools.call("echo")
    narrowed = None
except PermissionError as error:
    narrowed = type(error).__name__
[got, refused, narrowed]
`);
      expect(result.ok, result.message).toBe(true);
      const [got, refused, narrowed] = /** @type {any[]} */ (result.value);
      expect(got).toEqual({ got: { query: "pyodide", n: 2 } });
      expect(refused[0]).toBe(true);
      expect(refused[1]).toBe("delete_everything");
      expect(refused[2]).toContain("delete_everything");
      expect(narrowed).toBe("ToolNotGranted");
      expect((await toolLog(page)).calls).toEqual(["echo"]);
      const record = await page.evaluate(() => window.rt.bridgeRecord().entries.filter((e) => e.kind === "tool"));
      expect(record.map((e) => [e.tool, e.outcome])).toEqual([["echo", "performed"]]);
    });

    test("the page refuses an ungranted name and arguments that are not bounded JSON, calling nothing", async ({ page }) => {
      await startWithTools(page, isolation);
      const result = await run(page, `${RAW_CALL}
[
    await raw("delete_everything", "{}"),
    await raw("constructor", "{}"),
    await raw("__proto__", "{}"),
    await raw("echo", "{not json"),
    await raw("echo", "[1, 2]"),
    await raw("echo", json.dumps({"x": "y" * 70_000})),
    await raw("echo", '{"x": ' + "[" * 40 + "]" * 40 + "}"),
]
`);
      expect(result.ok, result.message).toBe(true);
      expect(result.value).toEqual([
        "ToolNotGranted:not_granted", "ToolNotGranted:not_granted", "ToolNotGranted:not_granted",
        "ToolDenied:invalid_args", "ToolDenied:invalid_args", "ToolDenied:args_too_large", "ToolDenied:invalid_args",
      ]);
      expect((await toolLog(page)).calls).toEqual([]);
      const record = await page.evaluate(() => window.rt.bridgeRecord().entries.filter((e) => e.kind === "tool"));
      expect(record).toHaveLength(7);
      expect(record.every((e) => e.outcome === "denied")).toBe(true);
      expect(record.find((e) => e.reason === "args_too_large").bytes_sent).toBeGreaterThan(65_536);
    });

    test("Python's own checks refuse non-JSON and oversized arguments before the page sees them", async ({ page }) => {
      await startWithTools(page, isolation);
      const result = await run(page, `
from browser_rt import current_cx
from browser_rt.tools import ToolDenied
out = []
for args in ({"x": {1, 2}}, {"x": float("nan")}, {"x": "y" * 70_000}):
    try:
        await current_cx().tools.call("echo", **args)
    except ToolDenied as error:
        out.append(error.reason)
out
`);
      expect(result.value).toEqual(["invalid_args", "invalid_args", "args_too_large"]);
      expect((await toolLog(page)).calls).toEqual([]);
      expect(await page.evaluate(() => window.rt.bridgeRecord().entries.length)).toBe(0);
    });

    test("a tool's exception reaches Python with its message and no JS stack", async ({ page }) => {
      await startWithTools(page, isolation);
      const result = await run(page, `
from browser_rt import current_cx
from browser_rt.tools import ToolFailed
try:
    await current_cx().tools.call("fail")
except ToolFailed as error:
    message = [type(error).__name__, str(error), error.code]
message
`);
      expect(result.value).toEqual(["ToolFailed", "db is down", "tool_error"]);
    });

    test("the timeout fires, the call fails ToolTimeout and the handler's signal aborts", async ({ page }) => {
      await startWithTools(page, isolation);
      const result = await run(page, `
import time
from browser_rt import current_cx
from browser_rt.tools import ToolTimeout
started = time.monotonic()
try:
    await current_cx().tools.call("slow")
except ToolTimeout as error:
    outcome = error.code
[outcome, round((time.monotonic() - started) * 1000)]
`);
      expect(result.ok, result.message).toBe(true);
      const [outcome, elapsed] = /** @type {any[]} */ (result.value);
      expect(outcome).toBe("timeout");
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(5000);
      expect((await toolLog(page)).aborted).toEqual(["slow:timeout"]);
    });

    test("cancelling the Python task aborts the tool's signal", async ({ page }) => {
      await startWithTools(page, isolation);
      const result = await run(page, `
import asyncio
from browser_rt import current_cx
task = asyncio.ensure_future(current_cx().tools.call("hang"))
await asyncio.sleep(0.2)
task.cancel()
try:
    await task
except asyncio.CancelledError:
    pass
"cancelled"
`);
      expect(result.value).toBe("cancelled");
      await expect.poll(async () => (await toolLog(page)).aborted).toEqual(["hang:aborted"]);
      // A run stopped by its own timeout aborts the call it was waiting on, too.
      const stopped = await run(page, `
from browser_rt import current_cx
await current_cx().tools.call("hang")
`, { timeout: 300 });
      expect(stopped.name).toBe("RunInterruptedError");
      await expect.poll(async () => (await toolLog(page)).aborted).toEqual(["hang:aborted", "hang:aborted"]);
      expect(await page.evaluate(() => window.rt.bridgeRecord().entries.filter((e) => e.kind === "tool").map((e) => e.code)))
        .toEqual(["aborted", "aborted"]);
    });

    test("a flood of calls is limited while the page's timer keeps ticking", async ({ page }) => {
      await startWithTools(page, isolation);
      await page.evaluate(() => { window.ticker = setInterval(() => { window.toolLog.ticks += 1; }, 10); });
      const result = await run(page, `
import asyncio
from browser_rt import current_cx
from browser_rt.tools import ToolDenied
cx = current_cx()
async def one():
    try:
        return await cx.tools.call("busy")
    except ToolDenied as error:
        return error.reason
outcomes = []
for _ in range(10):
    outcomes += await asyncio.gather(*(one() for _ in range(100)))
    await asyncio.sleep(0.03)
[outcomes.count(1), outcomes.count("rate_limited"), len(outcomes)]
`);
      expect(result.ok, result.message).toBe(true);
      const [performed, limited, total] = /** @type {number[]} */ (result.value);
      const log = await toolLog(page);
      expect(total).toBe(1000);
      expect(performed + limited).toBe(1000);
      expect(limited).toBeGreaterThan(800);
      expect(log.peak).toBeLessThanOrEqual(2);
      expect(log.calls.length).toBe(performed);
      expect(log.ticks).toBeGreaterThan(10);
      const record = await page.evaluate(() => window.rt.bridgeRecord().totals);
      expect(record.denied).toBe(limited);
    });

    for (const mode of ["metadata_only", "strict"]) {
      test(`no argument or result value appears in the events (${mode})`, async ({ page }) => {
        await startWithTools(page, isolation, mode);
        const result = await run(page, `
from browser_rt import current_cx
from browser_rt.tools import ToolDenied, ToolFailed
cx = current_cx()
await cx.tools.call("echo", token="ARG-SECRET-4711")
for name in ("nope", "echo"):
    try:
        await cx.tools.call(name, token="ARG-SECRET-4711" * (1 if name == "nope" else 9000))
    except ToolDenied:
        pass
"done"
`);
        expect(result.value).toBe("done");
        const events = await page.evaluate(() => window.events);
        const text = JSON.stringify(events);
        expect(text).not.toContain("ARG-SECRET");
        const types = events.map((e) => e.type);
        expect(types).toContain("tool.decision");
        expect(types).toContain("tool.call");
        const call = events.find((e) => e.type === "tool.call");
        expect(call).toMatchObject({ source: "bridge", tool: "echo", outcome: "performed", bytes_sent: 27 });
        expect(call.bytes_received).toBeGreaterThan(27);
        expect(typeof call.duration_ms).toBe("number");
      });
    }
  });
}

test("createRuntime refuses prototype keys and bad names as tools", async ({ page }) => {
  await page.goto(`${HARNESS}/e2e/harness.html`);
  await expect(page.locator("#status")).toHaveText("ready");
  const messages = await page.evaluate(async () => {
    const out = [];
    for (const name of ["__proto__", "constructor", "then", "bad-name"]) {
      try {
        await window.harness.createRuntime({ indexURL: "/pyodide/", isolation: "page", tools: Object.fromEntries([[name, () => 1]]) });
        out.push("started");
      } catch (error) {
        out.push(String(error.message));
      }
    }
    return out;
  });
  expect(messages[0]).toContain('"__proto__" is a reserved name');
  expect(messages[1]).toContain('"constructor" is a reserved name');
  expect(messages[2]).toContain('"then" is a reserved name');
  expect(messages[3]).toContain('"bad-name" is not a tool name');
});
