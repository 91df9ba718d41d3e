// The page's check of a flush request (js_bridge/storage/flush_check.mjs): whatever the worker
// sends, the answer is a plan or a refusal naming the broken rule, never an exception.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkFlush } from "../../js_bridge/storage/flush_check.mjs";
import { checkStorageGrant } from "../../js_bridge/storage/grant.mjs";

const GRANT = checkStorageGrant({ namespace: "t", quota_bytes: 100, max_file_bytes: 60, max_files: 3 });
const CURRENT = new Map([["kept.txt", { size: 10 }]]);
const bytes = (n) => new Uint8Array(n);

test("a good flush is planned: written plus kept files, their bytes", () => {
  const plan = checkFlush({ writes: [["a/b.txt", bytes(5), 1]], keep: ["kept.txt"] }, GRANT, CURRENT);
  assert.equal(plan.ok, true);
  assert.equal(plan.files, 2);
  assert.equal(plan.bytes, 15);
});

const REFUSALS = [
  ["not an object", null, "malformed", "not_lists"],
  ["writes not a list", { writes: "x", keep: [] }, "malformed", "not_lists"],
  ["entry not a triple", { writes: [["a", bytes(1)]], keep: [] }, "malformed", "bad_entry"],
  ["content not bytes", { writes: [["a", "text", 0]], keep: [] }, "malformed", "bad_bytes"],
  ["content a plain array", { writes: [["a", [1, 2], 0]], keep: [] }, "malformed", "bad_bytes"],
  ["mtime not a number", { writes: [["a", bytes(1), "now"]], keep: [] }, "malformed", "bad_mtime"],
  ["path not text", { writes: [[7, bytes(1), 0]], keep: [] }, "path", "not_text"],
  ["parent segment", { writes: [["../x", bytes(1), 0]], keep: [] }, "path", "dot_segment"],
  ["absolute", { writes: [["/x", bytes(1), 0]], keep: [] }, "path", "absolute"],
  ["duplicate write", { writes: [["a", bytes(1), 0], ["a", bytes(1), 0]], keep: [] }, "path", "duplicate"],
  ["write and keep the same", { writes: [["kept.txt", bytes(1), 0]], keep: ["kept.txt"] }, "path", "duplicate"],
  ["keep an unknown file", { writes: [], keep: ["nope"] }, "malformed", "unknown_file"],
  ["keep a bad path", { writes: [], keep: [".."] }, "path", "dot_segment"],
  ["file and folder", { writes: [["a", bytes(1), 0], ["a/b", bytes(1), 0]], keep: [] }, "path", "file_and_folder"],
  ["file too large", { writes: [["a", bytes(61), 0]], keep: [] }, "max_file_bytes", "file_too_large"],
  ["over the quota", { writes: [["a", bytes(60), 0], ["b", bytes(31), 0]], keep: ["kept.txt"] }, "quota_bytes", "quota_exceeded"],
  ["too many files", { writes: [["a", bytes(1), 0], ["b", bytes(1), 0], ["c", bytes(1), 0]], keep: ["kept.txt"] }, "max_files", "too_many_files"],
];

for (const [name, request, limit, reason] of REFUSALS) {
  test(`refused whole: ${name}`, () => {
    const plan = checkFlush(request, GRANT, CURRENT);
    assert.equal(plan.ok, false);
    assert.equal(plan.limit, limit);
    assert.equal(plan.reason, reason);
    assert.equal(typeof plan.detail, "string");
    assert.ok(!plan.detail.includes("../x"), "a refusal's detail names a position, not the path");
  });
}

test("a read-only grant refuses a write and a removal, and allows keeping everything", () => {
  const readOnly = checkStorageGrant({ namespace: "t", read_only: true });
  assert.equal(checkFlush({ writes: [["a", bytes(1), 0]], keep: ["kept.txt"] }, readOnly, CURRENT).limit, "read_only");
  assert.equal(checkFlush({ writes: [], keep: [] }, readOnly, CURRENT).limit, "read_only");
  assert.equal(checkFlush({ writes: [], keep: ["kept.txt"] }, readOnly, CURRENT).ok, true);
});
