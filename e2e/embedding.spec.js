// @ts-check
// The embedding API in real Chromium, worker mode: streaming output, run options, the staged
// interrupt (with and without cross-origin isolation), files, packages and calls, each with a
// bad input that must get a clear error.
const { test, expect } = require("@playwright/test");
const { ISOLATED_HARNESS, startRuntime } = require("./helpers");

/** @param {import("@playwright/test").Page} page @param {Record<string, unknown>} [extra] */
async function start(page, extra = {}, harness = undefined) {
  await page.evaluate(() => {
    window.lines = [];
  });
  await startRuntime(page, { isolation: "worker", ...extra }, harness);
}

test.beforeEach(async ({ page }) => {
  // The page's own record of output, with the time each line arrived.
  await page.addInitScript(() => {
    window.lines = [];
    window.stdout = (line) => window.lines.push({ line, at: Date.now() });
  });
});

/** createRuntime options that name page functions can't cross page.evaluate: wire them here. */
async function startWithOutput(page, harness = undefined, extra = {}) {
  await page.goto(`${harness ?? ""}/e2e/harness.html`);
  await expect(page.locator("#status")).toHaveText("ready");
  await page.evaluate(async (more) => {
    window.events = [];
    window.rt = await window.harness.createRuntime({
      indexURL: "/pyodide/",
      isolation: "worker",
      stdout: (line) => window.lines.push({ line, at: Date.now() }),
      diagnostics: { sink: (e) => window.events.push(e) },
      ...more,
    });
  }, extra);
}

/** @param {import("@playwright/test").Page} page @param {string} code @param {any} [options] */
function run(page, code, options) {
  return page.evaluate(async ([source, opts]) => {
    const started = Date.now();
    try {
      return { ok: true, value: await window.rt.runPythonAsync(source, opts ?? undefined), ms: Date.now() - started };
    } catch (error) {
      return { ok: false, name: error.name, message: String(error.message), type: error.type, traceback: error.traceback,
        stage: error.stage, stateLost: error.stateLost, ms: Date.now() - started };
    }
  }, [code, options]);
}

test("output streams: the first line arrives before the second is printed", async ({ page }) => {
  await startWithOutput(page);
  const got = await run(page, `
import time
print("first")
start = time.time()
while time.time() - start < 1:
    pass
second_at = int(time.time() * 1000)
print("second")
second_at`);
  expect(got.ok, JSON.stringify(got)).toBe(true);
  await expect.poll(() => page.evaluate(() => window.lines.length)).toBe(2);
  const lines = await page.evaluate(() => window.lines);
  expect(lines.map((l) => l.line)).toEqual(["first", "second"]);
  expect(lines[0].at).toBeLessThan(got.value);
});

test("a flood of output does not freeze the page, and what is dropped is counted", async ({ page }) => {
  await startWithOutput(page);
  const ticks = await page.evaluate(async () => {
    let count = 0;
    const timer = setInterval(() => count++, 50);
    await window.rt.runPythonAsync("for i in range(100_000):\n    print(i)");
    await new Promise((resolve) => setTimeout(resolve, 300));
    clearInterval(timer);
    return count;
  });
  expect(ticks).toBeGreaterThan(2);
  const dropped = await page.evaluate(() => window.rt.outputDropped());
  expect(dropped.stdout).toBeGreaterThan(0);
  const notice = await page.evaluate(() => window.lines.find((l) => l.line.startsWith("[browser_rt]"))?.line);
  expect(notice).toMatch(/lines of stdout dropped/);
  const events = await page.evaluate(() => window.events.filter((e) => e.type === "output.dropped"));
  expect(events.length).toBeGreaterThan(0);
  expect(events[0].source).toBe("page");
});

test("globals bind JSON values for one run; bad globals are refused by name", async ({ page }) => {
  await startWithOutput(page);
  const got = await run(page, "f'{name} has {len(items)} items'", { globals: { name: "cart", items: [1, 2, 3] } });
  expect(got.value).toBe("cart has 3 items");
  expect((await run(page, "'name' in globals()")).value).toBe(false);
  const bad = await page.evaluate(async () => {
    const out = [];
    for (const globals of [{ "not-a-name": 1 }, { when: new Date() }, { n: NaN }]) {
      try {
        await window.rt.runPythonAsync("1", { globals });
        out.push("accepted");
      } catch (error) {
        out.push(`${error.name}: ${error.message}`);
      }
    }
    return out;
  });
  expect(bad[0]).toMatch(/TypeError: .*"not-a-name" is not a Python identifier/);
  expect(bad[1]).toMatch(/TypeError: .*globals\.when: a Date is not JSON-compatible/);
  expect(bad[2]).toMatch(/TypeError: .*globals\.n: NaN is not a JSON number/);
});

test("a Python exception rejects with PythonError: type, message and the user's frames", async ({ page }) => {
  await startWithOutput(page);
  const got = await run(page, "def f():\n    return {}['missing']\nf()", { filename: "app.py" });
  expect(got).toMatchObject({ ok: false, name: "PythonError", type: "KeyError" });
  expect(got.traceback).toEqual(['File "app.py", line 3, in <module>', "  f()", 'File "app.py", line 2, in f', "  return {}['missing']"]);
});

test("timeout without cross-origin isolation: the worker restarts and the error says state was lost", async ({ page }) => {
  await startWithOutput(page);
  await run(page, "kept = 42");
  const got = await run(page, "while True:\n    pass", { timeout: 500 });
  expect(got).toMatchObject({ ok: false, name: "RunInterruptedError", stage: "restart", stateLost: true });
  expect(got.message).toMatch(/state was lost/);
  expect(got.ms).toBeLessThan(2000);
  expect((await run(page, "1 + 1")).value).toBe(2);
  expect((await run(page, "kept"))).toMatchObject({ ok: false, type: "NameError" });
  const stages = await page.evaluate(() => window.events.filter((e) => e.type === "runtime.interrupted").map((e) => e.stage));
  expect(stages).toEqual(["restart"]);
});

test("timeout with cross-origin isolation: KeyboardInterrupt, and the runtime keeps its state", async ({ page }) => {
  await startWithOutput(page, ISOLATED_HARNESS);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await run(page, "kept = 42");
  const got = await run(page, "while True:\n    pass", { timeout: 500 });
  expect(got).toMatchObject({ ok: false, name: "RunInterruptedError", stage: "keyboard-interrupt", stateLost: false });
  expect(got.ms).toBeLessThan(2000);
  expect((await run(page, "1 + 1")).value).toBe(2);
  expect((await run(page, "kept")).value).toBe(42);
});

test("signal and interrupt(): an awaiting run is cancelled and the runtime keeps its state", async ({ page }) => {
  await startWithOutput(page);
  const got = await page.evaluate(async () => {
    await window.rt.runPythonAsync("kept = 1");
    const controller = new AbortController();
    const running = window.rt.runPythonAsync("import asyncio\nawait asyncio.sleep(30)", { signal: controller.signal }).catch((e) => e);
    setTimeout(() => controller.abort(), 200);
    const aborted = await running;
    const second = window.rt.runPythonAsync("import asyncio\nawait asyncio.sleep(30)").catch((e) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stage = await window.rt.interrupt();
    const interrupted = await second;
    return { aborted: [aborted.name, aborted.stage, aborted.reason], stage, interrupted: [interrupted.name, interrupted.stage], kept: await window.rt.runPythonAsync("kept") };
  });
  expect(got).toEqual({ aborted: ["RunInterruptedError", "cancel", "signal"], stage: { stage: "cancel" }, interrupted: ["RunInterruptedError", "cancel"], kept: 1 });
});

test("files: write, list and read inside the root; paths outside it are refused", async ({ page }) => {
  await startWithOutput(page, undefined, { files: { "config/app.json": '{"mode": "demo"}' } });
  const got = await page.evaluate(async () => {
    await window.rt.fs.writeFile("data/in.txt", "hello from the page");
    const fromPython = await window.rt.runPythonAsync(
      "import json\nopen('data/out.txt', 'w').write(open('data/in.txt').read().upper())\njson.load(open('config/app.json'))['mode']");
    const names = await window.rt.fs.listdir("data");
    const text = new TextDecoder().decode(await window.rt.fs.readFile("data/out.txt"));
    const errors = [];
    for (const attempt of [() => window.rt.fs.readFile("../../etc/passwd"), () => window.rt.fs.readFile("missing.txt"), () => window.rt.fs.writeFile("x", 42)]) {
      try {
        await attempt();
        errors.push("accepted");
      } catch (error) {
        errors.push(error.message);
      }
    }
    return { fromPython, names, text, errors };
  });
  expect(got.fromPython).toBe("demo");
  expect(got.names).toEqual(["in.txt", "out.txt"]);
  expect(got.text).toBe("HELLO FROM THE PAGE");
  expect(got.errors[0]).toMatch(/is outside \/home\/pyodide/);
  expect(got.errors[1]).toMatch(/"\/home\/pyodide\/missing.txt": no such file or folder/);
  expect(got.errors[2]).toMatch(/data must be a string, a Uint8Array or an ArrayBuffer/);
});

test("packages load from the bundle before user code runs; an unknown name is refused by name", async ({ page }) => {
  await startWithOutput(page, undefined, { packages: ["sortedcontainers"] });
  expect((await run(page, "from sortedcontainers import SortedList\nlist(SortedList([3, 1, 2]))")).value).toEqual([1, 2, 3]);
  const refused = await page.evaluate(async () => {
    try {
      await window.harness.createRuntime({ indexURL: "/pyodide/", packages: ["no-such-package"] });
      return "started";
    } catch (error) {
      return String(error.message);
    }
  });
  expect(refused).toMatch(/packages: "no-such-package" not in the bundle's pyodide-lock.json/);
});

test("call runs a Python function with JSON arguments; bad targets and arguments are named", async ({ page }) => {
  await startWithOutput(page);
  await run(page, "async def total(prices, tax):\n    return {'total': round(sum(prices) * (1 + tax), 2)}");
  const got = await page.evaluate(async () => {
    const ok = await window.rt.call("__main__:total", [10, 20], 0.1);
    const lib = await window.rt.call("json:dumps", { a: 1 });
    const errors = [];
    for (const attempt of [() => window.rt.call("no colon"), () => window.rt.call("__main__:missing"), () => window.rt.call("__main__:total", () => 1), () => window.rt.call("builtins:object")]) {
      try {
        await attempt();
        errors.push("accepted");
      } catch (error) {
        errors.push(`${error.name}: ${error.message}`);
      }
    }
    return { ok, lib, errors };
  });
  expect(got.ok).toEqual({ total: 33 });
  expect(got.lib).toBe('{"a": 1}');
  expect(got.errors[0]).toMatch(/TypeError: call: expected "module:function"/);
  expect(got.errors[1]).toMatch(/PythonError: CallTargetError: .*__main__ has no "missing"/);
  expect(got.errors[2]).toMatch(/TypeError: call: argument 0: a function is not JSON-compatible/);
  expect(got.errors[3]).toMatch(/PythonError: TypeError: call: "builtins:object" returned a value JSON cannot carry/);
});
