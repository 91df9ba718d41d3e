// The worker's static module graph, read from the sources as the engine resolves it: a worker
// start waits for every module in it (one request each, one level after another), and anything in
// it is code the worker realm holds. The page's own parts (its storage store on IndexedDB, the
// worker host, the snapshot reader) must not be in it.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./helpers.mjs";

const BRIDGE = path.join(repoRoot, "js_bridge");
const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.[^"]+)"|^\s*import\s+"(\.[^"]+)"/gm;

/** @param {string} entry @returns {Map<string, number>} each module reached, with its depth */
function staticGraph(entry) {
  const depth = new Map([[entry, 0]]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = /** @type {string} */ (queue.shift());
    const source = fs.readFileSync(path.join(BRIDGE, file), "utf8");
    for (const match of source.matchAll(STATIC_IMPORT)) {
      const target = path.relative(BRIDGE, path.resolve(path.dirname(path.join(BRIDGE, file)), match[1] ?? match[2]));
      if (!depth.has(target)) {
        depth.set(target, /** @type {number} */ (depth.get(file)) + 1);
        queue.push(target);
      }
    }
  }
  return depth;
}

test("the reader finds the page's own graph, storage store included", () => {
  const page = staticGraph("runtime.mjs");
  for (const module of ["worker_host.mjs", "storage/index.mjs", "storage/store.mjs", "storage/backends.mjs", "snapshot_source.mjs"]) {
    assert.ok(page.has(module), `${module} should be reached from runtime.mjs`);
  }
});

test("the worker's graph holds none of the page's parts", () => {
  const worker = staticGraph("worker.mjs");
  for (const module of ["python_setup.mjs", "revocation.mjs", "realm_allowlist.mjs", "snapshot.mjs", "storage/restore.mjs"]) {
    assert.ok(worker.has(module), `${module} should be in the worker's graph`);
  }
  const pageOnly = ["runtime.mjs", "worker_host.mjs", "snapshot_source.mjs", "storage/index.mjs", "storage/store.mjs",
    "storage/backends.mjs", "storage/flush_check.mjs", "storage/grant.mjs", "fetch_bridge.mjs", "tool_bridge.mjs"];
  assert.deepEqual(pageOnly.filter((module) => worker.has(module)), []);
  // Each level is a round of requests before the worker can start Pyodide.
  assert.ok(Math.max(...worker.values()) <= 3, `the worker's graph is ${Math.max(...worker.values())} levels deep: ${JSON.stringify([...worker])}`);
});
