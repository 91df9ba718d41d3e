// What the page does with what the worker posts, and how it decides the worker's policy holds:
// the protocol reader, the stamping of event origins, the bridge's own record and its request
// limiter, and the CSP text check. The browser-level proof is e2e/security.spec.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readWorkerMessage } from "../../js_bridge/protocol.mjs";
import { createEventHost } from "../../js_bridge/console_host.mjs";
import { createRequestLimiter } from "../../js_bridge/request_limiter.mjs";
import { isolationProblems, parsePolicies } from "../../js_bridge/worker_policy.mjs";
import { createFetchBridge, FetchAuthority } from "../../js_bridge/index.mjs";

const API = "https://api.example.com";
const request = (id, more = {}) => ({
  request_id: id, method: "GET", url: `${API}/x`, origin: API, headers: [], credentials: "omit", timeout_ms: 1000, ...more,
});
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

test("the protocol reader keeps only well-formed messages of known types", () => {
  assert.deepEqual(readWorkerMessage({ type: "bogus" }), { dropped: "unknown_type" });
  assert.deepEqual(readWorkerMessage("text"), { dropped: "not_an_object" });
  assert.deepEqual(readWorkerMessage(null), { dropped: "not_an_object" });
  assert.deepEqual(readWorkerMessage({ type: "progress", stage: "x", fraction: 2 }), { dropped: "bad_progress" });
  assert.deepEqual(readWorkerMessage({ type: "event", event: 5 }), { dropped: "bad_event" });
  assert.deepEqual(readWorkerMessage({ type: "fetch", id: 1, request: request(1), body: "text" }), { dropped: "bad_fetch" });
  assert.deepEqual(readWorkerMessage({ type: "fetch", id: 1, request: request(1, { headers: [["a"]] }) }), { dropped: "bad_fetch" });
  assert.deepEqual(readWorkerMessage({ type: "fetch", id: -1, request: request(1) }), { dropped: "bad_fetch" });
  assert.deepEqual(readWorkerMessage({ type: "run-result", id: 1, ok: false, name: "x".repeat(65), message: "m" }), { dropped: "bad_run_result" });
  const read = readWorkerMessage({ type: "fetch", id: 3, request: { ...request(7), mode: "no-cors", extra: 1 }, body: null });
  assert.ok("message" in read);
  assert.deepEqual(Object.keys(read.message.request).sort(), ["credentials", "headers", "method", "origin", "request_id", "timeout_ms", "url"]);
});

test("events from the worker are stamped as the worker's, whatever they claim", () => {
  const seen = [];
  const host = createEventHost({ sink: (e) => seen.push(e), console: quiet });
  host.deliverWorkerEvent({ type: "bridge.request", source: "bridge", severity: "info", outcome: "performed", seq: 1 });
  host.deliverPythonEvent({ type: "fetch.decision", source: "page", severity: "info" });
  host.deliverRecord({ request_id: 1, origin: API, method: "GET", outcome: "performed", status: 200 });
  assert.deepEqual(seen.map((e) => e.source), ["worker", "python", "bridge"]);
  assert.equal(seen[2].type, "bridge.request");
  assert.equal(host.record().totals.performed, 1);
  assert.equal(host.record().entries.length, 1, "only the bridge's own entry is in the record");
});

test("a worker flood with ever-new event keys is cut by the shared cap", () => {
  const seen = [];
  const host = createEventHost({ sink: (e) => seen.push(e), console: quiet, limit: { perKey: 50, windowMs: 60_000, untrustedPerWindow: 20 } });
  for (let i = 0; i < 500; i++) host.deliverWorkerEvent({ type: `t${i}`, severity: "info" });
  host.deliverRecord({ request_id: 1, origin: API, method: "GET", outcome: "denied", reason: "rate_limited" });
  assert.equal(seen.filter((e) => e.source === "worker").length, 20);
  assert.equal(seen.filter((e) => e.source === "bridge").length, 1, "the worker's flood does not starve the bridge's record");
});

test("the limiter admits up to the slots, queues up to the queue, refuses the rest at once", async () => {
  let clock = 0;
  const limiter = createRequestLimiter({ maxConcurrent: 2, maxQueued: 1, perMinute: 100 }, () => clock);
  const a = limiter.admit();
  const b = limiter.admit();
  const c = limiter.admit();
  const d = limiter.admit();
  assert.ok("slot" in a && "slot" in b && "slot" in c);
  assert.match(d.denied, /^max_queued_requests: 1 /);
  assert.deepEqual(limiter.load(), { active: 2, waiting: 1 });
  const releaseA = await a.slot;
  releaseA();
  releaseA();
  const releaseC = await c.slot;
  assert.equal(typeof releaseC, "function");
  assert.deepEqual(limiter.load(), { active: 2, waiting: 0 }, "a double release frees one slot only");
});

test("the limiter's token bucket empties and refills with the clock", () => {
  let clock = 0;
  const limiter = createRequestLimiter({ maxConcurrent: 64, maxQueued: 0, perMinute: 3 }, () => clock);
  const admitted = [1, 2, 3, 4].map(() => limiter.admit());
  assert.match(admitted[3].denied, /^max_requests_per_minute: more than 3 /);
  clock += 20_000;
  assert.ok("slot" in limiter.admit(), "one token back after a third of a minute");
  assert.ok("denied" in limiter.admit());
});

test("a queued request whose signal aborts gives up its place", async () => {
  const limiter = createRequestLimiter({ maxConcurrent: 1, maxQueued: 1, perMinute: 100 });
  const first = limiter.admit();
  const controller = new AbortController();
  const queued = limiter.admit(controller.signal);
  controller.abort();
  assert.equal(await queued.slot, null);
  assert.deepEqual(limiter.load(), { active: 1, waiting: 0 });
  (await first.slot)();
  assert.deepEqual(limiter.load(), { active: 0, waiting: 0 });
});

test("the bridge refuses past its limits with rate_limited and records every request", async () => {
  const authority = FetchAuthority.fromJSON({ origins: [API], max_concurrent_requests: 2, max_queued_requests: 1 });
  let active = 0;
  let peak = 0;
  const records = [];
  const fetchImpl = async () => {
    active += 1;
    peak = Math.max(peak, active);
    await new Promise((resolve) => setTimeout(resolve, 20));
    active -= 1;
    return new Response("ok");
  };
  const bridge = createFetchBridge({ authority, fetchImpl, onRecord: (entry) => records.push(entry) });
  const results = await Promise.all([1, 2, 3, 4, 5].map((id) => bridge.perform(request(id), null)));
  assert.equal(peak, 2);
  assert.deepEqual(results.map((r) => (r.ok ? "ok" : r.reason)), ["ok", "ok", "ok", "rate_limited", "rate_limited"]);
  assert.deepEqual(records.map((r) => r.outcome).sort(), ["denied", "denied", "performed", "performed", "performed"]);
  for (const entry of records) {
    assert.deepEqual(Object.keys(entry).sort().filter((k) => !["status", "reason", "code"].includes(k)),
      ["bytes_received", "bytes_sent", "duration_ms", "method", "origin", "outcome", "request_id"]);
    assert.ok(!JSON.stringify(entry).includes("/x"), "no path in the record");
  }
});

test("the CSP text check accepts the worker header and the page meta, and names what is open", () => {
  const context = { selfOrigin: "http://127.0.0.1:8000", granted: [API] };
  const header = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'";
  const meta = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${API}; worker-src 'self' blob:; img-src 'self' data:`;
  assert.deepEqual(isolationProblems(parsePolicies(header), context), []);
  assert.deepEqual(isolationProblems(parsePolicies(meta), context), []);
  assert.deepEqual(isolationProblems([], context), ["no Content-Security-Policy applies to the worker"]);
  const evalAllowed = isolationProblems(parsePolicies("default-src 'self' 'unsafe-eval'"), context);
  assert.match(evalAllowed[0], /string evaluation is allowed/);
  const foreignScript = isolationProblems(parsePolicies("default-src 'none'; script-src 'self' https://cdn.example"), context);
  assert.deepEqual(foreignScript, [
    "scripts can reach other origins: script-src allows https://cdn.example",
    "workers can reach other origins: script-src allows https://cdn.example",
  ], "worker-src falls back to script-src");
  const elemOverride = isolationProblems(parsePolicies("default-src 'none'; script-src 'self'; script-src-elem *"), context);
  assert.match(elemOverride.join(), /script-src-elem allows \*/);
  const fontsOpen = isolationProblems(parsePolicies("default-src 'none'; script-src 'self'; font-src https:"), context);
  assert.deepEqual(fontsOpen, ["fonts can reach other origins: font-src allows https:"]);
  const connectOther = isolationProblems(parsePolicies("default-src 'none'; script-src 'self'; connect-src https://evil.test"), context);
  assert.match(connectOther.join(), /connections can reach other origins: connect-src allows https:\/\/evil.test/);
  // Two policies are both enforced: the second one closes what the first leaves open.
  assert.deepEqual(isolationProblems(parsePolicies(`img-src *, ${header}`), context), []);
  // Only directives, not their first-occurrence duplicates, count.
  assert.deepEqual(isolationProblems(parsePolicies(`${header}; script-src *`), context), []);
});
