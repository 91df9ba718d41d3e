// The shared conformance vectors (tests/vectors/fetch_policy.json): the JS FetchAuthority must
// give exactly the decision each case expects. A case's `js_expect`, when present, is what the
// JS side must give instead of `expect` (a host that WHATWG accepts and Python refuses).
// And tests/vectors/policy_errors.json: the exact PolicyError message of each policy that
// cannot be loaded or narrowed, the same as Python's (tests/test_policy_vectors.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./helpers.mjs";
import { FetchAuthority, PolicyError } from "../../js_bridge/policy.mjs";

const VECTORS_PATH = path.join(repoRoot, "tests", "vectors", "fetch_policy.json");
const SCHEMA = "browser-rt-fetch-policy-vectors-v1";

/** @returns {{ cases: any[] } | { error: string }} */
function loadVectors() {
  let text;
  try {
    text = fs.readFileSync(VECTORS_PATH, "utf8");
  } catch (error) {
    return { error: `cannot read ${VECTORS_PATH}: ${/** @type {Error} */ (error).message}` };
  }
  let document;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { error: `${VECTORS_PATH} is not valid JSON: ${/** @type {Error} */ (error).message}` };
  }
  if (document === null || typeof document !== "object" || document.schema !== SCHEMA) {
    return { error: `${VECTORS_PATH}: expected an object with schema ${JSON.stringify(SCHEMA)}` };
  }
  if (!Array.isArray(document.cases) || document.cases.length === 0) {
    return { error: `${VECTORS_PATH}: "cases" must be a non-empty list` };
  }
  return { cases: document.cases };
}

/** A vector's request as the JS side receives it: `{bytes_len: N}` bodies become N zero bytes. */
function requestFromVector(request) {
  const body = request.body;
  if (body !== null && typeof body === "object") {
    assert.ok(Number.isSafeInteger(body.bytes_len) && body.bytes_len >= 0, "body.bytes_len must be a size");
    return { ...request, body: new Uint8Array(body.bytes_len) };
  }
  return { ...request };
}

const loaded = loadVectors();

if ("error" in loaded) {
  test("the conformance vector file loads", () => {
    assert.fail(loaded.error);
  });
} else {
  const { cases } = loaded;

  test("vector cases are well-formed and uniquely named", () => {
    const names = new Set();
    for (const [index, item] of cases.entries()) {
      assert.equal(typeof item.name, "string", `cases[${index}] has no name`);
      assert.ok(!names.has(item.name), `duplicate case name ${JSON.stringify(item.name)}`);
      names.add(item.name);
      for (const key of ["authority", "request", "expect"]) {
        assert.ok(item[key] !== null && typeof item[key] === "object", `${item.name}: missing ${key}`);
      }
    }
  });

  test("every request limit is set by some vector", () => {
    const keys = ["max_concurrent_requests", "max_queued_requests", "max_requests_per_minute"];
    const setting = cases.filter((item) => keys.every((key) => Object.hasOwn(item.authority, key)));
    assert.ok(setting.length >= 5, `only ${setting.length} vectors set ${keys.join(", ")}`);
    for (const item of setting) {
      const authority = FetchAuthority.fromJSON(item.authority);
      for (const key of keys) assert.equal(authority[key], item.authority[key], `${item.name}: ${key}`);
    }
  });

  for (const item of cases) {
    test(String(item.name), () => {
      const authority = FetchAuthority.fromJSON(item.authority);
      const request = requestFromVector(item.request);
      const decision = authority.authorize(request);
      const usesJsExpect = item.js_expect !== undefined;
      const expected = usesJsExpect ? item.js_expect : item.expect;
      const got = { allowed: decision.allowed, reason: decision.reason, origin: decision.origin };
      let hint = "";
      if (usesJsExpect && sameDecision(got, item.expect)) {
        hint = " (the JS decision equals Python's `expect`: this js_expect entry is no longer needed)";
      }
      assert.deepEqual(
        got,
        { allowed: expected.allowed, reason: expected.reason, origin: expected.origin },
        `${usesJsExpect ? "js_expect" : "expect"} for ${JSON.stringify(item.request.url)}${hint}`,
      );
      assert.ok(Object.isFrozen(decision), "decisions are frozen");
      if (decision.allowed) {
        // The origin of an allowed request is what the platform's URL parser says fetch contacts.
        const base = authority.base ?? undefined;
        assert.equal(decision.origin, new URL(item.request.url, base).origin);
      }
    });
  }
}

/** Shallow equality of two decision records. */
function sameDecision(a, b) {
  return a.allowed === b.allowed && a.reason === b.reason && a.origin === b.origin;
}

const ERROR_VECTORS_PATH = path.join(repoRoot, "tests", "vectors", "policy_errors.json");
const errorDocument = JSON.parse(fs.readFileSync(ERROR_VECTORS_PATH, "utf8"));

test("error vectors: the file is well-formed", () => {
  assert.equal(errorDocument.schema, "browser-rt-policy-error-vectors-v1");
  assert.ok(errorDocument.cases.length >= 90);
  assert.equal(new Set(errorDocument.cases.map((item) => item.name)).size, errorDocument.cases.length);
});

test("error vectors: every policy is refused with exactly the message Python gives", () => {
  const mismatches = [];
  for (const item of errorDocument.cases) {
    let got = null;
    try {
      const authority = FetchAuthority.fromJSON("policy_text" in item ? item.policy_text : item.policy);
      if ("narrow" in item) authority.narrow(item.narrow);
    } catch (error) {
      got = error instanceof PolicyError ? error.message : `not a PolicyError: ${error}`;
    }
    if (got !== item.error) mismatches.push({ name: item.name, got, expected: item.error });
  }
  assert.deepEqual(mismatches, []);
});
