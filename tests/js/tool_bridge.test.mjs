// The tool bridge on its own (no Pyodide): the grant's checks at creation, and each refusal,
// limit and abort of a call, with the handler's own view of what it was given.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createToolBridge } from "../../js_bridge/tool_bridge.mjs";
import { checkTools, toolGrantJSON } from "../../js_bridge/tool_grant.mjs";

/** A bridge over `tools`, with its record. */
function bridgeOf(tools) {
  const record = [];
  const bridge = createToolBridge({ grant: checkTools(tools), onRecord: (entry) => record.push(entry) });
  return { bridge, record };
}

let nextId = 1;
/** @param {string} tool @param {string} args */
const request = (tool, args = "{}") => ({ call_id: nextId++, tool, args });

test("names: bounded identifiers, no prototype keys, no thenable", () => {
  const fn = async () => 1;
  for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "then", "prototype", "bad-name", "1x", "", "a".repeat(65)]) {
    assert.throws(() => checkTools(Object.fromEntries([[name, fn]])), TypeError, name);
  }
  assert.throws(() => checkTools({ ok: 42 }), /tools\.ok: expected a function/);
  assert.throws(() => checkTools({ ok: { handler: fn, timeoutMs: 0 } }), /tools\.ok\.timeoutMs must be an integer from 1/);
  assert.throws(() => checkTools({ ok: { handler: fn, retries: 3 } }), /unknown setting "retries"/);
  assert.throws(() => checkTools([fn]), /tools must be an object/);
  const grant = checkTools({ search: fn, slow: { handler: fn, timeoutMs: 50 } });
  assert.deepEqual([...grant.keys()], ["search", "slow"]);
  assert.ok(Object.isFrozen(grant.get("slow")));
  assert.equal(JSON.parse(toolGrantJSON(grant)).tools.slow.timeout_ms, 50);
});

test("an ungranted name, bad JSON, a non-object or oversized arguments: refused, nothing called", async () => {
  let calls = 0;
  const { bridge, record } = bridgeOf({ echo: { handler: (args) => { calls += 1; return args; }, maxArgsBytes: 100 } });
  const cases = [
    [request("nope"), "not_granted"],
    [request("constructor"), "not_granted"],
    [request("__proto__"), "not_granted"],
    [request("echo", "{not json"), "invalid_args"],
    [request("echo", "[1, 2]"), "invalid_args"],
    [request("echo", `{"a": "${"x".repeat(200)}"}`), "args_too_large"],
    [request("echo", `{"a": "${"é".repeat(60)}"}`), "args_too_large"],
    [request("echo", `{"a": ${"[".repeat(40)}${"]".repeat(40)}}`), "invalid_args"],
    [{ call_id: -1, tool: "echo", args: "{}" }, "invalid_request"],
    [{ call_id: 7, tool: "echo", args: { a: 1 } }, "invalid_args"],
  ];
  for (const [req, reason] of cases) {
    const result = await bridge.call(req);
    assert.equal(result.ok, false);
    assert.equal(result.kind, "denied", JSON.stringify(req).slice(0, 80));
    assert.equal(result.reason, reason, JSON.stringify(req).slice(0, 80));
  }
  assert.equal(calls, 0);
  assert.ok(record.every((entry) => entry.outcome === "denied" && entry.kind === "tool"));
  assert.equal(record[2].tool, "__proto__");
  const ok = await bridge.call(request("echo", '{"q": "x"}'));
  assert.deepEqual(ok, { ok: true, value: '{"q":"x"}', bytes: 9 });
  assert.equal(calls, 1);
});

test("a result that is not JSON, or too big, fails invalid_result; a throw gives only its message", async () => {
  const { bridge } = bridgeOf({
    map: () => new Map(),
    nan: () => ({ x: NaN }),
    big: { handler: () => "x".repeat(500), maxResultBytes: 100 },
    none: () => undefined,
    boom: () => { throw new Error("db is down"); },
    text: () => Promise.reject("plain text"),
  });
  assert.equal((await bridge.call(request("map"))).code, "invalid_result");
  assert.equal((await bridge.call(request("nan"))).code, "invalid_result");
  assert.equal((await bridge.call(request("big"))).code, "invalid_result");
  assert.deepEqual(await bridge.call(request("none")), { ok: true, value: "null", bytes: 4 });
  const boom = await bridge.call(request("boom"));
  assert.deepEqual(boom, { ok: false, kind: "error", code: "tool_error", message: "db is down" });
  assert.equal((await bridge.call(request("text"))).message, "plain text");
});

test("the bounds hold at their edges: nesting and UTF-8 size, both ways, counted once", async () => {
  const nest = (depth, inner = 1) => Array.from({ length: depth }).reduce((value) => [value], inner);
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  const { bridge, record } = bridgeOf({
    echo: { handler: (args) => args, maxArgsBytes: 200 },
    deep: (args) => nest(args.depth),
    shallow: () => Array.from({ length: 100 }, () => []),
    cycle: () => cyclic,
    wide: { handler: () => "é".repeat(60), maxResultBytes: 122 },
    wider: { handler: () => "é".repeat(61), maxResultBytes: 122 },
    shifty: () => ({ get x() { throw new Error("gone"); } }),
  });
  // 32 levels of arguments pass (the object is one of them); 33 are refused unread.
  assert.equal((await bridge.call(request("echo", `{"a": ${"[".repeat(31)}${"]".repeat(31)}}`))).ok, true);
  assert.equal((await bridge.call(request("echo", `{"a": ${"[".repeat(32)}${"]".repeat(32)}}`))).reason, "invalid_args");
  // Brackets in strings and escaped quotes do not count as nesting.
  assert.equal((await bridge.call(request("echo", `{"a": "${"[".repeat(40)}\\\"[[["}`))).ok, true);
  // 200 bytes of UTF-8 pass, 201 do not, although both are fewer than 200 UTF-16 units.
  const at = `{"a": "x${"é".repeat(95)}"}`;
  assert.equal(new TextEncoder().encode(at).length, 200);
  const sent = await bridge.call(request("echo", at));
  assert.equal(sent.ok, true);
  assert.equal(record.at(-1).bytes_sent, 200);
  assert.equal((await bridge.call(request("echo", `{"a": "${"é".repeat(96)}"}`))).reason, "args_too_large");
  // Results: 32 levels pass, 33 fail with the spot named; many shallow arrays are fine.
  assert.equal((await bridge.call(request("deep", '{"depth": 32}'))).ok, true);
  const deep = await bridge.call(request("deep", '{"depth": 33}'));
  assert.equal(deep.code, "invalid_result");
  assert.match(deep.message, /result(\[0\]){32}: nested more than 32 levels/);
  assert.equal((await bridge.call(request("shallow"))).ok, true);
  assert.equal((await bridge.call(request("cycle"))).code, "invalid_result");
  const wide = await bridge.call(request("wide"));
  assert.deepEqual([wide.ok, wide.bytes], [true, 122]);
  assert.equal((await bridge.call(request("wider"))).code, "invalid_result");
  assert.equal((await bridge.call(request("shifty"))).code, "invalid_result");
});

test("the timeout answers at once and aborts the handler's signal", async () => {
  let seen = null;
  const { bridge, record } = bridgeOf({
    slow: { handler: (_args, ctx) => new Promise(() => { ctx.signal.addEventListener("abort", () => { seen = ctx.signal.reason; }); }), timeoutMs: 30 },
  });
  const started = performance.now();
  const result = await bridge.call(request("slow"));
  assert.equal(result.code, "timeout");
  assert.ok(performance.now() - started < 1000);
  assert.ok(seen, "the handler's signal fired");
  assert.equal(record[0].outcome, "failed");
  assert.equal(record[0].code, "timeout");
});

test("abort(callId) fires the signal of that call only", async () => {
  const signals = new Map();
  const { bridge } = bridgeOf({
    wait: (args, ctx) => new Promise((resolve) => { signals.set(args.n, ctx.signal); ctx.signal.addEventListener("abort", () => resolve("late")); }),
  });
  const a = request("wait", '{"n": 1}');
  const b = request("wait", '{"n": 2}');
  const first = bridge.call(a);
  const second = bridge.call(b);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(await bridge.abort(a.call_id), true);
  assert.equal((await first).code, "aborted");
  assert.equal(signals.get(1).aborted, true);
  assert.equal(signals.get(2).aborted, false);
  bridge.abortAll();
  assert.equal((await second).code, "aborted");
  assert.equal(await bridge.abort(9999), false);
});

test("a call stopped while it waits for a slot is answered at once and never runs", async () => {
  let started = 0;
  const { bridge, record } = bridgeOf({
    one: {
      handler: (_args, ctx) => {
        started += 1;
        return new Promise((resolve) => ctx.signal.addEventListener("abort", () => resolve("stopped")));
      },
      maxConcurrent: 1,
    },
  });
  const first = request("one");
  const queued = request("one");
  const running = bridge.call(first);
  const waiting = bridge.call(queued);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(started, 1);
  assert.equal(await bridge.abort(queued.call_id), true);
  assert.equal((await waiting).code, "aborted");
  assert.equal(await bridge.abort(first.call_id), true);
  assert.equal((await running).code, "aborted");
  // The first handler settled on its signal, so its slot is free again for the next call.
  const next = bridge.call(request("one"));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(started, 2);
  bridge.abortAll();
  assert.equal((await next).code, "aborted");
  assert.equal(bridge.inFlightCount(), 0);
  assert.deepEqual(record.map((entry) => entry.code), ["aborted", "aborted", "aborted"]);
});

test("a signal first read after the call stopped is already aborted, with the same reason", async () => {
  /** @type {(value?: unknown) => void} */
  let goOn = () => {};
  let late = null;
  const { bridge } = bridgeOf({
    lazy: {
      handler: async (_args, ctx) => {
        await new Promise((resolve) => { goOn = resolve; });
        late = ctx.signal; // first read, after the timeout answered the call
      },
      timeoutMs: 20,
    },
  });
  assert.equal((await bridge.call(request("lazy"))).code, "timeout");
  goOn();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(late?.aborted, true);
  assert.equal(late?.reason?.code, "timeout");
});

test("a queued call that is stopped gives its place in the queue back", async () => {
  const { bridge } = bridgeOf({
    one: { handler: (_args, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", () => resolve(null))), maxConcurrent: 1, maxQueued: 1 },
  });
  const running = bridge.call(request("one"));
  const queued = request("one");
  const waiting = bridge.call(queued);
  assert.equal((await bridge.call(request("one"))).reason, "rate_limited");
  await bridge.abort(queued.call_id);
  assert.equal((await waiting).code, "aborted");
  const again = request("one");
  const next = bridge.call(again);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(bridge.inFlightCount(), 2, "the new call took the freed place in the queue");
  bridge.abortAll();
  assert.equal((await running).code, "aborted");
  assert.equal((await next).code, "aborted");
});

test("callText answers a result as its JSON text alone, and anything else as callTool does", async () => {
  const { bridge, record } = bridgeOf({ echo: async (args) => args, boom: () => { throw new Error("no"); } });
  assert.equal(await bridge.callText(nextId++, "echo", '{"n":1}'), '{"n":1}');
  const refused = await bridge.callText(nextId++, "nope", "{}");
  assert.equal(typeof refused, "object");
  assert.equal(refused.reason, "not_granted");
  const failed = await bridge.callText(nextId++, "boom", "{}");
  assert.equal(failed.code, "tool_error");
  assert.deepEqual(record.map((entry) => entry.outcome), ["performed", "denied", "failed"]);
});

test("concurrency, queue and rate: a flood is refused rate_limited, the handler never sees more than its slots", async () => {
  let running = 0;
  let peak = 0;
  let calls = 0;
  const { bridge } = bridgeOf({
    work: {
      handler: async () => {
        calls += 1;
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return 1;
      },
      maxConcurrent: 2, maxQueued: 3, perMinute: 1000,
    },
  });
  const results = await Promise.all(Array.from({ length: 50 }, () => bridge.call(request("work"))));
  const denied = results.filter((r) => !r.ok && r.reason === "rate_limited").length;
  assert.equal(peak, 2);
  assert.equal(calls, 5);
  assert.equal(denied, 45);
  const rated = bridgeOf({ quick: { handler: () => 1, perMinute: 3 } }).bridge;
  const burst = await Promise.all(Array.from({ length: 5 }, () => rated.call(request("quick"))));
  assert.deepEqual(burst.map((r) => r.ok), [true, true, true, false, false]);
});

test("the record holds the tool's name, outcome, duration and sizes, never a value", async () => {
  const { bridge, record } = bridgeOf({ echo: (args) => ({ said: args.secret }) });
  await bridge.call(request("echo", '{"secret": "hunter2-arg"}'));
  assert.equal(record.length, 1);
  const [entry] = record;
  assert.deepEqual(Object.keys(entry).sort(), ["bytes_received", "bytes_sent", "call_id", "duration_ms", "kind", "outcome", "tool"]);
  assert.equal(entry.bytes_sent, 25);
  assert.equal(entry.bytes_received, 22);
  assert.ok(!JSON.stringify(record).includes("hunter2"));
});

test("the worker's tool messages: only a call id, a name and JSON text get through", async () => {
  const { readWorkerMessage, MESSAGE_LIMITS } = await import("../../js_bridge/protocol.mjs");
  const good = readWorkerMessage({ type: "tool", id: 3, call: { call_id: 9, tool: "echo", args: "{}", extra: "ignored" } });
  assert.deepEqual(good, { message: { type: "tool", id: 3, call: { call_id: 9, tool: "echo", args: "{}" } } });
  for (const call of [
    { call_id: 9, tool: "echo", args: { a: 1 } },
    { call_id: 9, tool: "echo", args: new Map() },
    { call_id: -1, tool: "echo", args: "{}" },
    { call_id: 9, tool: "x".repeat(65), args: "{}" },
    { call_id: 9, tool: "echo", args: "x".repeat(MESSAGE_LIMITS.toolArgsChars + 1) },
    null,
  ]) {
    assert.deepEqual(readWorkerMessage({ type: "tool", id: 3, call }), { dropped: "bad_tool" });
  }
  assert.deepEqual(readWorkerMessage({ type: "tool-abort", id: 4, callId: 9 }), { message: { type: "tool-abort", id: 4, callId: 9 } });
  assert.deepEqual(readWorkerMessage({ type: "tool-abort", id: 4, callId: "9" }), { dropped: "bad_tool_abort" });
  assert.deepEqual(readWorkerMessage({ type: "fatal", anything: 1 }), { message: { type: "fatal" } });
});
