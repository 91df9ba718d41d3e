// The fetch bridge against forged requests: what a compromised worker (or page-mode Python that
// skipped its own checks) could post. The bridge must re-check everything against the frozen JS
// authority, set every fetch option itself, refuse redirects, cap bodies, enforce the timeout and
// abort on request, and the platform fetch must never be called for a denied request.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createFetchBridge } from "../../js_bridge/fetch_bridge.mjs";
import { FetchAuthority } from "../../js_bridge/policy.mjs";

const API = "https://api.example.com";
const SECRET = "Bearer-s3cr3t-0123456789";

/** A platform fetch stand-in that records every call and answers with `respond(url, init)`. */
function fakeFetch(respond = () => new Response("ok", { status: 200 })) {
  const calls = [];
  const impl = async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  return { calls, impl };
}

function bridgeFor(policy, respond) {
  const fetch = fakeFetch(respond);
  const events = [];
  const bridge = createFetchBridge({
    authority: FetchAuthority.fromJSON({ origins: [API], methods: ["GET", "POST"], ...policy }),
    fetchImpl: fetch.impl,
    onRecord: (entry) => events.push(entry),
  });
  return { bridge, calls: fetch.calls, events };
}

let nextId = 1;
const forged = (more = {}) => ({
  request_id: nextId++, method: "GET", url: `${API}/x`, origin: API, headers: [], credentials: "omit", timeout_ms: 1000,
  ...more,
});

describe("forged requests are re-checked before fetch is called", () => {
  const cases = [
    ["another origin", forged({ url: "https://evil.test/x", origin: "https://evil.test" }), "origin_denied"],
    ["an origin that lies about the URL", forged({ url: "https://evil.test/x", origin: API }), "origin_denied"],
    ["a URL the browser reads differently", forged({ url: `${API}./x` }), "origin_denied"],
    ["Python's origin differs from the WHATWG one", forged({ url: `${API}/x`, origin: "https://other.example" }), "origin_mismatch"],
    ["an escalated method", forged({ method: "DELETE" }), "method_denied"],
    ["a never-allowed method", forged({ method: "TRACE" }), "method_forbidden"],
    ["the override header", forged({ headers: [["X-HTTP-Method-Override", "DELETE"]] }), "forbidden_header"],
    ["a CRLF header value", forged({ headers: [["x-a", `1\r\nAuthorization: ${SECRET}`]] }), "invalid_header"],
    ["a NUL in a header name", forged({ headers: [["x-\u0000a", "1"]] }), "invalid_header"],
    ["too many headers", forged({ headers: Array(17).fill(["x-a", "1"]) }), "header_count_exceeded"],
    ["a cookie by hand", forged({ headers: [["Cookie", `sid=${SECRET}`]] }), "forbidden_header"],
    ["credentials beyond the grant", forged({ credentials: "include" }), "credentials_denied"],
    ["userinfo in the URL", forged({ url: `https://u:${SECRET}@api.example.com/` }), "userinfo_denied"],
    ["a javascript: URL", forged({ url: "javascript:alert(1)", origin: null }), "scheme_denied"],
    ["a missing request id", { ...forged(), request_id: "x" }, "invalid_request"],
    ["not an object", null, "invalid_request"],
  ];
  for (const [name, request, reason] of cases) {
    test(name, async () => {
      const { bridge, calls, events } = bridgeFor({});
      const result = await bridge.perform(request, null);
      assert.equal(result.ok, false);
      assert.equal(result.reason, reason);
      assert.equal(calls.length, 0, "fetch was never called");
      assert.ok(!JSON.stringify(events).includes("s3cr3t"), "no secret in the bridge's events");
    });
  }

  test("a body on GET and a body over the cap", async () => {
    const { bridge, calls } = bridgeFor({ max_request_body_bytes: 8 });
    assert.equal((await bridge.perform(forged(), new Uint8Array(1))).reason, "body_not_allowed");
    assert.equal((await bridge.perform(forged({ method: "POST" }), new Uint8Array(9))).reason, "body_too_large");
    assert.equal(calls.length, 0);
  });
});

describe("the bridge sets every fetch option itself", () => {
  test("options smuggled into the request are ignored", async () => {
    const { bridge, calls } = bridgeFor({ credentials: "same-origin" });
    const sneaky = forged({
      credentials: "same-origin", mode: "no-cors", redirect: "follow", keepalive: true, referrer: "https://evil.test/",
      referrerPolicy: "unsafe-url", cache: "force-cache", integrity: "sha256-x", signal: null, priority: "high",
    });
    const result = await bridge.perform(sneaky, null);
    assert.equal(result.ok, true);
    const { init } = calls[0];
    assert.deepEqual(
      { mode: init.mode, credentials: init.credentials, redirect: init.redirect, keepalive: init.keepalive,
        referrerPolicy: init.referrerPolicy, cache: init.cache, referrer: init.referrer, integrity: init.integrity },
      { mode: "cors", credentials: "same-origin", redirect: "manual", keepalive: false, referrerPolicy: "no-referrer",
        cache: "no-store", referrer: undefined, integrity: undefined },
    );
    assert.ok(init.signal instanceof AbortSignal);
  });
});

describe("redirects never reach an ungranted origin", () => {
  test("with redirect: error, a 3xx is refused and its target never fetched", async () => {
    const { bridge, calls } = bridgeFor({}, () => new Response(null, { status: 302, headers: { location: "https://evil.test/" } }));
    const result = await bridge.perform(forged(), null);
    assert.deepEqual([result.ok, result.code], [false, "redirect_denied"]);
    assert.deepEqual(calls.map((c) => [c.url, c.init.redirect]), [[`${API}/x`, "manual"]]);
  });

  test("with redirect: error, an opaque redirect is refused", async () => {
    const opaque = { type: "opaqueredirect", status: 0, headers: new Headers(), redirected: false, url: "", body: null };
    const { bridge } = bridgeFor({}, () => opaque);
    assert.equal((await bridge.perform(forged(), null)).code, "redirect_denied");
  });

  test("with redirect: follow, a final URL outside the grant is refused and its body never returned", async () => {
    const landed = {
      type: "basic", status: 200, statusText: "OK", redirected: true, url: "https://evil.test/landing",
      headers: new Headers(), body: new Response("stolen").body,
    };
    const { bridge, calls } = bridgeFor({ redirect: "follow" }, () => landed);
    const result = await bridge.perform(forged(), null);
    assert.deepEqual([result.ok, result.code, result.body], [false, "redirect_denied", undefined]);
    assert.equal(calls[0].init.redirect, "follow");
  });
});

describe("resource limits hold at the bridge", () => {
  test("an endless body is cut at the cap and the stream cancelled", async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = () => new Response(new ReadableStream({
      pull(controller) { pulled += 1; controller.enqueue(new Uint8Array(1024)); },
      cancel() { cancelled = true; },
    }));
    const { bridge, calls } = bridgeFor({ max_response_body_bytes: 4096 }, endless);
    const result = await bridge.perform(forged(), null);
    assert.deepEqual([result.ok, result.code], [false, "response_too_large"]);
    assert.ok(pulled <= 8, `read ${pulled} chunks`);
    assert.ok(cancelled && calls[0].init.signal.aborted);
  });

  test("a declared Content-Length over the cap is refused before reading", async () => {
    let pulled = 0;
    const stream = () => new ReadableStream({ pull() { pulled += 1; } }, { highWaterMark: 0 });
    const declared = () => new Response(stream(), { headers: { "content-length": "999999" } });
    const { bridge } = bridgeFor({ max_response_body_bytes: 4096 }, declared);
    assert.equal((await bridge.perform(forged(), null)).code, "response_too_large");
    assert.equal(pulled, 0);
  });

  test("the policy timeout bounds the request, whatever the request asks for", async () => {
    const hang = (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
    const { bridge, calls } = bridgeFor({ timeout_ms: 50 }, hang);
    const started = Date.now();
    const result = await bridge.perform(forged({ timeout_ms: 10_000_000 }), null);
    assert.deepEqual([result.ok, result.code], [false, "timeout"]);
    assert.ok(Date.now() - started < 5000);
    assert.ok(calls[0].init.signal.aborted);
    assert.equal(bridge.inFlightCount(), 0);
  });
});

describe("cancellation leaves nothing running", () => {
  test("abort() resolves only after the fetch settled, and nothing stays in flight", async () => {
    let settled = false;
    const hang = (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => {
      setTimeout(() => { settled = true; reject(init.signal.reason); }, 20);
    }));
    const { bridge } = bridgeFor({}, hang);
    const request = forged();
    const pending = bridge.perform(request, null);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(bridge.inFlightCount(), 1);
    assert.equal(await bridge.abort(request.request_id), true);
    assert.equal(settled, true, "abort waited for the fetch to settle");
    assert.equal((await pending).code, "aborted");
    assert.equal(bridge.inFlightCount(), 0);
    assert.equal(await bridge.abort(request.request_id), false);
  });

  test("a reused request id is refused while the first is in flight", async () => {
    const hang = (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
    const { bridge, calls } = bridgeFor({}, hang);
    const request = forged();
    const first = bridge.perform(request, null);
    const second = await bridge.perform({ ...request, url: `${API}/other` }, null);
    assert.deepEqual([second.ok, second.code], [false, "bridge"]);
    assert.equal(calls.length, 1);
    await bridge.abort(request.request_id);
    await first;
  });
});
