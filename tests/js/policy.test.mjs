// Unit tests for the JS FetchAuthority (js_bridge/policy.mjs), the contract in docs/policy.md.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import vm from "node:vm";
import { FetchAuthority, PolicyError, DenyReason, canonicalOrigin } from "../../js_bridge/policy.mjs";
import * as bridgeIndex from "../../js_bridge/index.mjs";

const API = "https://api.example.com";

/** A typical grant; the tests below lean on its limits. */
function grant(extra = {}) {
  return FetchAuthority.fromJSON({
    origins: [API, "https://*.cdn.example.com", "http://127.0.0.1:9000"],
    methods: ["GET", "POST", "PATCH"],
    credentials: "same-origin",
    max_header_count: 3,
    max_request_body_bytes: 8,
    ...extra,
  });
}

/** Decide `request` with `authority` and return a plain copy of the decision. */
function decide(authority, request) {
  const d = authority.authorize(request);
  return { allowed: d.allowed, reason: d.reason, origin: d.origin };
}

const get = (url, more = {}) => ({ method: "GET", url, headers: [], credentials: "omit", body: null, ...more });

describe("one example per deny reason", () => {
  /** @type {Array<[string, unknown, string | null]>} reason, request, expected origin */
  const examples = [
    [DenyReason.INVALID_REQUEST, { method: "GET", url: 42 }, null],
    [DenyReason.INVALID_URL, get("https://exa mple.com/"), null],
    [DenyReason.SCHEME_DENIED, get("javascript:alert(1)"), null],
    [DenyReason.USERINFO_DENIED, get("https://api.example.com@evil.test/"), "https://evil.test"],
    [DenyReason.ORIGIN_DENIED, get("https://evil.test/"), "https://evil.test"],
    [DenyReason.INVALID_METHOD, get(`${API}/`, { method: "GE T" }), API],
    [DenyReason.METHOD_FORBIDDEN, get(`${API}/`, { method: "trace" }), API],
    [DenyReason.METHOD_DENIED, get(`${API}/`, { method: "DELETE" }), API],
    [DenyReason.CREDENTIALS_DENIED, get(`${API}/`, { credentials: "include" }), API],
    [DenyReason.HEADER_COUNT_EXCEEDED, get(`${API}/`, { headers: [["a", "1"], ["a", "2"], ["a", "3"], ["a", "4"]] }), API],
    [DenyReason.INVALID_HEADER, get(`${API}/`, { headers: [["x-a", "1\r\n2"]] }), API],
    [DenyReason.FORBIDDEN_HEADER, get(`${API}/`, { headers: [["Cookie", "a=b"]] }), API],
    [DenyReason.BODY_NOT_ALLOWED, get(`${API}/`, { body: "" }), API],
    [DenyReason.BODY_TOO_LARGE, get(`${API}/`, { method: "POST", body: "123456789" }), API],
  ];

  test("every reason authorize can give has an example", () => {
    const covered = new Set(examples.map(([reason]) => reason));
    // origin_mismatch is the bridge's re-check's, rate_limited the request limiters'.
    const notFromAuthorize = new Set([DenyReason.ORIGIN_MISMATCH, DenyReason.RATE_LIMITED]);
    const all = Object.values(DenyReason).filter((r) => !notFromAuthorize.has(r));
    assert.deepEqual([...covered].sort(), [...all].sort());
  });

  for (const [reason, request, origin] of examples) {
    test(reason, () => {
      assert.deepEqual(decide(grant(), request), { allowed: false, reason, origin });
    });
  }

  test("an explicitly permitted request is allowed", () => {
    assert.deepEqual(decide(grant(), get(`${API}/v1?q=1#f`)), { allowed: true, reason: null, origin: API });
    assert.deepEqual(
      decide(grant(), get(`${API}/v1`, { method: "POST", body: "12345678", headers: [["accept", "x"]], credentials: "same-origin" })),
      { allowed: true, reason: null, origin: API },
    );
  });

  test("DenyReason is a frozen table of stable strings", () => {
    assert.ok(Object.isFrozen(DenyReason));
    assert.equal(DenyReason.ORIGIN_DENIED, "origin_denied");
    assert.equal(DenyReason.ORIGIN_MISMATCH, "origin_mismatch");
    assert.equal(DenyReason.RATE_LIMITED, "rate_limited");
    for (const [key, value] of Object.entries(DenyReason)) assert.equal(value, key.toLowerCase());
  });
});

describe("classic invariants", () => {
  test("default deny-all", () => {
    const none = FetchAuthority.denyAll();
    assert.deepEqual(decide(none, get(`${API}/`)), { allowed: false, reason: "origin_denied", origin: API });
    assert.deepEqual(none.toJSON(), {
      origins: [],
      methods: [],
      credentials: "omit",
      max_header_count: 0,
      max_request_body_bytes: 0,
      max_response_body_bytes: 10 * 1024 * 1024,
      redirect: "error",
      timeout_ms: 30_000,
      max_concurrent_requests: 1,
      max_queued_requests: 0,
      max_requests_per_minute: 1,
      base: null,
    });
    assert.deepEqual(decide(FetchAuthority.fromJSON({}), get(`${API}/`)).reason, "origin_denied");
  });

  test("method escalation is denied", () => {
    const a = FetchAuthority.fromJSON({ origins: [API] }); // methods default to GET
    assert.deepEqual(a.methods, ["GET"]);
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]) {
      assert.equal(decide(a, get(`${API}/`, { method })).reason, "method_denied", method);
    }
  });

  test("method normalization follows fetch: six names are case-insensitive, PATCH is not", () => {
    const a = grant();
    assert.equal(decide(a, get(`${API}/`, { method: "get" })).allowed, true);
    assert.equal(decide(a, get(`${API}/`, { method: "pOsT", body: "x" })).allowed, true);
    assert.equal(decide(a, get(`${API}/`, { method: "PATCH", body: "x" })).allowed, true);
    assert.equal(decide(a, get(`${API}/`, { method: "patch", body: "x" })).reason, "method_denied");
    for (const method of ["CONNECT", "connect", "Trace", "TRACK", "track"]) {
      assert.equal(decide(a, get(`${API}/`, { method })).reason, "method_forbidden", method);
    }
    for (const method of ["", "GET ", "G\u00c9T", "GET\n", "(GET)", "GE/T"]) {
      assert.equal(decide(a, get(`${API}/`, { method })).reason, "invalid_method", JSON.stringify(method));
    }
  });

  test("credentials are denied by default and granted explicitly", () => {
    const a = FetchAuthority.fromJSON({ origins: [API] });
    assert.equal(decide(a, get(`${API}/`, { credentials: "same-origin" })).reason, "credentials_denied");
    assert.equal(decide(a, get(`${API}/`, { credentials: "include" })).reason, "credentials_denied");
    assert.equal(decide(a, get(`${API}/`, { credentials: undefined })).allowed, true);
    const b = FetchAuthority.fromJSON({ origins: [API], credentials: "include" });
    for (const credentials of ["omit", "same-origin", "include"]) {
      assert.equal(decide(b, get(`${API}/`, { credentials })).allowed, true, credentials);
    }
  });

  test("a wildcard never grants credentials include", () => {
    assert.throws(
      () => FetchAuthority.fromJSON({ origins: ["https://*.example.com"], credentials: "include" }),
      (e) => e instanceof PolicyError && /credentials: "include" cannot be combined with a wildcard origin \("https:\/\/\*\.example\.com"\)/.test(e.message),
    );
  });

  test("the header limit counts duplicates, and is checked before header contents", () => {
    const a = grant();
    assert.equal(decide(a, get(`${API}/`, { headers: [["x", "1"], ["x", "2"], ["x", "3"]] })).allowed, true);
    const overLimitAndBad = [["Host", "a"], ["bad name", "\n"], ["x", "1"], ["x", "2"]];
    assert.equal(decide(a, get(`${API}/`, { headers: overLimitAndBad })).reason, "header_count_exceeded");
  });
});

describe("URLs", () => {
  test("canonical origins: case, default ports, IDNA, trailing dot, IPv4 and IPv6 forms", () => {
    const cases = [
      ["HTTPS://API.EXAMPLE.COM:443/x", API],
      ["https://api.example.com:0443", API],
      ["http://api.example.com:80/", "http://api.example.com"],
      ["https://api.example.com:80/", "https://api.example.com:80"],
      ["https://api.example.com./", "https://api.example.com."],
      ["https://b\u00fccher.example/", "https://xn--bcher-kva.example"],
      ["https://%62\u00fccher.example/", "https://xn--bcher-kva.example"],
      ["http://0x7f.1:9000/", "http://127.0.0.1:9000"],
      ["http://2130706433:9000/", "http://127.0.0.1:9000"],
      ["http://0177.0.0.1:9000/", "http://127.0.0.1:9000"],
      ["http://[0:0:0:0:0:0:0:1]/", "http://[::1]"],
      ["http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]"],
      ["ht\ttps://api.exa\nmple.com/", API],
      [" \u0000https://api.example.com/ \u001f", API],
      ["https:api.example.com", API],
      ["https:\\\\api.example.com\\x", API],
      ["https:////api.example.com", API],
    ];
    for (const [url, origin] of cases) {
      assert.equal(canonicalOrigin(url), origin, url);
      assert.equal(canonicalOrigin(url), new URL(url).origin, `${url} agrees with WHATWG`);
    }
  });

  test("userinfo is denied in every spelling, even empty", () => {
    const a = grant();
    for (const url of [
      "https://user@api.example.com/",
      "https://user:pass@api.example.com/",
      "https://@api.example.com/",
      "https://:@api.example.com/",
      "https://evil.test@api.example.com/",
      "https:@api.example.com/",
      "https:\\\\u@api.example.com/",
    ]) {
      assert.deepEqual(decide(a, get(url)), { allowed: false, reason: "userinfo_denied", origin: API }, url);
    }
    // A backslash ends the authority (special schemes), so the host is evil.test, not the API.
    assert.deepEqual(decide(a, get("https://evil.test\\@api.example.com/")), {
      allowed: false,
      reason: "origin_denied",
      origin: "https://evil.test",
    });
    // `@` after the authority is path, query or fragment, not userinfo.
    for (const url of [`${API}/a@b`, `${API}?@evil.test`, `${API}#@evil.test`]) {
      assert.equal(decide(a, get(url)).allowed, true, url);
    }
    // A percent-encoded @ in the host is a forbidden host code point: no origin at all.
    assert.equal(decide(a, get("https://evil.test%40api.example.com/")).reason, "invalid_url");
    // No host after the userinfo: the URL does not parse.
    assert.equal(decide(a, get("https://user@/")).reason, "invalid_url");
  });

  test("non-http(s) schemes are denied before parsing", () => {
    const a = grant();
    for (const url of [
      "javascript:alert(1)",
      "JAVASCRIPT:alert(1)",
      "java\tscript:alert(1)",
      "data:text/plain,x",
      "blob:https://api.example.com/uuid",
      "file:///etc/passwd",
      "ws://api.example.com/",
      "wss://api.example.com/",
      "ftp://api.example.com/",
      "c:\\windows",
      "foo://[broken",
      "x-y+z.w:anything",
    ]) {
      assert.deepEqual(decide(a, get(url)), { allowed: false, reason: "scheme_denied", origin: null }, url);
    }
  });

  test("relative URLs need a declared base", () => {
    const a = grant();
    for (const url of ["/v1", "v1", "?q", "#f", "//api.example.com/v1", "\\\\api.example.com", "", "   "]) {
      assert.deepEqual(decide(a, get(url)), { allowed: false, reason: "invalid_url", origin: null }, JSON.stringify(url));
    }
    const b = grant({ base: "https://API.example.com:443/" });
    assert.equal(b.base, API);
    for (const url of ["/v1", "v1", "?q", "#f", "", "https:v1", "https:/v1", "//api.example.com/v1"]) {
      assert.deepEqual(decide(b, get(url)), { allowed: true, reason: null, origin: API }, JSON.stringify(url));
    }
    // Two slashes (either kind) start a new authority, relative to the base's scheme.
    assert.equal(decide(b, get("//evil.test/x")).origin, "https://evil.test");
    assert.equal(decide(b, get("\\/evil.test/x")).origin, "https://evil.test");
    // The same-scheme quirk applies only when the scheme matches the base's.
    assert.equal(decide(b, get("https:evil.test")).origin, API);
    assert.equal(decide(b, get("http:evil.test")).origin, "http://evil.test");
    assert.equal(decide(b, get("https:u@evil.test")).allowed, true);
    assert.equal(decide(b, get("http:u@evil.test")).reason, "userinfo_denied");
  });

  test("URL length is counted in code points, and huge URLs are refused quickly", () => {
    const a = FetchAuthority.fromJSON({ origins: [API] });
    const pad = (n, unit) => `${API}/${unit.repeat(n)}`;
    const prefix = `${API}/`.length;
    assert.equal(decide(a, get(pad(8192 - prefix, "a"))).allowed, true);
    assert.equal(decide(a, get(pad(8193 - prefix, "a"))).reason, "invalid_url");
    // 8,192 code points but 16,000+ UTF-16 units: still within the limit.
    assert.equal(decide(a, get(pad(8192 - prefix, "\u{1F600}"))).allowed, true);
    assert.equal(decide(a, get(pad(8193 - prefix, "\u{1F600}"))).reason, "invalid_url");
    const started = performance.now();
    assert.equal(decide(a, get(`${API}/${"a".repeat(10_000_000)}`)).reason, "invalid_url");
    assert.ok(performance.now() - started < 50, "a 10 MB URL is refused without scanning it");
  });

  test("lone surrogates and control characters in URLs", () => {
    const a = grant();
    for (const url of [`${API}/\ud800`, `${API}/\udfff`, "https://\ud800.example/", `\udc00${API}`]) {
      assert.deepEqual(decide(a, get(url)), { allowed: false, reason: "invalid_url", origin: null }, JSON.stringify(url));
    }
    assert.equal(decide(a, get(`${API}/\u{1F600}`)).allowed, true);
    assert.equal(decide(a, get("https://api.exam\u0000ple.com/")).reason, "invalid_url");
    assert.equal(decide(a, get("https://api.example.com\u0000/")).reason, "invalid_url");
  });

  test("hosts the Python parser refuses are refused here too", () => {
    const a = grant();
    for (const url of [
      "https://\u05d0\u05d1.example/", // right-to-left label
      "https://xn--4dbc.example/", // the same label, already encoded
      "https://a\u094d\u200cb.example/", // a joiner, even where WHATWG's joiner rules accept it
      "https://xn--api-.example.com/", // an A-label that decodes to ASCII
      "https://xn---bbk.example/", // a non-canonical Punycode spelling
      "https://xn--a.example/", // not Punycode at all
      "https://\u0301a.example/", // a leading combining mark
    ]) {
      assert.deepEqual(decide(a, get(url)), { allowed: false, reason: "invalid_url", origin: null }, url);
    }
    // Internationalized names that both sides accept keep their WHATWG origin.
    for (const url of ["https://\u2603.example/", "https://b\u00fccher.example/", "https://\u00df.example/", "https://xn--n3h.example/"]) {
      const d = decide(a, get(url));
      assert.equal(d.reason, "origin_denied", url);
      assert.equal(d.origin, new URL(url).origin, url);
    }
  });

  test("wildcards match one or more labels, never the apex, on the same scheme and port", () => {
    const a = grant();
    assert.equal(decide(a, get("https://a.cdn.example.com/")).allowed, true);
    assert.equal(decide(a, get("https://a.b.c.cdn.example.com/")).allowed, true);
    assert.equal(decide(a, get("HTTPS://A.CDN.EXAMPLE.COM:443/")).allowed, true);
    for (const url of [
      "https://cdn.example.com/",
      "http://a.cdn.example.com/",
      "https://a.cdn.example.com:444/",
      "https://a.cdn.example.com./",
      "https://acdn.example.com/",
      "https://a.cdn.example.com.evil.test/",
      "https://a..cdn.example.com/",
    ]) {
      assert.equal(decide(a, get(url)).reason, "origin_denied", url);
    }
  });

  test("every allowed origin is the WHATWG origin", () => {
    const a = FetchAuthority.fromJSON({
      origins: [API, "https://*.example.com", "http://127.0.0.1", "http://[::1]:8080", "https://xn--bcher-kva.example"],
      base: API,
    });
    const urls = [
      "/x", "//a.example.com", "https:x", "http://0x7f.0.0.1/", "http://127.1/", "http://[::1]:8080/",
      "https://A.B.EXAMPLE.COM/", "https://b\u00fccher.example", "https://x.example.com:443", "https://\uff41\uff50\uff49.example.com",
    ];
    for (const url of urls) {
      const d = a.authorize(get(url));
      assert.equal(d.allowed, true, url);
      assert.equal(d.origin, new URL(url, API).origin, url);
    }
  });
});

describe("headers", () => {
  test("forbidden request headers, any case, and the proxy-/sec- prefixes", () => {
    const a = FetchAuthority.fromJSON({ origins: [API], max_header_count: 64 });
    const names = [
      "accept-charset", "accept-encoding", "access-control-request-headers", "access-control-request-method",
      "connection", "content-length", "cookie", "cookie2", "date", "dnt", "expect", "host", "keep-alive",
      "origin", "referer", "set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via",
      "x-http-method", "x-http-method-override", "x-method-override", "proxy-authorization", "Proxy-", "sec-fetch-site", "SEC-X",
    ];
    for (const name of names) {
      for (const spelled of [name, name.toUpperCase()]) {
        assert.equal(decide(a, get(`${API}/`, { headers: [["accept", "x"], [spelled, "v"]] })).reason, "forbidden_header", spelled);
      }
    }
    for (const name of ["accept", "content-type", "authorization", "x-request-id", "proxy", "secret", "x-method"]) {
      assert.equal(decide(a, get(`${API}/`, { headers: [[name, "v"]] })).allowed, true, name);
    }
  });

  test("names must be tokens; values must be ByteStrings without CR, LF or NUL", () => {
    const a = FetchAuthority.fromJSON({ origins: [API], max_header_count: 4 });
    for (const name of ["", "a b", "a:b", "a\u00e9", "a\nb", "(x)", "x/y"]) {
      assert.equal(decide(a, get(`${API}/`, { headers: [[name, "v"]] })).reason, "invalid_header", JSON.stringify(name));
    }
    for (const value of ["a\rb", "a\nb", "a\u0000b", "\u0100", "\u20ac", "\ud800", "\u{1F600}"]) {
      assert.equal(decide(a, get(`${API}/`, { headers: [["x", value]] })).reason, "invalid_header", JSON.stringify(value));
    }
    for (const value of ["", " padded ", "\u00ff\u00e9", "\t", "\u007f", "\u0001"]) {
      assert.equal(decide(a, get(`${API}/`, { headers: [["x", value]] })).allowed, true, JSON.stringify(value));
    }
  });

  test("pairs are checked in order, each for shape, then validity, then the forbidden list", () => {
    const a = FetchAuthority.fromJSON({ origins: [API], max_header_count: 4 });
    assert.equal(decide(a, get(`${API}/`, { headers: [["Host", "x"], ["bad name", "v"]] })).reason, "forbidden_header");
    assert.equal(decide(a, get(`${API}/`, { headers: [["bad name", "v"], ["Host", "x"]] })).reason, "invalid_header");
    assert.equal(decide(a, get(`${API}/`, { headers: [["Host", "x\n"]] })).reason, "invalid_header");
    for (const pair of [["x"], ["x", "1", "2"], [1, "v"], ["x", null], "xy", null, { 0: "x", 1: "v", length: 2 }]) {
      assert.equal(decide(a, get(`${API}/`, { headers: [pair] })).reason, "invalid_header", JSON.stringify(pair));
    }
    // A list that is not a list at all is a malformed request.
    for (const headers of ["x: y", { x: "y" }, new Map([["x", "y"]]), 5]) {
      assert.equal(decide(a, get(`${API}/`, { headers })).reason, "invalid_request");
    }
    // Omitted or null headers are no headers.
    assert.equal(decide(a, { method: "GET", url: API }).allowed, true);
    assert.equal(decide(a, get(API, { headers: null })).allowed, true);
  });
});

describe("bodies", () => {
  test("GET and HEAD never carry a body, not even an empty one", () => {
    const a = FetchAuthority.fromJSON({ origins: [API], methods: ["GET", "HEAD", "POST"] });
    for (const method of ["GET", "get", "HEAD", "head"]) {
      for (const body of ["", "x", new Uint8Array(0), new ArrayBuffer(0)]) {
        assert.equal(decide(a, get(`${API}/`, { method, body })).reason, "body_not_allowed", method);
      }
    }
    assert.equal(decide(a, get(`${API}/`, { method: "POST", body: "" })).allowed, true);
  });

  test("sizes: strings as UTF-8, Uint8Array and ArrayBuffer by byte length", () => {
    const a = FetchAuthority.fromJSON({ origins: [API], methods: ["POST"], max_request_body_bytes: 4 });
    const post = (body) => decide(a, get(`${API}/`, { method: "POST", body }));
    assert.equal(post("abcd").allowed, true);
    assert.equal(post("abcde").reason, "body_too_large");
    assert.equal(post("\u00e9\u00e9").allowed, true); // 4 bytes
    assert.equal(post("\u00e9\u00e9a").reason, "body_too_large"); // 5 bytes in 3 units
    assert.equal(post("\u20ac").allowed, true); // 3 bytes
    assert.equal(post("\u20aca").allowed, true);
    assert.equal(post("\u20ac\u20ac").reason, "body_too_large");
    assert.equal(post("\u{1F600}").allowed, true); // 4 bytes in 2 units
    assert.equal(post("\u{1F600}a").reason, "body_too_large");
    assert.equal(post(new Uint8Array(4)).allowed, true);
    assert.equal(post(new Uint8Array(5)).reason, "body_too_large");
    assert.equal(post(new Uint8Array(new ArrayBuffer(16), 4, 4)).allowed, true);
    assert.equal(post(new ArrayBuffer(4)).allowed, true);
    assert.equal(post(new ArrayBuffer(5)).reason, "body_too_large");
    assert.equal(post(Buffer.from("abcde")).reason, "body_too_large");
    assert.equal(post(new (vm.runInNewContext("Uint8Array"))(5)).reason, "body_too_large");
    assert.equal(post(new (vm.runInNewContext("ArrayBuffer"))(5)).reason, "body_too_large");
    const zero = FetchAuthority.fromJSON({ origins: [API], methods: ["POST"], max_request_body_bytes: 0 });
    assert.equal(decide(zero, get(API, { method: "POST", body: "" })).allowed, true);
    assert.equal(decide(zero, get(API, { method: "POST", body: "x" })).reason, "body_too_large");
  });

  test("other body types, look-alikes and str bodies with lone surrogates are malformed requests", () => {
    const a = FetchAuthority.fromJSON({ origins: [API], methods: ["POST"] });
    const lookAlike = { byteLength: 1, [Symbol.toStringTag]: "Uint8Array" };
    for (const body of [
      1, true, {}, [], new Int8Array(1), new Uint16Array(1), new DataView(new ArrayBuffer(1)), new SharedArrayBuffer(1),
      lookAlike, new Proxy(new Uint8Array(1), {}), new Blob(["x"]), "\ud800", `ok\udc00`,
    ]) {
      assert.deepEqual(decide(a, get(`${API}/`, { method: "POST", body })), { allowed: false, reason: "invalid_request", origin: null });
    }
  });
});

describe("loading policies", () => {
  /** Assert that loading `policy` throws a PolicyError whose message matches `pattern`. */
  function refuses(policy, pattern) {
    assert.throws(
      () => FetchAuthority.fromJSON(policy),
      (error) => {
        assert.ok(error instanceof PolicyError, `expected a PolicyError, got ${error}`);
        assert.equal(error.name, "PolicyError");
        assert.match(error.message, pattern);
        return true;
      },
      JSON.stringify(policy)?.slice(0, 120),
    );
  }

  test("errors name the offending entry", () => {
    refuses({ origins: [API, API, "https://a.com", "https://b.com/v1"] }, /^origins\[3\]: path not allowed in an origin$/);
    refuses({ origins: ["https://a.com?x"] }, /^origins\[0\]: query not allowed in an origin$/);
    refuses({ origins: ["https://a.com/?x"] }, /^origins\[0\]: query not allowed in an origin$/);
    refuses({ origins: ["https://a.com#x"] }, /^origins\[0\]: fragment not allowed in an origin$/);
    refuses({ origins: ["https://a.com", "https://u:p@b.com"] }, /^origins\[1\]: userinfo not allowed in an origin$/);
    refuses({ origins: ["https://@b.com"] }, /^origins\[0\]: userinfo not allowed in an origin$/);
    refuses({ origins: ["https://a.com\\"] }, /^origins\[0\]: backslash not allowed in an origin$/);
    refuses({ origins: ["*"] }, /^origins\[0\]: a bare "\*" is not allowed/);
    refuses({ origins: [" * "] }, /^origins\[0\]: a bare "\*" is not allowed/);
    refuses({ origins: ["https://*"] }, /^origins\[0\]: "\*" is only allowed as a leading "\*\." label$/);
    refuses({ origins: ["https://a.*.com"] }, /^origins\[0\]: "\*" is only allowed as a leading "\*\." label$/);
    refuses({ origins: ["https://*.*.a.com"] }, /^origins\[0\]: "\*" is only allowed as a leading "\*\." label$/);
    refuses({ origins: ["https://*.com"] }, /^origins\[0\]: a wildcard needs at least two labels after "\*\."$/);
    refuses({ origins: ["https://*.1.2.3.4"] }, /^origins\[0\]: a wildcard needs a domain, not an IP address$/);
    refuses({ origins: ["https://*.[::1]"] }, /^origins\[0\]: a wildcard needs a domain, not an IP address$/);
    refuses({ origins: ["ftp://a.com"] }, /^origins\[0\]: only http and https origins can be granted$/);
    refuses({ origins: ["a.com"] }, /^origins\[0\]: not an origin of the form scheme:\/\/host\[:port\]$/);
    refuses({ origins: ["https://a.com "] }, /^origins\[0\]: contains whitespace or control characters$/);
    refuses({ origins: ["https://a.com:99999"] }, /^origins\[0\]: port is out of range$/);
    refuses({ origins: ["https://a.com:8x"] }, /^origins\[0\]: port is not a number$/);
    refuses({ origins: ["https://"] }, /^origins\[0\]: missing host$/);
    refuses({ origins: ["https://a%2Fb.com"] }, /^origins\[0\]: host is not valid$/);
    refuses({ origins: [API, 7] }, /^origins\[1\]: must be a string, got an integer$/);
    refuses({ origins: API }, /^origins: must be a list of origin strings$/);
    refuses({ origins: Array(1001).fill(API) }, /^origins: 1001 entries, more than 1000$/);
    refuses({ methods: ["GET", "connect"] }, /^methods\[1\]: CONNECT is never allowed$/);
    refuses({ methods: ["TRACE"] }, /^methods\[0\]: TRACE is never allowed$/);
    refuses({ methods: ["TRACK"] }, /^methods\[0\]: TRACK is never allowed$/);
    refuses({ methods: ["GET", "FETCH"] }, /^methods\[1\]: "FETCH" is not a standard method/);
    refuses({ methods: [null] }, /^methods\[0\]: must be a string, got null$/);
    refuses({ methods: "GET" }, /^methods: must be a list of method names$/);
    refuses({ methods: Array(17).fill("GET") }, /^methods: 17 entries, more than 16$/);
    refuses({ credentials: "all" }, /^credentials: must be one of "omit", "same-origin", "include", got "all"$/);
    refuses({ redirect: "manual" }, /^redirect: must be one of "error", "follow", got "manual"$/);
    refuses({ base: "https://a.com/v1" }, /^base: path not allowed in an origin$/);
    refuses({ base: "https://*.a.com" }, /^base: must be a single origin, not a wildcard$/);
    refuses({ base: "/v1" }, /^base: not an origin of the form/);
    refuses({ base: 5 }, /^base: must be a string, got an integer$/);
    refuses({ origins: [], extra: 1 }, /^policy: unknown key "extra"$/);
    refuses({ ["x".repeat(500)]: 1 }, /^policy: unknown key "x{36}\.\.\.$/);
    refuses(["https://a.com"], /^policy: must be an object, got a list$/);
    refuses(null, /^policy: must be an object, got null$/);
    refuses(42, /^policy: must be an object, got an integer$/);
    refuses(new Map(), /^policy: must be an object, got a value of another type$/);
  });

  test("integer settings: JSON integers in range, never booleans or floats", () => {
    const ranges = {
      max_header_count: [0, 64],
      max_request_body_bytes: [0, 16 * 1024 * 1024],
      max_response_body_bytes: [1, 256 * 1024 * 1024],
      timeout_ms: [1, 300_000],
      max_concurrent_requests: [1, 64],
      max_queued_requests: [0, 10_000],
      max_requests_per_minute: [1, 60_000],
    };
    for (const [key, [low, high]] of Object.entries(ranges)) {
      assert.equal(FetchAuthority.fromJSON({ [key]: low })[key], low);
      assert.equal(FetchAuthority.fromJSON({ [key]: high })[key], high);
      refuses({ [key]: low - 1 }, new RegExp(`^${key}: ${low - 1} is outside ${low}\\.\\.${high}$`));
      refuses({ [key]: high + 1 }, new RegExp(`^${key}: ${high + 1} is outside ${low}\\.\\.${high}$`));
      refuses({ [key]: true }, new RegExp(`^${key}: must be an integer, got a boolean$`));
      refuses({ [key]: 2.5 }, new RegExp(`^${key}: must be an integer, got a float$`));
      refuses({ [key]: "5" }, new RegExp(`^${key}: must be an integer, got a string$`));
      refuses(`{"${key}": ${low}.0}`, new RegExp(`^${key}: must be an integer, got a float$`));
      refuses(`{"${key}": 1e1}`, new RegExp(`^${key}: must be an integer, got a float$`));
    }
  });

  test("JSON texts: size limit, duplicate keys, syntax errors", () => {
    const text = JSON.stringify({ origins: [API], methods: ["get"] });
    assert.deepEqual(FetchAuthority.fromJSON(text).toJSON(), FetchAuthority.fromJSON(JSON.parse(text)).toJSON());
    refuses(`{"origins": [], "origins": ["${API}"]}`, /^policy: duplicate key "origins"$/);
    refuses(`{"a": {"b": 1, "b": 2}}`, /^policy: duplicate key "b"$/);
    refuses("{", /^policy: not valid JSON \(line 1 column 2: /);
    refuses('{"origins": []} x', /^policy: not valid JSON \(line 1 column 17: Extra data\)$/);
    refuses("\ufeff{}", /^policy: not valid JSON/);
    refuses("[".repeat(5000), /^policy: JSON nested more than 32 levels deep$/);
    refuses('"x"', /^policy: must be an object, got a string$/);
    refuses(`{"__proto__": {"origins": ["${API}"]}}`, /^policy: unknown key "__proto__"$/);
    // 65,536 bytes is the most a policy text may have; multi-byte characters count as bytes.
    const sized = (bytes) => {
      const head = '{"origins": []';
      return `${head}${" ".repeat(bytes - head.length - 1)}}`;
    };
    assert.equal(sized(65_536).length, 65_536);
    assert.doesNotThrow(() => FetchAuthority.fromJSON(sized(65_536)));
    refuses(sized(65_537), /^policy: JSON is 65537 bytes, more than 65536$/);
    refuses(`{"base": null, "x": "${"\u00e9".repeat(32_760)}"}`, /^policy: JSON is 65543 bytes, more than 65536$/);
    refuses(" ".repeat(10_000_000), /^policy: JSON is 10000000 bytes, more than 65536$/);
  });

  test("canonical form: grants canonicalized, merged and sorted; methods upper-cased", () => {
    const a = FetchAuthority.fromJSON({
      origins: [
        "https://b.example.com",
        "HTTPS://API.Example.com:443/",
        "https://api.example.com",
        "https://*.CDN.example.com:443",
        "https://*.cdn.example.com",
        "http://b\u00fccher.example:8080",
        "https://*.a.example.com",
      ],
      methods: ["post", "GET", "get", "Options"],
      base: "HTTPS://API.EXAMPLE.COM",
    });
    assert.deepEqual(a.toJSON(), {
      origins: [
        "http://xn--bcher-kva.example:8080",
        API,
        "https://b.example.com",
        "https://*.a.example.com",
        "https://*.cdn.example.com",
      ],
      methods: ["GET", "POST", "OPTIONS"],
      credentials: "omit",
      max_header_count: 16,
      max_request_body_bytes: 1024 * 1024,
      max_response_body_bytes: 10 * 1024 * 1024,
      redirect: "error",
      timeout_ms: 30_000,
      max_concurrent_requests: 4,
      max_queued_requests: 64,
      max_requests_per_minute: 600,
      base: API,
    });
    // Canonicalization is idempotent, and JSON.stringify uses toJSON.
    assert.deepEqual(FetchAuthority.fromJSON(a.toJSON()).toJSON(), a.toJSON());
    assert.deepEqual(JSON.parse(JSON.stringify(a)), a.toJSON());
    // Methods default to GET only when something is granted.
    assert.deepEqual(FetchAuthority.fromJSON({ origins: [API] }).methods, ["GET"]);
    assert.deepEqual(FetchAuthority.fromJSON({}).methods, []);
    assert.deepEqual(FetchAuthority.fromJSON({ origins: [API], methods: [] }).methods, []);
    // Keys whose value is undefined are absent.
    assert.equal(FetchAuthority.fromJSON({ origins: [API], base: undefined }).base, null);
  });
});

describe("narrow()", () => {
  const parent = () =>
    FetchAuthority.fromJSON({
      origins: [API, "https://*.cdn.example.com", "http://127.0.0.1:9000"],
      methods: ["GET", "POST"],
      credentials: "same-origin",
      max_header_count: 8,
      max_request_body_bytes: 100,
      redirect: "follow",
      timeout_ms: 5000,
      base: API,
    });

  test("keeps what it is not told to change and shrinks what it is", () => {
    const child = parent().narrow({
      origins: ["https://x.cdn.example.com", "https://*.y.cdn.example.com"],
      methods: ["get"],
      credentials: "omit",
      redirect: "error",
      max_header_count: 2,
      timeout_ms: 1000,
    });
    assert.deepEqual(child.toJSON(), {
      origins: ["https://x.cdn.example.com", "https://*.y.cdn.example.com"],
      methods: ["GET"],
      credentials: "omit",
      max_header_count: 2,
      max_request_body_bytes: 100,
      max_response_body_bytes: 10 * 1024 * 1024,
      redirect: "error",
      timeout_ms: 1000,
      max_concurrent_requests: 4,
      max_queued_requests: 64,
      max_requests_per_minute: 600,
      base: API,
    });
    assert.equal(child.authorize(get("https://x.cdn.example.com/")).allowed, true);
    assert.equal(child.authorize(get("https://z.y.cdn.example.com/")).allowed, true);
    assert.equal(child.authorize(get(`${API}/`)).reason, "origin_denied");
    assert.deepEqual(parent().narrow({}).toJSON(), parent().toJSON());
  });

  test("asking for more than the parent grants is a PolicyError naming it", () => {
    const wider = [
      [{ origins: ["https://evil.test"] }, /^origins\[0\]: not granted by the parent authority$/],
      [{ origins: [API, "https://cdn.example.com"] }, /^origins\[1\]: not granted by the parent authority$/],
      [{ origins: ["https://*.example.com"] }, /^origins\[0\]: not granted by the parent authority$/],
      [{ origins: ["http://x.cdn.example.com"] }, /^origins\[0\]: not granted by the parent authority$/],
      [{ origins: ["https://*.cdn.example.com:8443"] }, /^origins\[0\]: not granted by the parent authority$/],
      [{ origins: ["https://a.com/x"] }, /^origins\[0\]: path not allowed in an origin$/],
      [{ methods: ["GET", "PUT"] }, /^methods\[1\]: PUT is not granted by the parent authority$/],
      [{ methods: ["TRACE"] }, /^methods\[0\]: TRACE is never allowed$/],
      [{ credentials: "include" }, /^credentials: "include" is wider than the parent's "same-origin"$/],
      [{ max_header_count: 9 }, /^max_header_count: 9 is wider than the parent's 8$/],
      [{ max_header_count: -1 }, /^max_header_count: -1 is outside 0\.\.64$/],
      [{ max_request_body_bytes: 101 }, /^max_request_body_bytes: 101 is wider than the parent's 100$/],
      [{ max_response_body_bytes: 10 * 1024 * 1024 + 1 }, /^max_response_body_bytes: 10485761 is wider/],
      [{ timeout_ms: 5001 }, /^timeout_ms: 5001 is wider than the parent's 5000$/],
      [{ base: "https://evil.test" }, /^narrow: unknown setting "base"$/],
      [{ wildcard: true }, /^narrow: unknown setting "wildcard"$/],
    ];
    for (const [settings, pattern] of wider) {
      assert.throws(() => parent().narrow(settings), (e) => e instanceof PolicyError && pattern.test(e.message), JSON.stringify(settings));
    }
    const strict = parent().narrow({ redirect: "error" });
    assert.throws(() => strict.narrow({ redirect: "follow" }), /^PolicyError: redirect: "follow" is wider than the parent's "error"$/);
    assert.throws(() => parent().narrow(null), PolicyError);
    assert.throws(() => parent().narrow("origins"), PolicyError);
  });

  test("settings are read once, so a list that changes between reads cannot widen a grant", () => {
    const flipping = (first, later) => {
      let reads = 0;
      return new Proxy([first], { get: (t, k) => (k === "0" ? (reads++ === 0 ? first : later) : Reflect.get(t, k)) });
    };
    assert.throws(() => parent().narrow({ methods: flipping("PUT", "GET") }), /^PolicyError: methods\[0\]: PUT is not granted/);
    assert.throws(() => parent().narrow({ origins: flipping("https://evil.test", API) }), /^PolicyError: origins\[0\]: not granted/);
    const child = parent().narrow({ methods: flipping("GET", "PUT") });
    assert.deepEqual(child.methods, ["GET"]);
  });

  test("a narrowed authority never allows what its parent denies", () => {
    const p = parent();
    const children = [
      p.narrow({ origins: [API] }),
      p.narrow({ origins: ["https://*.a.cdn.example.com"], methods: ["POST"] }),
      p.narrow({ max_header_count: 1, max_request_body_bytes: 1 }),
      p.narrow({ credentials: "omit" }),
      p.narrow({ origins: [] }),
    ];
    const urls = [`${API}/`, "/rel", "https://b.a.cdn.example.com/", "https://cdn.example.com/", "http://127.0.0.1:9000/", "https://evil.test/"];
    const methods = ["GET", "POST", "PUT", "get"];
    const bodies = [null, "", "x", "x".repeat(101)];
    const credentials = ["omit", "same-origin", "include"];
    let checked = 0;
    for (const url of urls) for (const method of methods) for (const body of bodies) for (const cred of credentials) {
      const request = { method, url, credentials: cred, body, headers: [["a", "1"], ["b", "2"]] };
      const parentSays = p.authorize(request);
      for (const child of children) {
        const childSays = child.authorize(request);
        if (childSays.allowed) assert.ok(parentSays.allowed, `child allows what the parent denies: ${JSON.stringify(request)}`);
        checked++;
      }
    }
    assert.ok(checked > 1000);
  });

  test("denyAll() narrows to nothing but itself", () => {
    const none = FetchAuthority.denyAll();
    assert.deepEqual(none.narrow({}).toJSON(), none.toJSON());
    assert.throws(() => none.narrow({ origins: [API] }), /origins\[0\]: not granted/);
    assert.throws(() => none.narrow({ methods: ["GET"] }), /methods\[0\]: GET is not granted/);
  });
});

describe("request rate and concurrency limits", () => {
  const KEYS = ["max_concurrent_requests", "max_queued_requests", "max_requests_per_minute"];

  test("defaults are 4 in flight, 64 waiting, 600 a minute; deny-all has the smallest", () => {
    const defaults = FetchAuthority.fromJSON({});
    assert.deepEqual(KEYS.map((key) => defaults[key]), [4, 64, 600]);
    assert.deepEqual(KEYS.map((key) => defaults.toJSON()[key]), [4, 64, 600]);
    const none = FetchAuthority.denyAll();
    assert.deepEqual(KEYS.map((key) => none[key]), [1, 0, 1]);
    // deny-all's limits are loadable, so its canonical form round-trips.
    assert.deepEqual(FetchAuthority.fromJSON(none.toJSON()).toJSON(), none.toJSON());
  });

  test("loaded values are kept, serialized by toJSON and round-trip", () => {
    const a = FetchAuthority.fromJSON({ origins: [API], max_concurrent_requests: 2, max_queued_requests: 0, max_requests_per_minute: 60_000 });
    assert.deepEqual([a.max_concurrent_requests, a.max_queued_requests, a.max_requests_per_minute], [2, 0, 60_000]);
    const doc = a.toJSON();
    assert.deepEqual([doc.max_concurrent_requests, doc.max_queued_requests, doc.max_requests_per_minute], [2, 0, 60_000]);
    assert.deepEqual(FetchAuthority.fromJSON(doc).toJSON(), doc);
    assert.deepEqual(FetchAuthority.fromJSON(JSON.stringify(a)).toJSON(), doc);
    const text = '{"max_concurrent_requests": 64, "max_queued_requests": 10000, "max_requests_per_minute": 1}';
    assert.deepEqual(KEYS.map((key) => FetchAuthority.fromJSON(text)[key]), [64, 10_000, 1]);
  });

  test("out of range, booleans and floats are PolicyErrors naming the key", () => {
    const cases = [
      [{ max_concurrent_requests: 0 }, /^max_concurrent_requests: 0 is outside 1\.\.64$/],
      [{ max_concurrent_requests: 65 }, /^max_concurrent_requests: 65 is outside 1\.\.64$/],
      [{ max_concurrent_requests: true }, /^max_concurrent_requests: must be an integer, got a boolean$/],
      [{ max_queued_requests: -1 }, /^max_queued_requests: -1 is outside 0\.\.10000$/],
      [{ max_queued_requests: 10_001 }, /^max_queued_requests: 10001 is outside 0\.\.10000$/],
      [{ max_queued_requests: false }, /^max_queued_requests: must be an integer, got a boolean$/],
      [{ max_requests_per_minute: 0 }, /^max_requests_per_minute: 0 is outside 1\.\.60000$/],
      [{ max_requests_per_minute: 60_001 }, /^max_requests_per_minute: 60001 is outside 1\.\.60000$/],
      [{ max_requests_per_minute: 1.5 }, /^max_requests_per_minute: must be an integer, got a float$/],
      [{ max_requests_per_minute: null }, /^max_requests_per_minute: must be an integer, got null$/],
    ];
    for (const [document, pattern] of cases) {
      assert.throws(() => FetchAuthority.fromJSON(document), (e) => e instanceof PolicyError && pattern.test(e.message), JSON.stringify(document));
    }
  });

  test("narrow() may only lower them", () => {
    const parent = FetchAuthority.fromJSON({ origins: [API], max_concurrent_requests: 8, max_queued_requests: 10, max_requests_per_minute: 100 });
    const child = parent.narrow({ max_concurrent_requests: 1, max_queued_requests: 0, max_requests_per_minute: 99 });
    assert.deepEqual(KEYS.map((key) => child[key]), [1, 0, 99]);
    assert.deepEqual(KEYS.map((key) => child.toJSON()[key]), [1, 0, 99]);
    assert.deepEqual(KEYS.map((key) => parent.narrow({ origins: [API] })[key]), [8, 10, 100]);
    assert.deepEqual(KEYS.map((key) => parent.narrow({ max_queued_requests: 10 })[key]), [8, 10, 100]);
    const wider = [
      [{ max_concurrent_requests: 9 }, /^max_concurrent_requests: 9 is wider than the parent's 8$/],
      [{ max_queued_requests: 11 }, /^max_queued_requests: 11 is wider than the parent's 10$/],
      [{ max_requests_per_minute: 101 }, /^max_requests_per_minute: 101 is wider than the parent's 100$/],
      [{ max_concurrent_requests: 0 }, /^max_concurrent_requests: 0 is outside 1\.\.64$/],
      [{ max_queued_requests: true }, /^max_queued_requests: must be an integer, got a boolean$/],
    ];
    for (const [settings, pattern] of wider) {
      assert.throws(() => parent.narrow(settings), (e) => e instanceof PolicyError && pattern.test(e.message), JSON.stringify(settings));
    }
    const none = FetchAuthority.denyAll();
    assert.throws(() => none.narrow({ max_concurrent_requests: 2 }), /^PolicyError: max_concurrent_requests: 2 is wider than the parent's 1$/);
    assert.throws(() => none.narrow({ max_queued_requests: 1 }), /^PolicyError: max_queued_requests: 1 is wider than the parent's 0$/);
  });

  test("authorize() is stateless and never rate-limits", () => {
    const a = FetchAuthority.fromJSON({ origins: [API], max_concurrent_requests: 1, max_queued_requests: 0, max_requests_per_minute: 1 });
    for (let i = 0; i < 50; i++) {
      assert.deepEqual(decide(a, get(`${API}/${i}`)), { allowed: true, reason: null, origin: API });
    }
  });
});

describe("immutability", () => {
  test("authorities, their arrays, decisions, the class and its prototype are frozen", () => {
    const a = grant();
    for (const value of [a, a.origins, a.methods, a.authorize(get(API)), a.authorize(42), FetchAuthority, FetchAuthority.prototype, DenyReason]) {
      assert.ok(Object.isFrozen(value));
    }
    assert.throws(() => {
      "use strict";
      /** @type {any} */ (a).credentials = "include";
    }, TypeError);
    assert.throws(() => /** @type {any} */ (a.origins).push("https://evil.test"), TypeError);
    assert.throws(() => {
      /** @type {any} */ (FetchAuthority.prototype).authorize = () => ({ allowed: true });
    }, TypeError);
    assert.equal(a.authorize(get("https://evil.test/")).reason, "origin_denied");
    // Mutating a returned policy document changes nothing.
    const doc = a.toJSON();
    doc.origins.push("https://evil.test");
    doc.credentials = "include";
    assert.equal(a.authorize(get("https://evil.test/")).reason, "origin_denied");
    assert.deepEqual(a.toJSON().origins, grant().toJSON().origins);
  });

  test("the grant state is private; the constructor is not public", () => {
    const a = grant();
    assert.deepEqual(Object.keys(a).sort(), [
      "base", "credentials", "max_concurrent_requests", "max_header_count", "max_queued_requests", "max_request_body_bytes",
      "max_requests_per_minute", "max_response_body_bytes", "methods", "origins", "redirect", "timeout_ms",
    ]);
    assert.throws(() => new /** @type {any} */ (FetchAuthority)(), TypeError);
    assert.throws(() => new /** @type {any} */ (FetchAuthority)(Symbol("FetchAuthority construction"), {}), TypeError);
    // Borrowing the method for another object does not leak or throw.
    assert.deepEqual(decide(/** @type {any} */ ({ authorize: a.authorize }), get(API)), { allowed: false, reason: "invalid_request", origin: null });
  });

  test("a policy object mutated after loading does not change the authority", () => {
    const policy = { origins: [API], methods: ["GET"] };
    const a = FetchAuthority.fromJSON(policy);
    policy.origins.push("https://evil.test");
    policy.methods.push("POST");
    assert.equal(a.authorize(get("https://evil.test/")).reason, "origin_denied");
    assert.deepEqual(a.methods, ["GET"]);
  });
});

describe("totality", () => {
  test("hostile inputs always give a frozen denial, quickly", () => {
    const a = grant();
    const big = "a".repeat(10 * 1024 * 1024);
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const throwing = new Proxy({}, { get() { throw new Error("boom"); } });
    const getterThrows = { method: "GET", get url() { throw new Error("boom"); } };
    // Claims four billion pairs; reading more than a few of them means the count was not checked first.
    let pairsRead = 0;
    const endlessHeaders = new Proxy([], {
      get: (t, k) => {
        if (k === "length") return 2 ** 32 - 1;
        if (++pairsRead > 1000) throw new Error("read far past the header limit");
        return ["x", "y"];
      },
    });
    const weirdLength = new Proxy([], { get: (t, k) => (k === "length" ? "many" : undefined) });
    const pairThrows = [new Proxy(["a", "b"], { get() { throw new Error("boom"); } })];
    const inputs = [
      undefined, null, 0, 1n, NaN, "", "GET https://api.example.com/", true, Symbol("x"), () => {}, [], [API],
      new Date(), /x/, new Map(), Object.create(null), revocable.proxy, throwing, getterThrows,
      { method: "GET" }, { url: API }, { method: null, url: API }, { method: "GET", url: new URL(API) },
      { method: new String("GET"), url: API }, { method: "GET", url: API, credentials: null },
      { method: "GET", url: API, credentials: "INCLUDE" }, { method: "GET", url: API, credentials: "__proto__" },
      { method: "GET", url: API, headers: endlessHeaders }, { method: "GET", url: API, headers: weirdLength },
      { method: "GET", url: API, headers: pairThrows },
      { method: big, url: API }, { method: "GET", url: big }, { method: "GET", url: `${API}/${big}` },
      { method: "GET", url: API, headers: [[big, "v"]] }, { method: "GET", url: API, headers: [["x", big]] },
      { method: "POST", url: API, body: big }, { method: "POST", url: API, body: `${big}\ud800` },
      { method: "GET\u0000", url: API }, { method: "GET", url: `${API}\u0000` }, { method: "GET", url: "\u0000".repeat(9000) },
      { method: "\ud800", url: API }, { method: "GET", url: "\ud800".repeat(9000) },
      { method: "GET", url: "https://" + "\ufdfa".repeat(900) + ".example/" },
      { method: "GET", url: "https://xn--" + "a".repeat(8000) + "/" },
      { method: "GET", url: "https://" + "a.".repeat(4090) + "cdn.example.com/" },
      { method: "GET", url: `https://api.example.com:${"0".repeat(8000)}1/` },
      { method: "GET", url: "[".repeat(8000) }, { method: "GET", url: "https://[" + ":".repeat(8000) + "]/" },
      { method: "GET", url: "https://" + "%ff".repeat(2700) + "/" },
    ];
    for (const input of inputs) {
      const started = performance.now();
      let decision;
      assert.doesNotThrow(() => {
        decision = a.authorize(input);
      });
      const elapsed = performance.now() - started;
      assert.ok(Object.isFrozen(decision));
      assert.deepEqual(Object.keys(decision), ["allowed", "reason", "origin"]);
      assert.equal(typeof decision.allowed, "boolean");
      assert.ok(decision.reason === null || Object.values(DenyReason).includes(decision.reason));
      assert.ok(elapsed < 500, `decision took ${elapsed.toFixed(0)} ms`);
      if (input === null || typeof input !== "object") {
        assert.deepEqual({ ...decision }, { allowed: false, reason: "invalid_request", origin: null });
      }
    }
    // The ones that are well-formed but long are judged on their merits.
    assert.equal(a.authorize({ method: "GET", url: API, headers: [["x", big]] }).allowed, true);
    assert.equal(a.authorize({ method: "GET", url: API, headers: endlessHeaders }).reason, "header_count_exceeded");
    assert.equal(a.authorize({ method: "GET", url: API, headers: weirdLength }).reason, "invalid_request");
    assert.equal(a.authorize({ method: "GET", url: API, headers: pairThrows }).reason, "invalid_request");
    assert.equal(a.authorize({ method: "POST", url: API, body: big }).reason, "body_too_large");
    assert.equal(a.authorize({ method: "POST", url: API, body: `${big}\ud800` }).reason, "invalid_request");
    assert.equal(a.authorize({ method: "GET", url: `https://api.example.com:${"0".repeat(8000)}443/` }).allowed, true);
  });

  test("every control character and space in a host is refused or stripped, never misread", () => {
    const a = FetchAuthority.fromJSON({ origins: [API] });
    for (let cp = 0; cp <= 0x20; cp++) {
      const ch = String.fromCharCode(cp);
      for (const url of [`https://api${ch}.example.com/`, `https://api.example.com${ch}/`, `${ch}${API}/${ch}`]) {
        const d = a.authorize(get(url));
        let whatwg = null;
        try {
          whatwg = new URL(url).origin;
        } catch {
          // refused by the platform parser as well
        }
        if (d.allowed) assert.equal(d.origin, whatwg, JSON.stringify(url));
        else assert.ok(["invalid_url", "origin_denied"].includes(/** @type {string} */ (d.reason)), JSON.stringify(url));
      }
    }
  });

  test("canonicalOrigin never throws and returns null where the policy would refuse the URL", () => {
    for (const value of [undefined, null, 1, {}, "", "/x", "javascript:x", "https://\ud800/", "https://a b/", "x".repeat(10_000_000)]) {
      assert.equal(canonicalOrigin(value), null);
    }
    assert.equal(canonicalOrigin("/x", "https://A.com:443/"), "https://a.com");
    assert.equal(canonicalOrigin("/x", "https://a.com/path"), null);
    assert.equal(canonicalOrigin("/x", 7), null);
    assert.equal(canonicalOrigin("https://u:p@a.com/"), "https://a.com");
  });
});

test("js_bridge/index.mjs re-exports the policy API", () => {
  assert.equal(bridgeIndex.FetchAuthority, FetchAuthority);
  assert.equal(bridgeIndex.PolicyError, PolicyError);
  assert.equal(bridgeIndex.DenyReason, DenyReason);
  assert.equal(bridgeIndex.canonicalOrigin, canonicalOrigin);
});
