// createRuntime's storageAuthority before anything boots: a bad grant names its field, and an
// engine without Web Locks (Node here) is refused a grant rather than given one unguarded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { StorageGrantError, createRuntime } from "../../js_bridge/index.mjs";

test("a bad grant is a StorageGrantError naming the field", async () => {
  await assert.rejects(createRuntime({ isolation: "page", storageAuthority: { namespace: "../up" } }), (error) => {
    assert.ok(error instanceof StorageGrantError);
    assert.equal(error.field, "namespace");
    return true;
  });
  await assert.rejects(createRuntime({ isolation: "page", storageAuthority: { namespace: "n", quota: 5 } }), /storageAuthority\.quota: unknown key/);
});

test("without Web Locks the grant is refused, not used unguarded", { skip: Boolean(globalThis.navigator?.locks) }, async () => {
  await assert.rejects(createRuntime({ isolation: "page", storageAuthority: { namespace: "n" } }), /no Web Locks/);
});
