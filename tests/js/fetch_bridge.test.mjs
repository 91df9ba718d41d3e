// The bridge's own re-check: whatever Python sends, nothing the frozen policy refuses is fetched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createFetchBridge, FetchAuthority } from "../../js_bridge/index.mjs";

const API = "https://api.example.com";
const authority = FetchAuthority.fromJSON({ origins: [API], methods: ["GET", "POST"], max_request_body_bytes: 8 });

function bridgeWithSpy() {
  const calls = [];
  const events = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    return new Response("ok", { status: 200 });
  };
  return { bridge: createFetchBridge({ authority, fetchImpl, onRecord: (e) => events.push(e) }), calls, events };
}

const base = { request_id: 1, method: "GET", url: `${API}/x`, origin: API, headers: [], credentials: "omit", timeout_ms: 1000 };

test("a request Python allowed but the policy refuses is denied without fetching", async () => {
  const { bridge, calls, events } = bridgeWithSpy();
  const cases = [
    [{ ...base, url: "https://evil.test/" }, "origin_denied"],
    [{ ...base, method: "DELETE" }, "method_denied"],
    [{ ...base, credentials: "include" }, "credentials_denied"],
    [{ ...base, headers: [["cookie", "a"]] }, "forbidden_header"],
    [{ ...base, headers: [null] }, "invalid_header"],
    [{ ...base, headers: [["ab"]] }, "invalid_header"],
    [{ ...base, origin: "https://api.example.com:443" }, "origin_mismatch"],
    [{ ...base, request_id: "x" }, "invalid_request"],
  ];
  for (const [request, reason] of cases) {
    const result = await bridge.perform(request, null);
    assert.deepEqual([result.ok, result.kind, result.reason], [false, "denied", reason], JSON.stringify(request));
  }
  const tooBig = await bridge.perform({ ...base, method: "POST" }, new Uint8Array(9));
  assert.equal(tooBig.reason, "body_too_large");
  assert.equal(calls.length, 0);
  assert.equal(events.filter((e) => e.outcome === "denied").length, cases.length + 1);
});

test("the bridge sets every fetch option itself", async () => {
  const { bridge, calls } = bridgeWithSpy();
  const body = new Uint8Array([1, 2, 3]);
  const result = await bridge.perform({ ...base, method: "post", headers: [["x-a", "1"]], mode: "no-cors", redirect: "follow" }, body);
  assert.equal(result.ok, true);
  assert.equal(new TextDecoder().decode(result.body), "ok");
  const [{ url, init }] = calls;
  assert.equal(url, `${API}/x`);
  assert.equal(init.method, "POST");
  assert.deepEqual(init.headers, [["x-a", "1"]]);
  assert.equal(init.mode, "cors");
  assert.equal(init.credentials, "omit");
  assert.equal(init.redirect, "manual");
  assert.equal(init.referrerPolicy, "no-referrer");
  assert.equal(init.keepalive, false);
  body[0] = 99;
  assert.equal(init.body[0], 1, "the bridge sends its own copy of the checked body");
});

test("abort of an unknown request resolves false; network errors never carry their text", async () => {
  const failing = createFetchBridge({
    authority,
    fetchImpl: async () => {
      throw new TypeError("getaddrinfo ENOTFOUND secret-internal-host");
    },
  });
  assert.equal(await failing.abort(12345), false);
  const result = await failing.perform(base, null);
  assert.deepEqual(result, { ok: false, kind: "error", code: "network", message: "network error" });
});
