// The blocking answer (js_bridge/blocking_reply.mjs): what the page writes into the worker's
// SharedArrayBuffer, read back across a real thread that waits with Atomics.wait.
import assert from "node:assert/strict";
import test from "node:test";
import { Worker } from "node:worker_threads";
import { REPLY_HEADER_BYTES, isReplyBuffer, replyCapacity, waitForBlockingReply, writeBlockingReply } from "../../js_bridge/blocking_reply.mjs";
import { readWorkerMessage } from "../../js_bridge/protocol.mjs";

const OK = {
  ok: true, status: 200, statusText: "OK", url: "https://api.example.com/items", redirected: false,
  headers: [["content-type", "application/json"]], body: new TextEncoder().encode('[1,"é"]'),
};

test("an answer written by the page is read back whole, body and all", () => {
  const shared = new SharedArrayBuffer(replyCapacity(1024));
  writeBlockingReply(shared, OK);
  const got = waitForBlockingReply(shared, 1000);
  assert.deepEqual({ ...got, body: new TextDecoder().decode(got.body) }, { ...OK, body: '[1,"é"]' });
});

test("a denial and an error carry no body and keep their fields", () => {
  for (const result of [
    { ok: false, kind: "denied", reason: "origin_denied", origin: "https://other.example" },
    { ok: false, kind: "error", code: "timeout", message: "no answer" },
  ]) {
    const shared = new SharedArrayBuffer(replyCapacity(0));
    writeBlockingReply(shared, result);
    assert.deepEqual(waitForBlockingReply(shared, 1000), result);
  }
});

test("an answer larger than the worker's buffer becomes a bridge_error that fits", () => {
  const shared = new SharedArrayBuffer(REPLY_HEADER_BYTES + 512);
  writeBlockingReply(shared, { ...OK, body: new Uint8Array(4096) });
  const got = waitForBlockingReply(shared, 1000);
  assert.equal(got.ok, false);
  assert.equal(got.code, "bridge_error");
  assert.match(got.message, /does not fit the worker's reply buffer of 528 bytes/);
});

test("a buffer too small even for that is marked answered and read as a bridge error", () => {
  const shared = new SharedArrayBuffer(REPLY_HEADER_BYTES + 8);
  writeBlockingReply(shared, OK);
  assert.equal(waitForBlockingReply(shared, 1000).code, "bridge_error");
});

test("no answer within the wait is a timeout, not a hang", () => {
  const started = performance.now();
  const got = waitForBlockingReply(new SharedArrayBuffer(replyCapacity(0)), 50);
  assert.deepEqual([got.ok, got.code], [false, "timeout"]);
  assert.ok(performance.now() - started < 2000);
});

test("a thread blocked in Atomics.wait wakes when another thread writes the answer", async () => {
  const shared = new SharedArrayBuffer(replyCapacity(1024));
  const writer = new Worker(
    `const { workerData } = require("node:worker_threads");
     import(workerData.module).then(({ writeBlockingReply }) => setTimeout(() => writeBlockingReply(workerData.shared, workerData.result), 100));`,
    { eval: true, workerData: { shared, module: new URL("../../js_bridge/blocking_reply.mjs", import.meta.url).href, result: OK } },
  );
  const got = waitForBlockingReply(shared, 10_000); // blocks this thread until the writer is done
  await writer.terminate();
  assert.equal(got.status, 200);
  assert.equal(new TextDecoder().decode(got.body), '[1,"é"]');
});

test("the page accepts a blocking fetch only with a SharedArrayBuffer it can answer into", () => {
  const request = { request_id: 1, method: "GET", url: "https://api.example.com/x", origin: "https://api.example.com", headers: [], credentials: "omit", timeout_ms: 1000 };
  const fetchMessage = (reply) => readWorkerMessage({ type: "fetch", id: 1, request, body: null, reply });
  assert.ok(isReplyBuffer(new SharedArrayBuffer(replyCapacity(0))));
  assert.equal(fetchMessage(new SharedArrayBuffer(replyCapacity(0))).message?.reply instanceof SharedArrayBuffer, true);
  assert.equal(readWorkerMessage({ type: "fetch", id: 1, request, body: null }).message?.reply, null);
  for (const bad of [new ArrayBuffer(1024), new SharedArrayBuffer(8), 5, "buffer", { byteLength: 99999 }, null]) {
    assert.deepEqual(fetchMessage(bad), { dropped: "bad_fetch" }, String(bad));
  }
});
