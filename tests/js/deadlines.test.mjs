// One timer for many deadlines: each fires once, at or after its time, unless cancelled; a
// stream of quick operations does not start a timer each.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createDeadlines } from "../../js_bridge/deadlines.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("deadlines fire in time order; a cancelled one never fires", async () => {
  const deadlines = createDeadlines();
  const fired = [];
  const started = performance.now();
  deadlines.after(60, () => fired.push(["b", performance.now() - started]));
  const cancel = deadlines.after(30, () => fired.push(["cancelled"]));
  deadlines.after(20, () => fired.push(["a", performance.now() - started]));
  cancel();
  await sleep(120);
  assert.deepEqual(fired.map(([name]) => name), ["a", "b"]);
  assert.ok(fired[0][1] >= 19 && fired[1][1] >= 59, JSON.stringify(fired));
  assert.equal(deadlines.size(), 0);
});

test("a stream of quick operations arms the timer about once", async () => {
  const real = globalThis.setTimeout;
  let armed = 0;
  globalThis.setTimeout = (...args) => {
    armed += 1;
    return real(...args);
  };
  try {
    const deadlines = createDeadlines();
    for (let i = 0; i < 1000; i += 1) {
      const cancel = deadlines.after(10_000, () => assert.fail("a finished operation fired"));
      await Promise.resolve();
      cancel();
    }
    assert.ok(armed <= 2, `armed ${armed} timers`);
  } finally {
    globalThis.setTimeout = real;
  }
});
