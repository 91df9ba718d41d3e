// The worker's storage-flush message as the page reads it (js_bridge/protocol.mjs): only an id
// is required, so every flush gets an answer; lists that are missing or too long reach the
// store's check as null, which refuses them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MESSAGE_LIMITS, WorkerMessage, readWorkerMessage } from "../../js_bridge/protocol.mjs";
import { checkFlush } from "../../js_bridge/storage/flush_check.mjs";
import { checkStorageGrant } from "../../js_bridge/storage/grant.mjs";

const GRANT = checkStorageGrant({ namespace: "t" });

test("a well-formed flush is read with fresh lists", () => {
  const writes = [["a.txt", new Uint8Array(3), 0]];
  const read = readWorkerMessage({ type: WorkerMessage.STORAGE_FLUSH, id: 4, writes, keep: [] });
  assert.ok("message" in read);
  assert.equal(read.message.id, 4);
  assert.notEqual(read.message.writes, writes);
  assert.equal(checkFlush(read.message, GRANT, new Map()).ok, true);
});

test("a flush without an id is dropped and counted", () => {
  assert.deepEqual(readWorkerMessage({ type: WorkerMessage.STORAGE_FLUSH, writes: [], keep: [] }), { dropped: "bad_storage_flush" });
  assert.deepEqual(readWorkerMessage({ type: WorkerMessage.STORAGE_FLUSH, id: -1, writes: [], keep: [] }), { dropped: "bad_storage_flush" });
});

test("missing, wrong or oversized lists reach the check as null and are refused", () => {
  const cases = [{}, { writes: "x", keep: [] }, { writes: [], keep: new Array(MESSAGE_LIMITS.storageEntries + 1).fill("a") }];
  for (const fields of cases) {
    const read = readWorkerMessage({ type: WorkerMessage.STORAGE_FLUSH, id: 1, ...fields });
    assert.ok("message" in read);
    const plan = checkFlush(read.message, GRANT, new Map());
    assert.equal(plan.ok, false);
    assert.equal(plan.limit, "malformed");
  }
});
