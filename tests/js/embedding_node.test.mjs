// The embedding API in Node, page mode (the only mode Node has): output, run options, errors,
// calls, files and packages, with a bad input for each. Worker mode is e2e/embedding.spec.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bundleDir } from "./helpers.mjs";

const { createRuntime, PythonError, RunInterruptedError } = await import(`${bundleDir()}/js_bridge/index.mjs`);
const lines = [];
const rt = await createRuntime({
  indexURL: `${bundleDir()}/pyodide/`,
  isolation: "page",
  stdout: (line) => lines.push(["out", line]),
  stderr: (line) => lines.push(["err", line]),
  packages: ["sortedcontainers"],
  files: { "seed/hello.txt": "from the page" },
});
test.after(() => rt.close());

test("output reaches the callbacks line by line, and globals are bound for one run", async () => {
  lines.length = 0;
  const value = await rt.runPythonAsync("import sys\nprint('one')\nprint('two', file=sys.stderr)\na + b", { globals: { a: 1, b: 41 } });
  assert.equal(value, 42);
  assert.deepEqual(lines, [["out", "one"], ["err", "two"]]);
  assert.equal(await rt.runPythonAsync("'a' in globals()"), false);
  await assert.rejects(rt.runPythonAsync("1", { globals: { "a-b": 1 } }), /"a-b" is not a Python identifier/);
  await assert.rejects(rt.runPythonAsync("1", { timeout: -1 }), /timeout must be a positive number/);
  await assert.rejects(rt.runPythonAsync("1", { colour: 1 }), /unknown option "colour"/);
});

test("a Python exception is a PythonError with the user's own frames", async () => {
  const error = await rt.runPythonAsync("def f():\n    1/0\nf()", { filename: "app.py" }).catch((e) => e);
  assert.ok(error instanceof PythonError);
  assert.equal(error.type, "ZeroDivisionError");
  assert.deepEqual(error.traceback, ['File "app.py", line 3, in <module>', "  f()", 'File "app.py", line 2, in f', "  1/0"]);
});

test("a timeout cancels an awaiting run and the runtime keeps its state", async () => {
  await rt.runPythonAsync("kept = 7");
  const started = Date.now();
  const error = await rt.runPythonAsync("import asyncio\nawait asyncio.sleep(30)", { timeout: 200 }).catch((e) => e);
  assert.ok(error instanceof RunInterruptedError, String(error));
  assert.deepEqual([error.reason, error.stage, error.stateLost], ["timeout", "cancel", false]);
  assert.ok(Date.now() - started < 2000);
  assert.equal(await rt.runPythonAsync("kept"), 7);
});

test("call runs a Python function with JSON in and out; bad targets are named", async () => {
  await rt.runPythonAsync("def add(a, b):\n    return {'sum': a + b}");
  assert.deepEqual(await rt.call("__main__:add", 2, 3), { sum: 5 });
  await assert.rejects(rt.call("add"), /expected "module:function"/);
  await assert.rejects(rt.call("__main__:add", 1, 2n), /argument 1: a bigint is not JSON-compatible/);
  await assert.rejects(rt.call("no_such_module:f"), /cannot import no_such_module/);
});

test("files and packages: preloaded, written, read and listed inside the root only", async () => {
  assert.equal(await rt.runPythonAsync("open('seed/hello.txt').read()"), "from the page");
  await rt.fs.writeFile("out/a.txt", "abc");
  assert.deepEqual(await rt.fs.listdir("out"), ["a.txt"]);
  assert.equal(new TextDecoder().decode(await rt.fs.readFile("/home/pyodide/out/a.txt")), "abc");
  await assert.rejects(rt.fs.readFile("/etc/passwd"), /outside \/home\/pyodide/);
  await assert.rejects(rt.fs.readFile("missing"), /no such file or folder/);
  assert.deepEqual(await rt.runPythonAsync("from sortedcontainers import SortedList\nlist(SortedList([2, 1]))"), [1, 2]);
  await assert.rejects(createRuntime({ indexURL: `${bundleDir()}/pyodide/`, isolation: "page", packages: ["nope-pkg"] }), /"nope-pkg" not in the bundle's pyodide-lock.json/);
  await assert.rejects(createRuntime({ isolation: "page", files: { "../x": "y" } }), /outside \/home\/pyodide/);
});
