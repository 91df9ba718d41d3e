// The console host: severity routing with the prefix, sink isolation, rate limiting, sanitizing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEventHost, createLimiter, PREFIX, sanitize } from "../../js_bridge/console_host.mjs";

function recordingConsole() {
  const calls = [];
  const make = (level) => (...args) => calls.push([level, ...args]);
  return { calls, console: { debug: make("debug"), info: make("info"), warn: make("warn"), error: make("error") } };
}

test("events go to the console method of their severity, with the prefix, then to the sink", () => {
  const { calls, console } = recordingConsole();
  const seen = [];
  const host = createEventHost({ sink: (e) => seen.push(e), console });
  host.deliverWorkerEvent({ type: "fetch.decision", severity: "warn", reason: "origin_denied" });
  host.deliverWorkerEvent({ type: "obligation.leak", severity: "error" });
  host.deliverWorkerEvent({ type: "authority.loaded", severity: "bogus" });
  assert.deepEqual(calls.map(([level, prefix, event]) => [level, prefix, event.type]), [
    ["warn", PREFIX, "fetch.decision"],
    ["error", PREFIX, "obligation.leak"],
    ["info", PREFIX, "authority.loaded"],
  ]);
  assert.equal(seen.length, 3);
  assert.equal(host.recent().length, 3);
});

test("a sink or console that throws never breaks delivery", () => {
  const host = createEventHost({
    sink: () => {
      throw new Error("sink failed");
    },
    console: { debug() {}, info() { throw new Error("console failed"); }, warn() {}, error() {} },
  });
  assert.doesNotThrow(() => host.deliverWorkerEvent({ type: "x", severity: "info" }));
  assert.equal(host.recent().length, 1);
});

test("a flood is cut per key and summarized once the window ends", () => {
  const limiter = createLimiter(2, 1000);
  const verdicts = [0, 1, 2, 3, 4].map((i) => limiter.admit("deny|x", 10 + i));
  assert.deepEqual(verdicts.map((v) => v.admitted), [true, true, false, false, false]);
  assert.equal(limiter.admit("other", 20).admitted, true);
  const next = limiter.admit("deny|x", 2000);
  assert.deepEqual(next, { admitted: true, summary: { "deny|x": 3 } });
});

test("worker events are copied as bounded plain data", () => {
  const event = sanitize({ type: "t", severity: "info", text: "x".repeat(10_000), fn: () => 1, nested: { a: { b: { c: { d: { e: 1 } } } } } });
  assert.equal(event.text.length, 515);
  assert.equal(event.fn, null);
  assert.equal(event.nested.a.b.c.d, null);
  assert.ok(Object.isFrozen(event));
  assert.deepEqual(sanitize("nope"), { type: "diagnostics.malformed", severity: "warn" });
});
