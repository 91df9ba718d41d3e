// The shared StorageAuthority vectors (tests/vectors/storage_authority.json): the page's grant
// check and path rules must give exactly what each case expects, as Python's do
// (tests/test_storage_vectors.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./helpers.mjs";
import { StorageGrantError, checkStorageGrant } from "../../js_bridge/storage/grant.mjs";
import { pathProblem } from "../../js_bridge/storage/paths.mjs";

const VECTORS = JSON.parse(fs.readFileSync(path.join(repoRoot, "tests", "vectors", "storage_authority.json"), "utf8"));

test("the vector file has the expected schema and cases", () => {
  assert.equal(VECTORS.schema, "browser-rt-storage-vectors-v1");
  assert.ok(VECTORS.paths.length >= 40);
  assert.ok(VECTORS.grants.length >= 30);
});

for (const [index, { path: stored, reason }] of VECTORS.paths.entries()) {
  test(`path ${index}: ${JSON.stringify(stored).slice(0, 40)} -> ${reason}`, () => {
    assert.equal(pathProblem(stored), reason);
  });
}

for (const { name, grant, expect } of VECTORS.grants) {
  test(`grant: ${name}`, () => {
    if ("canonical" in expect) {
      const checked = checkStorageGrant(grant);
      assert.deepEqual({ ...checked }, expect.canonical);
      assert.ok(Object.isFrozen(checked));
      return;
    }
    assert.throws(() => checkStorageGrant(grant), (error) => {
      assert.ok(error instanceof StorageGrantError);
      assert.equal(error.field, expect.error_field);
      assert.ok(error.message.startsWith(`storageAuthority.${expect.error_field}: `), error.message);
      return true;
    });
  });
}
