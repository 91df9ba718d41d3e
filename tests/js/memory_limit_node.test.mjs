// memoryLimitMB in Node, page mode: the cap holds for Pyodide's heap (MemoryError below it), an
// out-of-range value is refused, and WebAssembly's own functions are put back after the boot.
// The browsers are e2e/memory-limit.spec.js and e2e/limits.spec.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bundleDir } from "./helpers.mjs";

const { createRuntime } = await import(`${bundleDir()}/js_bridge/index.mjs`);
const { checkMemoryLimit } = await import(`${bundleDir()}/js_bridge/memory_limit.mjs`);

test("memoryLimitMB: bounds, and Python gets MemoryError below the cap", async () => {
  assert.equal(checkMemoryLimit(undefined), null);
  assert.equal(checkMemoryLimit(64), 64 << 20);
  for (const bad of [63, 4096, 100.5, "128", null]) assert.throws(() => checkMemoryLimit(bad), /memoryLimitMB must be an integer from 64 to 4095/);
  const { instantiate, instantiateStreaming } = WebAssembly;
  const rt = await createRuntime({ indexURL: `${bundleDir()}/pyodide/`, isolation: "page", memoryLimitMB: 128 });
  try {
    assert.equal(WebAssembly.instantiate, instantiate);
    assert.equal(WebAssembly.instantiateStreaming, instantiateStreaming);
    const held = await rt.runPythonAsync(`
def hog():
    chunks = []
    try:
        while True:
            chunks.append(bytearray(1 << 20))
    except MemoryError:
        return len(chunks)
hog()`);
    assert.ok(held > 8 && held < 128, `held ${held} MiB`);
    assert.equal(await rt.runPythonAsync("try:\n    bytearray(200 << 20)\nexcept MemoryError:\n    r = 'MemoryError'\nr"), "MemoryError");
    assert.equal(await rt.runPythonAsync("len(bytearray(16 << 20))"), 16 << 20);
  } finally {
    await rt.close();
  }
});
