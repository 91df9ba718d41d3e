// @ts-check
/**
 * FetchAuthority in JavaScript: the default-deny fetch policy of docs/policy.md.
 *
 * The fetch bridge re-checks every request with this module before it calls `fetch`. It makes
 * the same decisions as `browser_rt.policy` (Python) on the shared conformance vectors
 * (tests/vectors/fetch_policy.json), but every origin it reports comes from the platform's own
 * WHATWG `URL` parser, which is what `fetch` contacts. Around `URL` it scans the input itself
 * for what `URL` hides (userinfo, even empty; relative input without a declared base; the
 * scheme before parsing), and it refuses the internationalized hosts the Python parser refuses,
 * so that both implementations deny the same requests.
 *
 * Plain ES module, no dependencies, no build step.
 */

// ---------------------------------------------------------------------------------------------
// Public constants

/**
 * Why a request was denied. The strings are stable: Python, the vectors and the bridge use them.
 * @type {Readonly<{
 *   INVALID_REQUEST: "invalid_request", INVALID_URL: "invalid_url", SCHEME_DENIED: "scheme_denied",
 *   USERINFO_DENIED: "userinfo_denied", ORIGIN_DENIED: "origin_denied",
 *   INVALID_METHOD: "invalid_method", METHOD_FORBIDDEN: "method_forbidden",
 *   METHOD_DENIED: "method_denied", CREDENTIALS_DENIED: "credentials_denied",
 *   HEADER_COUNT_EXCEEDED: "header_count_exceeded", INVALID_HEADER: "invalid_header",
 *   FORBIDDEN_HEADER: "forbidden_header", BODY_NOT_ALLOWED: "body_not_allowed",
 *   BODY_TOO_LARGE: "body_too_large", ORIGIN_MISMATCH: "origin_mismatch",
 *   RATE_LIMITED: "rate_limited",
 * }>}
 */
export const DenyReason = Object.freeze({
  INVALID_REQUEST: "invalid_request",
  INVALID_URL: "invalid_url",
  SCHEME_DENIED: "scheme_denied",
  USERINFO_DENIED: "userinfo_denied",
  ORIGIN_DENIED: "origin_denied",
  INVALID_METHOD: "invalid_method",
  METHOD_FORBIDDEN: "method_forbidden",
  METHOD_DENIED: "method_denied",
  CREDENTIALS_DENIED: "credentials_denied",
  HEADER_COUNT_EXCEEDED: "header_count_exceeded",
  INVALID_HEADER: "invalid_header",
  FORBIDDEN_HEADER: "forbidden_header",
  BODY_NOT_ALLOWED: "body_not_allowed",
  BODY_TOO_LARGE: "body_too_large",
  /** Given only by the fetch bridge's re-check (Python's origin differs from the browser's); never by `authorize`. */
  ORIGIN_MISMATCH: "origin_mismatch",
  /**
   * Given only by the request limiters (the bridge's, and Python's mirror), never by `authorize`:
   * a per-runtime rate or concurrency limit is reached. `authorize` is stateless; counting is not.
   */
  RATE_LIMITED: "rate_limited",
});

/** A policy could not be loaded or narrowed; the message names the offending entry. */
export class PolicyError extends Error {}
Object.defineProperty(PolicyError.prototype, "name", { value: "PolicyError" });
Object.freeze(PolicyError.prototype);
Object.freeze(PolicyError);

/** Requests whose URL is longer than this many code points are denied as invalid_url. */
const MAX_URL_LENGTH = 8192;
/** A policy JSON text may be at most this many UTF-8 bytes. */
const MAX_POLICY_JSON_BYTES = 65_536;
const MAX_ORIGINS = 1000;
const MAX_METHOD_ENTRIES = 16;
/** Nesting beyond this in a policy JSON text is refused rather than recursed into. */
const MAX_JSON_DEPTH = 32;
/** UTS-46 mapping input limit of the Python side (the `idna` package): longer domains fail. */
const IDNA_MAX_INPUT = 1024;

const STANDARD_METHODS = Object.freeze(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
const NEVER_ALLOWED_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const FETCH_NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const BODYLESS_METHODS = new Set(["GET", "HEAD"]);
const CREDENTIAL_MODES = Object.freeze(["omit", "same-origin", "include"]);
const CREDENTIAL_RANK = new Map(CREDENTIAL_MODES.map((mode, rank) => [mode, rank]));
const REDIRECT_MODES = Object.freeze(["error", "follow"]);
const SPECIAL_SCHEMES = new Set(["http", "https"]);

/** @typedef {{ low: number, high: number, fallback: number }} Limit */
/** @type {ReadonlyMap<string, Limit>} */
const LIMITS = new Map([
  ["max_header_count", { fallback: 16, low: 0, high: 64 }],
  ["max_request_body_bytes", { fallback: 1 << 20, low: 0, high: 16 << 20 }],
  ["max_response_body_bytes", { fallback: 10 << 20, low: 1, high: 256 << 20 }],
  ["timeout_ms", { fallback: 30_000, low: 1, high: 300_000 }],
  // Per runtime. Below browsers' six connections per host, so the page's own requests find one free.
  ["max_concurrent_requests", { fallback: 4, low: 1, high: 64 }],
  ["max_queued_requests", { fallback: 64, low: 0, high: 10_000 }],
  ["max_requests_per_minute", { fallback: 600, low: 1, high: 60_000 }],
]);
const POLICY_KEYS = new Set(["origins", "methods", "credentials", "redirect", "base", ...LIMITS.keys()]);

const FORBIDDEN_HEADER_NAMES = new Set([
  "accept-charset",
  "accept-encoding",
  "access-control-request-headers",
  "access-control-request-method",
  "connection",
  "content-length",
  "cookie",
  "cookie2",
  "date",
  "dnt",
  "expect",
  "host",
  "keep-alive",
  "origin",
  "referer",
  "set-cookie",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "via",
  // Method-override headers turn a granted GET into a DELETE on many servers.
  "x-http-method",
  "x-http-method-override",
  "x-method-override",
]);

/** RFC 9110 `token`: what a method or a header name may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header values: no NUL, CR or LF, and nothing above U+00FF (fetch wants a ByteString). */
const BAD_HEADER_VALUE = /[\0\r\n\u0100-\uffff]/;
const ASCII_ONLY = /^[\0-\x7f]*$/;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.\-]*:/;
const AUTHORITY_END = /[/\\?#]/;
const GRANT_FORM = /^([A-Za-z][A-Za-z0-9+.\-]*):\/\/([^/?#\\]*)([\s\S]*)$/;
const GRANT_UNSAFE = /[\0-\x20\x7f]/;
const IPV4_LIKE = /^(?:[0-9.]+|.*\.(?:0[xX][0-9a-fA-F]*|[0-9]+)\.?)$/;

// ---------------------------------------------------------------------------------------------
// Small helpers

/**
 * True when `text` has no lone surrogate.
 * @param {string} text
 */
function isWellFormed(text) {
  const own = /** @type {any} */ (String.prototype).isWellFormed;
  if (typeof own === "function") return own.call(text);
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/**
 * True when `text` has more than `max` code points; cheap for huge strings.
 * @param {string} text
 * @param {number} max
 */
function longerThanCodePoints(text, max) {
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    if (++count > max) return true;
  }
  return false;
}

/**
 * Number of code points (a lone surrogate counts as one).
 * @param {string} text
 */
function codePointCount(text) {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * True when the UTF-8 form of `text` is longer than `limit` bytes, without counting when the
 * answer is clear: every UTF-16 unit takes at least one byte and at most three.
 * @param {string} text
 * @param {number} limit
 */
function utf8LongerThan(text, limit) {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8Exact(text) > limit;
}

/**
 * UTF-8 length of `text` in bytes; a lone surrogate counts as 3 bytes (it goes on the wire as
 * U+FFFD, and Python counts it as 3 bytes too).
 * @param {string} text
 */
function utf8Exact(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Python's `str.strip()` whitespace, so that `" * "` is refused as a bare `*` like in Python. */
const PY_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
]);

/** @param {string} text */
function pyStrip(text) {
  let start = 0;
  let end = text.length;
  while (start < end && PY_WHITESPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PY_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** A JSON number written with a fraction or an exponent: a float, never an integer. */
class JsonFloat {
  /** @param {number} value */
  constructor(value) {
    this.value = value;
    Object.freeze(this);
  }
}

/**
 * The Python type name of a policy value, for messages that must read like Python's.
 * @param {unknown} value
 */
function pyTypeName(value) {
  if (value === null || value === undefined) return "NoneType";
  if (value instanceof JsonFloat) return "float";
  switch (typeof value) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(value) ? "int" : "float";
    case "bigint":
      return "int";
    case "function":
      return "function";
    case "symbol":
      return "symbol";
    default:
      break;
  }
  if (Array.isArray(value)) return "list";
  const proto = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return "dict";
  const name = proto?.constructor?.name;
  return typeof name === "string" && name !== "" ? name : "object";
}

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/**
 * A bounded, Python-like repr for messages: a hostile value cannot flood them.
 * @param {unknown} value
 * @param {number} [budget]
 * @returns {string}
 */
function pyRepr(value, budget = 64) {
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    let out = quote;
    for (const ch of value) {
      if (out.length > budget) break;
      const cp = /** @type {number} */ (ch.codePointAt(0));
      if (ch === quote || ch === "\\") out += `\\${ch}`;
      else if (ch === "\t") out += "\\t";
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch !== " " && NON_PRINTABLE.test(ch)) {
        if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, "0")}`;
        else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, "0")}`;
        else out += `\\U${cp.toString(16).padStart(8, "0")}`;
      } else out += ch;
    }
    return out + quote;
  }
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (value instanceof JsonFloat || (typeof value === "number" && !Number.isInteger(value))) {
    const number = value instanceof JsonFloat ? value.value : /** @type {number} */ (value);
    if (Number.isNaN(number)) return "nan";
    if (!Number.isFinite(number)) return number > 0 ? "inf" : "-inf";
    const text = String(number);
    return /[.e]/.test(text) ? text : `${text}.0`;
  }
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) {
    const parts = [];
    let used = 2;
    for (let i = 0; i < value.length && used <= budget; i++) {
      const part = pyRepr(value[i], budget - used);
      parts.push(part);
      used += part.length + 2;
    }
    return `[${parts.join(", ")}${parts.length < value.length ? ", ..." : ""}]`;
  }
  if (typeof value === "object") {
    const parts = [];
    let used = 2;
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length && used <= budget; i++) {
      const part = `${pyRepr(keys[i], budget - used)}: ${pyRepr(/** @type {any} */ (value)[keys[i]], budget - used)}`;
      parts.push(part);
      used += part.length + 2;
    }
    return `{${parts.join(", ")}${parts.length < keys.length ? ", ..." : ""}}`;
  }
  return `<${pyTypeName(value)}>`;
}

/**
 * `pyRepr` cut to `limit` code points, as Python's messages do.
 * @param {unknown} value
 * @param {number} [limit]
 */
function short(value, limit = 40) {
  const text = pyRepr(value, limit + 8);
  const points = Array.from(text);
  return points.length <= limit ? text : `${points.slice(0, limit - 3).join("")}...`;
}

// ---------------------------------------------------------------------------------------------
// Unicode data for the host checks

/**
 * Code points whose Unicode Bidi_Class is R, AL or AN (Unicode 15.1, as Python's
 * `unicodedata.bidirectional` reports them). A host label holding one of them is refused: the
 * Python side refuses right-to-left labels outright instead of reimplementing the Bidi Rule.
 */
const RTL_RANGES_TEXT =
  "5be 5c0 5c3 5c6 5d0-5ea 5ef-5f4 600-605 608 60b 60d 61b-64a 660-669 66b-66f 671-6d5 6dd " +
  "6e5-6e6 6ee-6ef 6fa-70d 70f-710 712-72f 74d-7a5 7b1 7c0-7ea 7f4-7f5 7fa 7fe-815 81a 824 828 " +
  "830-83e 840-858 85e 860-86a 870-88e 890-891 8a0-8c9 8e2 200f fb1d fb1f-fb28 fb2a-fb36 " +
  "fb38-fb3c fb3e fb40-fb41 fb43-fb44 fb46-fbc2 fbd3-fd3d fd50-fd8f fd92-fdc7 fdf0-fdfc " +
  "fe70-fe74 fe76-fefc 10800-10805 10808 1080a-10835 10837-10838 1083c 1083f-10855 10857-1089e " +
  "108a7-108af 108e0-108f2 108f4-108f5 108fb-1091b 10920-10939 1093f 10980-109b7 109bc-109cf " +
  "109d2-10a00 10a10-10a13 10a15-10a17 10a19-10a35 10a40-10a48 10a50-10a58 10a60-10a9f " +
  "10ac0-10ae4 10aeb-10af6 10b00-10b35 10b40-10b55 10b58-10b72 10b78-10b91 10b99-10b9c " +
  "10ba9-10baf 10c00-10c48 10c80-10cb2 10cc0-10cf2 10cfa-10d23 10d30-10d39 10e60-10e7e " +
  "10e80-10ea9 10ead 10eb0-10eb1 10f00-10f27 10f30-10f45 10f51-10f59 10f70-10f81 10f86-10f89 " +
  "10fb0-10fcb 10fe0-10ff6 1e800-1e8c4 1e8c7-1e8cf 1e900-1e943 1e94b 1e950-1e959 1e95e-1e95f " +
  "1ec71-1ecb4 1ed01-1ed3d 1ee00-1ee03 1ee05-1ee1f 1ee21-1ee22 1ee24 1ee27 1ee29-1ee32 " +
  "1ee34-1ee37 1ee39 1ee3b 1ee42 1ee47 1ee49 1ee4b 1ee4d-1ee4f 1ee51-1ee52 1ee54 1ee57 1ee59 " +
  "1ee5b 1ee5d 1ee5f 1ee61-1ee62 1ee64 1ee67-1ee6a 1ee6c-1ee72 1ee74-1ee77 1ee79-1ee7c 1ee7e " +
  "1ee80-1ee89 1ee8b-1ee9b 1eea1-1eea3 1eea5-1eea9 1eeab-1eebb ";

/** @type {Uint32Array} */
const RTL_RANGES = (() => {
  const parts = RTL_RANGES_TEXT.trim().split(/\s+/);
  const out = new Uint32Array(parts.length * 2);
  parts.forEach((part, index) => {
    const [start, end = start] = part.split("-");
    out[index * 2] = parseInt(start, 16);
    out[index * 2 + 1] = parseInt(end, 16);
  });
  return out;
})();

/** @param {number} cp */
function isRightToLeft(cp) {
  let low = 0;
  let high = RTL_RANGES.length / 2 - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (cp < RTL_RANGES[mid * 2]) high = mid - 1;
    else if (cp > RTL_RANGES[mid * 2 + 1]) low = mid + 1;
    else return true;
  }
  return false;
}

// Punycode (RFC 3492), for the `xn--` labels of hosts.
const PUNY_BASE = 36;
const PUNY_TMIN = 1;
const PUNY_TMAX = 26;
const PUNY_SKEW = 38;
const PUNY_DAMP = 700;
const PUNY_INITIAL_BIAS = 72;
const PUNY_INITIAL_N = 128;
const PUNY_MAX = 0x7fffffff;

/**
 * @param {number} delta
 * @param {number} numPoints
 * @param {boolean} firstTime
 */
function punyAdapt(delta, numPoints, firstTime) {
  let d = firstTime ? Math.floor(delta / PUNY_DAMP) : Math.floor(delta / 2);
  d += Math.floor(d / numPoints);
  let k = 0;
  while (d > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) >> 1) {
    d = Math.floor(d / (PUNY_BASE - PUNY_TMIN));
    k += PUNY_BASE;
  }
  return k + Math.floor(((PUNY_BASE - PUNY_TMIN + 1) * d) / (d + PUNY_SKEW));
}

/**
 * @param {number} k
 * @param {number} bias
 */
function punyThreshold(k, bias) {
  return k <= bias ? PUNY_TMIN : k >= bias + PUNY_TMAX ? PUNY_TMAX : k - bias;
}

/**
 * Decode the part of an ACE label after `xn--`; null when it is not valid Punycode.
 * @param {string} input
 * @returns {string | null}
 */
function punycodeDecode(input) {
  const delimiter = input.lastIndexOf("-");
  const basicEnd = delimiter < 0 ? 0 : delimiter;
  /** @type {number[]} */
  const output = [];
  for (let j = 0; j < basicEnd; j++) {
    const unit = input.charCodeAt(j);
    if (unit >= 0x80) return null;
    output.push(unit);
  }
  let n = PUNY_INITIAL_N;
  let i = 0;
  let bias = PUNY_INITIAL_BIAS;
  for (let index = basicEnd > 0 ? basicEnd + 1 : 0; index < input.length; ) {
    const oldi = i;
    let w = 1;
    for (let k = PUNY_BASE; ; k += PUNY_BASE) {
      if (index >= input.length) return null;
      const unit = input.charCodeAt(index++);
      const digit =
        unit >= 0x30 && unit <= 0x39 ? unit - 22 : unit >= 0x41 && unit <= 0x5a ? unit - 0x41 : unit >= 0x61 && unit <= 0x7a ? unit - 0x61 : PUNY_BASE;
      if (digit >= PUNY_BASE) return null;
      if (digit > Math.floor((PUNY_MAX - i) / w)) return null;
      i += digit * w;
      const t = punyThreshold(k, bias);
      if (digit < t) break;
      if (w > Math.floor(PUNY_MAX / (PUNY_BASE - t))) return null;
      w *= PUNY_BASE - t;
    }
    const length = output.length + 1;
    bias = punyAdapt(i - oldi, length, oldi === 0);
    if (Math.floor(i / length) > PUNY_MAX - n) return null;
    n += Math.floor(i / length);
    i %= length;
    if (n > 0x10ffff) return null;
    output.splice(i, 0, n);
    i++;
  }
  let text = "";
  for (const cp of output) text += String.fromCodePoint(cp);
  return text;
}

/**
 * Encode a label with Punycode (without the `xn--` prefix), as Python's "punycode" codec does.
 * @param {string} input
 * @returns {string | null}
 */
function punycodeEncode(input) {
  const points = Array.from(input, (ch) => /** @type {number} */ (ch.codePointAt(0)));
  let out = "";
  for (const cp of points) if (cp < 0x80) out += String.fromCharCode(cp);
  const basicCount = out.length;
  let handled = basicCount;
  if (basicCount > 0) out += "-";
  let n = PUNY_INITIAL_N;
  let delta = 0;
  let bias = PUNY_INITIAL_BIAS;
  while (handled < points.length) {
    let m = PUNY_MAX;
    for (const cp of points) if (cp >= n && cp < m) m = cp;
    if (m - n > Math.floor((PUNY_MAX - delta) / (handled + 1))) return null;
    delta += (m - n) * (handled + 1);
    n = m;
    for (const cp of points) {
      if (cp < n && ++delta > PUNY_MAX) return null;
      if (cp === n) {
        let q = delta;
        for (let k = PUNY_BASE; ; k += PUNY_BASE) {
          const t = punyThreshold(k, bias);
          if (q < t) break;
          const digit = t + ((q - t) % (PUNY_BASE - t));
          out += String.fromCharCode(digit < 26 ? 0x61 + digit : 0x16 + digit);
          q = Math.floor((q - t) / (PUNY_BASE - t));
        }
        out += String.fromCharCode(q < 26 ? 0x61 + q : 0x16 + q);
        bias = punyAdapt(delta, handled + 1, handled === basicCount);
        delta = 0;
        handled++;
      }
    }
    delta++;
    n++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hosts: refuse what the Python parser refuses, on top of what WHATWG refuses

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Percent-decode a host and decode the bytes as UTF-8; null when they are not UTF-8.
 * @param {string} text
 * @returns {string | null}
 */
function percentDecodeUtf8(text) {
  if (!text.includes("%")) return text;
  const raw = UTF8_ENCODER.encode(text);
  const out = new Uint8Array(raw.length);
  let j = 0;
  for (let i = 0; i < raw.length; ) {
    if (raw[i] === 0x25 && i + 2 < raw.length && isHexByte(raw[i + 1]) && isHexByte(raw[i + 2])) {
      out[j++] = (hexValue(raw[i + 1]) << 4) | hexValue(raw[i + 2]);
      i += 3;
    } else {
      out[j++] = raw[i++];
    }
  }
  try {
    return UTF8_DECODER.decode(out.subarray(0, j));
  } catch {
    return null;
  }
}

/** @param {number} byte */
function isHexByte(byte) {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** @param {number} byte */
function hexValue(byte) {
  return byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x61 + 10;
}

/**
 * The validity rules both sides apply to a non-ASCII label (after UTS-46 mapping): NFC, no
 * leading combining mark, and, refused outright rather than judged, joiners and right-to-left
 * characters.
 * @param {string} label
 */
function unicodeLabelAccepted(label) {
  if (label.normalize("NFC") !== label) return false;
  if (/^\p{M}/u.test(label)) return false;
  if (/[\u200c\u200d]/.test(label)) return false;
  for (const ch of label) {
    if (isRightToLeft(/** @type {number} */ (ch.codePointAt(0)))) return false;
  }
  return true;
}

/**
 * An `xn--` label of the WHATWG host: it must be the canonical Punycode of a non-ASCII label in
 * UTS-46 mapped form that passes `unicodeLabelAccepted`.
 * @param {string} label lower-case ASCII, starting with `xn--`
 */
function aceLabelAccepted(label) {
  const encoded = label.slice(4);
  const decoded = punycodeDecode(encoded);
  if (decoded === null || decoded === "" || ASCII_ONLY.test(decoded) || !isWellFormed(decoded)) return false;
  if (punycodeEncode(decoded) !== encoded) return false;
  if (!unicodeLabelAccepted(decoded)) return false;
  // Mapped form: the platform's UTS-46 mapping must leave the decoded label as it is.
  try {
    return new URL(`http://${encodeURIComponent(decoded)}/`).hostname === label;
  } catch {
    return false;
  }
}

/**
 * True when the Python parser accepts the host that WHATWG serialized as `asciiHost`.
 * @param {string} hostText the host as written in the URL (before percent-decoding)
 * @param {string} asciiHost `new URL(...).hostname`
 */
function hostAcceptedByPolicy(hostText, asciiHost) {
  if (hostText.startsWith("[")) return true;
  const domain = percentDecodeUtf8(hostText);
  if (domain === null) return false;
  if (ASCII_ONLY.test(domain) && !domain.toLowerCase().includes("xn--")) return true;
  if (codePointCount(domain) > IDNA_MAX_INPUT) return false;
  for (const label of asciiHost.split(".")) {
    if (label.startsWith("xn--") && !aceLabelAccepted(label)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// URLs

/**
 * @typedef {{ scheme: string, origin: string }} BaseOrigin
 * @typedef {{ ok: false, reason: "invalid_url" | "scheme_denied", detail: string }} UrlRejected
 * @typedef {{ ok: true, origin: string, scheme: string, hostname: string, port: string,
 *             userinfo: boolean }} UrlAccepted
 */

/**
 * @param {UrlRejected["reason"]} reason
 * @param {string} detail
 * @returns {UrlRejected}
 */
function urlRejected(reason, detail) {
  return { ok: false, reason, detail };
}

/**
 * Parser step 1: strip leading and trailing C0 controls and spaces, remove tab, LF and CR.
 * @param {string} input
 */
function stripUrl(input) {
  let start = 0;
  let end = input.length;
  while (start < end && input.charCodeAt(start) <= 0x20) start++;
  while (end > start && input.charCodeAt(end - 1) <= 0x20) end--;
  const text = input.slice(start, end);
  return /[\t\n\r]/.test(text) ? text.replace(/[\t\n\r]/g, "") : text;
}

/** @param {string} text */
function startsWithTwoSlashes(text) {
  return text.length >= 2 && (text[0] === "/" || text[0] === "\\") && (text[1] === "/" || text[1] === "\\");
}

/** @param {string} text */
function skipSlashes(text) {
  let i = 0;
  while (i < text.length && (text[i] === "/" || text[i] === "\\")) i++;
  return text.slice(i);
}

/**
 * Split `host[:port]` at the first `:` outside brackets.
 * @param {string} hostAndPort
 * @returns {[string, string | null]}
 */
function splitPort(hostAndPort) {
  let insideBrackets = false;
  for (let i = 0; i < hostAndPort.length; i++) {
    const ch = hostAndPort[i];
    if (ch === "[") insideBrackets = true;
    else if (ch === "]") insideBrackets = false;
    else if (ch === ":" && !insideBrackets) return [hostAndPort.slice(0, i), hostAndPort.slice(i + 1)];
  }
  return [hostAndPort, null];
}

/**
 * The origin `fetch` would contact for `input`, or why the request is denied at the URL step.
 * @param {string} input
 * @param {BaseOrigin | null} base
 * @returns {UrlRejected | UrlAccepted}
 */
function analyzeUrl(input, base) {
  if (longerThanCodePoints(input, MAX_URL_LENGTH)) {
    return urlRejected(DenyReason.INVALID_URL, `longer than ${MAX_URL_LENGTH} code points`);
  }
  if (!isWellFormed(input)) return urlRejected(DenyReason.INVALID_URL, "contains a lone surrogate");
  const text = stripUrl(input);
  const schemeMatch = URL_SCHEME.exec(text);
  /** @type {string} */
  let scheme;
  /** @type {string | null} the text the authority starts in, or null when the base's origin applies */
  let authorityText = null;
  if (schemeMatch === null) {
    if (base === null) return urlRejected(DenyReason.INVALID_URL, "relative URL and the authority declares no base");
    scheme = base.scheme;
    if (startsWithTwoSlashes(text)) authorityText = skipSlashes(text);
  } else {
    scheme = schemeMatch[0].slice(0, -1).toLowerCase();
    if (!SPECIAL_SCHEMES.has(scheme)) return urlRejected(DenyReason.SCHEME_DENIED, "only http and https URLs may be fetched");
    const rest = text.slice(schemeMatch[0].length);
    const relativeToBase = base !== null && base.scheme === scheme && !startsWithTwoSlashes(rest);
    if (!relativeToBase) authorityText = skipSlashes(rest);
  }

  let userinfo = false;
  /** @type {string | null} */
  let hostText = null;
  if (authorityText !== null) {
    const end = authorityText.search(AUTHORITY_END);
    const authority = end < 0 ? authorityText : authorityText.slice(0, end);
    const at = authority.lastIndexOf("@");
    userinfo = at >= 0;
    const [host, port] = splitPort(authority.slice(at + 1));
    if (host === "") return urlRejected(DenyReason.INVALID_URL, "missing host");
    if (port !== null && port !== "") {
      if (!/^[0-9]+$/.test(port)) return urlRejected(DenyReason.INVALID_URL, "port is not a number");
      if (Number(port) > 65535) return urlRejected(DenyReason.INVALID_URL, "port is out of range");
    }
    hostText = host;
  }

  /** @type {URL} */
  let url;
  try {
    url = base === null ? new URL(input) : new URL(input, base.origin);
  } catch {
    return urlRejected(DenyReason.INVALID_URL, "host is not valid");
  }
  // Cross-checks between the scan above and the platform parser; they agree by construction,
  // and if they ever do not, the URL is refused rather than guessed.
  if (url.protocol !== `${scheme}:`) return urlRejected(DenyReason.INVALID_URL, "scheme is ambiguous");
  if (authorityText === null && url.origin !== /** @type {BaseOrigin} */ (base).origin) {
    return urlRejected(DenyReason.INVALID_URL, "origin is ambiguous");
  }
  if (hostText !== null && !hostAcceptedByPolicy(hostText, url.hostname)) {
    return urlRejected(DenyReason.INVALID_URL, "host is not valid");
  }
  userinfo = userinfo || url.username !== "" || url.password !== "";
  return { ok: true, origin: url.origin, scheme, hostname: url.hostname, port: url.port, userinfo };
}

// ---------------------------------------------------------------------------------------------
// Grants

/**
 * @typedef {{ kind: "exact", origin: string, scheme: string, hostname: string, port: string }} ExactGrant
 * @typedef {{ kind: "wildcard", text: string, scheme: string, suffix: string, port: string }} WildcardGrant
 */

/**
 * Canonicalize one `origins` entry (or `base`); PolicyError messages start with `where`.
 * @param {unknown} entry
 * @param {string} where
 * @returns {ExactGrant | WildcardGrant}
 */
function parseGrant(entry, where) {
  if (typeof entry !== "string") throw new PolicyError(`${where}: must be a string, got ${pyTypeName(entry)}`);
  if (pyStrip(entry) === "*") {
    throw new PolicyError(`${where}: a bare '*' is not allowed; list origins or use https://*.example.com`);
  }
  if (GRANT_UNSAFE.test(entry)) throw new PolicyError(`${where}: contains whitespace or control characters`);
  const match = GRANT_FORM.exec(entry);
  if (match === null) throw new PolicyError(`${where}: not an origin of the form scheme://host[:port]`);
  const scheme = match[1].toLowerCase();
  if (!SPECIAL_SCHEMES.has(scheme)) throw new PolicyError(`${where}: only http and https origins can be granted`);
  checkGrantRest(match[3], where);
  const authority = match[2];
  if (authority.includes("@")) throw new PolicyError(`${where}: userinfo not allowed in an origin`);
  if (authority.startsWith("*.")) return parseWildcard(scheme, authority.slice(2), where);
  if (authority.includes("*")) throw new PolicyError(`${where}: '*' is only allowed as a leading '*.' label`);
  return parseExact(`${scheme}://${authority}`, where);
}

/**
 * What follows the authority of a grant: nothing, or a single `/`.
 * @param {string} rest
 * @param {string} where
 */
function checkGrantRest(rest, where) {
  if (rest.startsWith("\\")) throw new PolicyError(`${where}: backslash not allowed in an origin`);
  const beforeFragment = rest.split("#", 1)[0];
  const path = beforeFragment.split("?", 1)[0];
  if (path !== "" && path !== "/") throw new PolicyError(`${where}: path not allowed in an origin`);
  if (beforeFragment.includes("?")) throw new PolicyError(`${where}: query not allowed in an origin`);
  if (rest.includes("#")) throw new PolicyError(`${where}: fragment not allowed in an origin`);
}

/**
 * @param {string} text
 * @param {string} where
 * @returns {ExactGrant}
 */
function parseExact(text, where) {
  const parsed = analyzeUrl(text, null);
  if (!parsed.ok) throw new PolicyError(`${where}: ${parsed.detail}`);
  return { kind: "exact", origin: parsed.origin, scheme: parsed.scheme, hostname: parsed.hostname, port: parsed.port };
}

/**
 * @param {string} scheme
 * @param {string} rest the authority after `*.`
 * @param {string} where
 * @returns {WildcardGrant}
 */
function parseWildcard(scheme, rest, where) {
  if (rest.includes("*")) throw new PolicyError(`${where}: '*' is only allowed as a leading '*.' label`);
  const parsed = parseExact(`${scheme}://${rest}`, where);
  const host = parsed.hostname;
  if (host.startsWith("[") || IPV4_LIKE.test(host)) {
    throw new PolicyError(`${where}: a wildcard needs a domain, not an IP address`);
  }
  let end = host.length;
  while (end > 0 && host[end - 1] === ".") end--;
  const labels = host.slice(0, end).split(".");
  if (labels.length < 2 || labels.some((label) => label === "")) {
    throw new PolicyError(`${where}: a wildcard needs at least two labels after '*.'`);
  }
  const port = parsed.port === "" ? "" : `:${parsed.port}`;
  return { kind: "wildcard", text: `${parsed.scheme}://*.${host}${port}`, scheme: parsed.scheme, suffix: host, port: parsed.port };
}

/**
 * True when every host `child` matches is matched by `parent` too.
 * @param {WildcardGrant} parent
 * @param {WildcardGrant} child
 */
function wildcardCovers(parent, child) {
  return (
    parent.scheme === child.scheme &&
    parent.port === child.port &&
    (child.suffix === parent.suffix || child.suffix.endsWith(`.${parent.suffix}`))
  );
}

// ---------------------------------------------------------------------------------------------
// Policy JSON text

/**
 * Parse a policy JSON text strictly (RFC 8259 plus the NaN/Infinity literals Python accepts):
 * duplicate keys are refused, and numbers written with a fraction or exponent stay floats.
 * @param {string} text
 * @returns {unknown}
 */
function parsePolicyText(text) {
  let pos = 0;
  const n = text.length;
  /** @param {string} message */
  const syntaxError = (message) => {
    const before = text.slice(0, pos);
    const line = (before.match(/\n/g) ?? []).length + 1;
    const column = pos - before.lastIndexOf("\n");
    return new PolicyError(`policy: not valid JSON (line ${line} column ${column}: ${message})`);
  };
  const skipWhitespace = () => {
    while (pos < n) {
      const unit = text.charCodeAt(pos);
      if (unit === 0x20 || unit === 0x09 || unit === 0x0a || unit === 0x0d) pos++;
      else break;
    }
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

  /** @returns {string} */
  const parseString = () => {
    pos++; // opening quote
    let out = "";
    let chunk = pos;
    for (;;) {
      if (pos >= n) throw syntaxError("Unterminated string");
      const unit = text.charCodeAt(pos);
      if (unit === 0x22) {
        out += text.slice(chunk, pos);
        pos++;
        return out;
      }
      if (unit < 0x20) throw syntaxError("Invalid control character");
      if (unit !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(chunk, pos);
      const escape = text[pos + 1];
      switch (escape) {
        case '"':
        case "\\":
        case "/":
          out += escape;
          pos += 2;
          break;
        case "b":
          out += "\b";
          pos += 2;
          break;
        case "f":
          out += "\f";
          pos += 2;
          break;
        case "n":
          out += "\n";
          pos += 2;
          break;
        case "r":
          out += "\r";
          pos += 2;
          break;
        case "t":
          out += "\t";
          pos += 2;
          break;
        case "u": {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw syntaxError("Invalid \\uXXXX escape");
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
          break;
        }
        default:
          throw syntaxError("Invalid \\escape");
      }
      chunk = pos;
    }
  };

  /**
   * @param {number} depth
   * @returns {unknown}
   */
  const parseValue = (depth) => {
    if (depth > MAX_JSON_DEPTH) throw new PolicyError(`policy: JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
    skipWhitespace();
    if (pos >= n) throw syntaxError("Expecting value");
    const ch = text[pos];
    if (ch === "{") {
      pos++;
      /** @type {Record<string, unknown>} */
      const object = Object.create(null);
      skipWhitespace();
      if (text[pos] === "}") {
        pos++;
        return object;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') throw syntaxError("Expecting property name enclosed in double quotes");
        const key = parseString();
        skipWhitespace();
        if (text[pos] !== ":") throw syntaxError("Expecting ':' delimiter");
        pos++;
        const value = parseValue(depth + 1);
        if (Object.prototype.hasOwnProperty.call(object, key)) {
          throw new PolicyError(`policy: duplicate key ${short(key)}`);
        }
        Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return object;
        }
        throw syntaxError("Expecting ',' delimiter");
      }
    }
    if (ch === "[") {
      pos++;
      /** @type {unknown[]} */
      const array = [];
      skipWhitespace();
      if (text[pos] === "]") {
        pos++;
        return array;
      }
      for (;;) {
        array.push(parseValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return array;
        }
        throw syntaxError("Expecting ',' delimiter");
      }
    }
    if (ch === '"') return parseString();
    /** @type {Array<[string, unknown]>} */
    const literals = [
      ["true", true],
      ["false", false],
      ["null", null],
      ["NaN", new JsonFloat(NaN)],
      ["Infinity", new JsonFloat(Infinity)],
      ["-Infinity", new JsonFloat(-Infinity)],
    ];
    for (const [word, value] of literals) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = pos;
    const number = NUMBER.exec(text);
    if (number === null) throw syntaxError("Expecting value");
    pos += number[0].length;
    const value = Number(number[0]);
    return number[1] !== undefined || number[2] !== undefined ? new JsonFloat(value) : value;
  };

  const document = parseValue(0);
  skipWhitespace();
  if (pos < n) throw syntaxError("Extra data");
  return document;
}

// ---------------------------------------------------------------------------------------------
// Loading a policy document

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isMapping(value) {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof JsonFloat) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/**
 * Own enumerable keys and their values, read once; keys whose value is `undefined` are absent.
 * @param {Record<string, unknown>} object
 * @returns {Map<string, unknown>}
 */
function readMapping(object) {
  const out = new Map();
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (value !== undefined) out.set(key, value);
  }
  return out;
}

/**
 * @param {unknown} value
 * @returns {value is number | bigint}
 */
function isInteger(value) {
  return (typeof value === "number" && Number.isInteger(value)) || typeof value === "bigint";
}

/**
 * @param {unknown} value
 * @param {string} where
 * @param {number} max
 * @param {string} message
 * @returns {unknown[]}
 */
function readList(value, where, max, message) {
  if (!Array.isArray(value)) throw new PolicyError(`${where}: ${message}`);
  const length = value.length;
  if (length > max) throw new PolicyError(`${where}: ${length} entries, more than ${max}`);
  const out = [];
  for (let i = 0; i < length; i++) out.push(value[i]);
  return out;
}

/**
 * @typedef {{ exact: Map<string, ExactGrant>, wildcards: Map<string, WildcardGrant>,
 *             order: Array<ExactGrant | WildcardGrant> }} LoadedOrigins
 */

/**
 * @param {unknown} value
 * @returns {LoadedOrigins}
 */
function loadOrigins(value) {
  const entries = readList(value, "origins", MAX_ORIGINS, "must be a list of origin strings");
  /** @type {LoadedOrigins} */
  const loaded = { exact: new Map(), wildcards: new Map(), order: [] };
  entries.forEach((entry, index) => {
    const grant = parseGrant(entry, `origins[${index}]`);
    loaded.order.push(grant);
    if (grant.kind === "wildcard") {
      if (!loaded.wildcards.has(grant.text)) loaded.wildcards.set(grant.text, grant);
    } else if (!loaded.exact.has(grant.origin)) {
      loaded.exact.set(grant.origin, grant);
    }
  });
  return loaded;
}

/**
 * @param {unknown} value
 * @returns {string[]} one upper-cased method per entry, in order (duplicates kept)
 */
function loadMethods(value) {
  const entries = readList(value, "methods", MAX_METHOD_ENTRIES, "must be a list of method names");
  return entries.map((method, index) => {
    if (typeof method !== "string") {
      throw new PolicyError(`methods[${index}]: must be a string, got ${pyTypeName(method)}`);
    }
    const upper = method.toUpperCase();
    if (NEVER_ALLOWED_METHODS.has(upper)) throw new PolicyError(`methods[${index}]: ${upper} is never allowed`);
    if (!STANDARD_METHODS.includes(upper)) {
      throw new PolicyError(
        `methods[${index}]: ${short(method)} is not a standard method (${STANDARD_METHODS.join(", ")})`,
      );
    }
    return upper;
  });
}

/**
 * @param {unknown} value
 * @param {string} key
 * @param {readonly string[]} choices
 */
function loadChoice(value, key, choices) {
  if (typeof value !== "string" || !choices.includes(value)) {
    throw new PolicyError(`${key}: must be one of ${choices.map((c) => `'${c}'`).join(", ")}, got ${short(value)}`);
  }
  return value;
}

/**
 * @param {unknown} value
 * @param {string} key
 * @param {Limit} limit
 */
function loadInt(value, key, limit) {
  if (!isInteger(value)) throw new PolicyError(`${key}: must be an integer, got ${pyTypeName(value)}`);
  const inRange =
    typeof value === "bigint"
      ? value >= BigInt(limit.low) && value <= BigInt(limit.high)
      : value >= limit.low && value <= limit.high;
  if (!inRange) throw new PolicyError(`${key}: ${String(value)} is outside ${limit.low}..${limit.high}`);
  return Number(value);
}

/**
 * @param {unknown} value
 * @returns {BaseOrigin | null}
 */
function loadBase(value) {
  if (value === null || value === undefined) return null;
  const grant = parseGrant(value, "base");
  if (grant.kind === "wildcard") throw new PolicyError("base: must be a single origin, not a wildcard");
  return Object.freeze({ scheme: grant.scheme, origin: grant.origin });
}

// ---------------------------------------------------------------------------------------------
// FetchAuthority

/**
 * @typedef {{
 *   exact: ReadonlySet<string>, wildcards: ReadonlyMap<string, WildcardGrant>, methods: ReadonlySet<string>,
 *   credentials: string, redirect: string, base: BaseOrigin | null,
 *   max_header_count: number, max_request_body_bytes: number,
 *   max_response_body_bytes: number, timeout_ms: number,
 *   max_concurrent_requests: number, max_queued_requests: number, max_requests_per_minute: number,
 * }} AuthorityState
 */

/**
 * @typedef {Exclude<(typeof DenyReason)[keyof typeof DenyReason], "origin_mismatch" | "rate_limited">} AuthorizeDenyReason
 * @typedef {{ allowed: boolean, reason: AuthorizeDenyReason | null, origin: string | null }} Decision
 */

const CONSTRUCTION_TOKEN = Symbol("FetchAuthority construction");

/**
 * @param {AuthorizeDenyReason} reason
 * @param {string | null} origin
 * @returns {Readonly<Decision>}
 */
function deny(reason, origin) {
  return Object.freeze({ allowed: false, reason, origin });
}

const TYPED_ARRAY_PROTOTYPE = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayTag = /** @type {(this: unknown) => string | undefined} */ (
  /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, Symbol.toStringTag)).get
);
const typedArrayByteLength = /** @type {(this: unknown) => number} */ (
  /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, "byteLength")).get
);
const arrayBufferByteLength = /** @type {(this: unknown) => number} */ (
  /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")).get
);

/**
 * Byte size of a Uint8Array or ArrayBuffer body (from any realm), or -1 for anything else.
 * Reads the engine's internal slots, so a look-alike object cannot lie about its size.
 * @param {unknown} body
 */
function binaryBodySize(body) {
  if (ArrayBuffer.isView(body)) {
    return typedArrayTag.call(body) === "Uint8Array" ? typedArrayByteLength.call(body) : -1;
  }
  try {
    return arrayBufferByteLength.call(body);
  } catch {
    return -1;
  }
}

/**
 * @typedef {{ method: string, url: string,
 *             headers: { readonly list: readonly unknown[], readonly length: number },
 *             credentials: string, body: null | { text: string } | { size: number } }} CheckedRequest
 */

/** @type {CheckedRequest["headers"]} */
const NO_HEADERS = Object.freeze({ list: Object.freeze([]), length: 0 });

/**
 * Step 1 (shape): read every field once and check its type; null when the shape is wrong.
 * The header pairs themselves are checked in step 6, after the count.
 * @param {unknown} request
 * @returns {CheckedRequest | null}
 */
function readRequest(request) {
  if (typeof request !== "object" || request === null) return null;
  const candidate = /** @type {Record<string, unknown>} */ (request);
  const method = candidate.method;
  const url = candidate.url;
  const rawHeaders = candidate.headers;
  const rawCredentials = candidate.credentials;
  const rawBody = candidate.body;
  if (typeof method !== "string" || typeof url !== "string") return null;
  const credentials = rawCredentials === undefined ? "omit" : rawCredentials;
  if (typeof credentials !== "string" || !CREDENTIAL_RANK.has(credentials)) return null;
  /** @type {CheckedRequest["headers"]} */
  let headers = NO_HEADERS;
  if (rawHeaders !== undefined && rawHeaders !== null) {
    if (!Array.isArray(rawHeaders)) return null;
    const length = rawHeaders.length;
    // Always true for a real array; a Proxy could claim anything.
    if (!Number.isSafeInteger(length) || length < 0) return null;
    headers = { list: rawHeaders, length };
  }
  /** @type {CheckedRequest["body"]} */
  let body = null;
  if (typeof rawBody === "string") {
    if (!isWellFormed(rawBody)) return null;
    body = { text: rawBody };
  } else if (rawBody !== undefined && rawBody !== null) {
    const size = binaryBodySize(rawBody);
    if (size < 0) return null;
    body = { size };
  }
  return { method, url, headers, credentials, body };
}

/**
 * An immutable, default-deny grant to reach the network. Build one with
 * `FetchAuthority.fromJSON()` or `FetchAuthority.denyAll()`; shrink it with `narrow()`.
 * The instance, its arrays, the class and its prototype are frozen.
 */
export class FetchAuthority {
  /** @type {ReadonlySet<string>} */
  #exact;
  /** @type {ReadonlyMap<string, WildcardGrant>} */
  #wildcards;
  /** @type {ReadonlySet<number>} lengths of the wildcard suffixes, to skip hopeless look-ups */
  #suffixLengths;
  /** @type {ReadonlySet<string>} */
  #methods;
  /** @type {BaseOrigin | null} */
  #base;

  /**
   * Not for direct use: call `FetchAuthority.fromJSON()` or `FetchAuthority.denyAll()`.
   * @param {symbol} token
   * @param {AuthorityState} state
   */
  constructor(token, state) {
    if (token !== CONSTRUCTION_TOKEN) {
      throw new TypeError("FetchAuthority: use FetchAuthority.fromJSON() or FetchAuthority.denyAll()");
    }
    this.#exact = new Set(state.exact);
    this.#wildcards = new Map(state.wildcards);
    this.#suffixLengths = new Set([...state.wildcards.values()].map((w) => w.suffix.length));
    this.#methods = new Set(state.methods);
    this.#base = state.base;
    /** Canonical granted origins: exact ones sorted, then wildcards sorted. @readonly @type {readonly string[]} */
    this.origins = Object.freeze([...[...state.exact].sort(), ...[...state.wildcards.keys()].sort()]);
    /** Granted methods, in the standard order. @readonly @type {readonly string[]} */
    this.methods = Object.freeze(STANDARD_METHODS.filter((m) => state.methods.has(m)));
    /** @readonly @type {"omit" | "same-origin" | "include"} */
    this.credentials = /** @type {"omit" | "same-origin" | "include"} */ (state.credentials);
    /** @readonly @type {number} */
    this.max_header_count = state.max_header_count;
    /** @readonly @type {number} */
    this.max_request_body_bytes = state.max_request_body_bytes;
    /** @readonly @type {number} */
    this.max_response_body_bytes = state.max_response_body_bytes;
    /** @readonly @type {"error" | "follow"} */
    this.redirect = /** @type {"error" | "follow"} */ (state.redirect);
    /** @readonly @type {number} */
    this.timeout_ms = state.timeout_ms;
    /** Requests in flight at once, per runtime (enforced by the bridge). @readonly @type {number} */
    this.max_concurrent_requests = state.max_concurrent_requests;
    /** Requests waiting for a free slot, per runtime; past it a request is denied. @readonly @type {number} */
    this.max_queued_requests = state.max_queued_requests;
    /** Token bucket capacity, refilled at this many per 60 s, per runtime. @readonly @type {number} */
    this.max_requests_per_minute = state.max_requests_per_minute;
    /** The canonical origin relative request URLs resolve against, or null. @readonly @type {string | null} */
    this.base = state.base === null ? null : state.base.origin;
    Object.freeze(this);
  }

  /**
   * Validate and canonicalize a policy: a JSON text, or an already parsed object.
   * @param {unknown} objOrText
   * @returns {FetchAuthority}
   * @throws {PolicyError} naming the offending entry
   */
  static fromJSON(objOrText) {
    if (objOrText instanceof FetchAuthority) return objOrText;
    let document = objOrText;
    if (typeof objOrText === "string") {
      const size = utf8Exact(objOrText);
      if (size > MAX_POLICY_JSON_BYTES) {
        throw new PolicyError(`policy: JSON is ${size} bytes, more than ${MAX_POLICY_JSON_BYTES}`);
      }
      document = parsePolicyText(objOrText);
    }
    return loadPolicy(document);
  }

  /**
   * An authority that grants nothing: every request is denied. No headers, no body, and the
   * smallest request limits a policy may set (one in flight, none waiting, one a minute).
   */
  static denyAll() {
    return new FetchAuthority(CONSTRUCTION_TOKEN, {
      exact: new Set(),
      wildcards: new Map(),
      methods: new Set(),
      credentials: "omit",
      redirect: "error",
      base: null,
      max_header_count: 0,
      max_request_body_bytes: 0,
      max_response_body_bytes: /** @type {Limit} */ (LIMITS.get("max_response_body_bytes")).fallback,
      timeout_ms: /** @type {Limit} */ (LIMITS.get("timeout_ms")).fallback,
      max_concurrent_requests: /** @type {Limit} */ (LIMITS.get("max_concurrent_requests")).low,
      max_queued_requests: /** @type {Limit} */ (LIMITS.get("max_queued_requests")).low,
      max_requests_per_minute: /** @type {Limit} */ (LIMITS.get("max_requests_per_minute")).low,
    });
  }

  /**
   * Decide one request. Total: any input gives a frozen Decision, nothing is thrown.
   * @param {unknown} request `{method, url, headers?, credentials?, body?}`
   * @returns {Readonly<Decision>}
   */
  authorize(request) {
    try {
      return this.#decide(request);
    } catch {
      return deny(DenyReason.INVALID_REQUEST, null);
    }
  }

  /**
   * @param {unknown} request
   * @returns {Readonly<Decision>}
   */
  #decide(request) {
    const checked = readRequest(request);
    if (checked === null) return deny(DenyReason.INVALID_REQUEST, null);
    const parsed = analyzeUrl(checked.url, this.#base);
    if (!parsed.ok) return deny(parsed.reason, null);
    const origin = parsed.origin;
    if (parsed.userinfo) return deny(DenyReason.USERINFO_DENIED, origin);
    if (!this.#originGranted(parsed)) return deny(DenyReason.ORIGIN_DENIED, origin);

    const method = checked.method;
    if (!TOKEN.test(method)) return deny(DenyReason.INVALID_METHOD, origin);
    const upper = method.toUpperCase();
    if (NEVER_ALLOWED_METHODS.has(upper)) return deny(DenyReason.METHOD_FORBIDDEN, origin);
    const normalized = FETCH_NORMALIZED_METHODS.has(upper) ? upper : method;
    if (!this.#methods.has(normalized)) return deny(DenyReason.METHOD_DENIED, origin);

    const rank = /** @type {number} */ (CREDENTIAL_RANK.get(checked.credentials));
    if (rank > /** @type {number} */ (CREDENTIAL_RANK.get(this.credentials))) {
      return deny(DenyReason.CREDENTIALS_DENIED, origin);
    }

    const headers = checked.headers;
    const headerCount = headers.length;
    if (headerCount > this.max_header_count) return deny(DenyReason.HEADER_COUNT_EXCEEDED, origin);
    for (let index = 0; index < headerCount; index++) {
      const pair = headers.list[index];
      if (!Array.isArray(pair) || pair.length !== 2) return deny(DenyReason.INVALID_HEADER, origin);
      const name = pair[0];
      const value = pair[1];
      if (typeof name !== "string" || typeof value !== "string") return deny(DenyReason.INVALID_HEADER, origin);
      if (!TOKEN.test(name) || BAD_HEADER_VALUE.test(value)) return deny(DenyReason.INVALID_HEADER, origin);
      const lowered = name.toLowerCase();
      if (FORBIDDEN_HEADER_NAMES.has(lowered) || lowered.startsWith("proxy-") || lowered.startsWith("sec-")) {
        return deny(DenyReason.FORBIDDEN_HEADER, origin);
      }
    }

    const body = checked.body;
    if (body !== null) {
      if (BODYLESS_METHODS.has(normalized)) return deny(DenyReason.BODY_NOT_ALLOWED, origin);
      const limit = this.max_request_body_bytes;
      const tooLarge = "text" in body ? utf8LongerThan(body.text, limit) : body.size > limit;
      if (tooLarge) return deny(DenyReason.BODY_TOO_LARGE, origin);
    }
    return Object.freeze({ allowed: true, reason: null, origin });
  }

  /**
   * Exact match, or a wildcard whose suffix follows one or more non-empty labels of the host.
   * The cost depends on the host, not on how many origins are granted.
   * @param {{ origin: string, scheme: string, hostname: string, port: string }} parsed
   */
  #originGranted(parsed) {
    if (this.#exact.has(parsed.origin)) return true;
    const host = parsed.hostname;
    if (this.#wildcards.size === 0 || host.startsWith("[")) return false;
    const port = parsed.port === "" ? "" : `:${parsed.port}`;
    let labelStart = 0;
    for (;;) {
      const dot = host.indexOf(".", labelStart);
      if (dot < 0 || dot === labelStart) return false; // no suffix left, or an empty label
      const suffixStart = dot + 1;
      if (this.#suffixLengths.has(host.length - suffixStart)) {
        if (this.#wildcards.has(`${parsed.scheme}://*.${host.slice(suffixStart)}${port}`)) return true;
      }
      labelStart = suffixStart;
    }
  }

  /**
   * True when this authority grants everything `grant` names.
   * @param {ExactGrant | WildcardGrant} grant
   */
  #grants(grant) {
    if (grant.kind === "wildcard") {
      for (const parent of this.#wildcards.values()) if (wildcardCovers(parent, grant)) return true;
      return false;
    }
    return this.#originGranted(grant);
  }

  /**
   * A child authority that grants a subset of this one. Omitted settings are inherited;
   * asking for anything this authority does not grant is a PolicyError.
   * @param {{ origins?: readonly string[], methods?: readonly string[],
   *           credentials?: "omit" | "same-origin" | "include", redirect?: "error" | "follow",
   *           max_header_count?: number, max_request_body_bytes?: number,
   *           max_response_body_bytes?: number, timeout_ms?: number,
   *           max_concurrent_requests?: number, max_queued_requests?: number,
   *           max_requests_per_minute?: number }} settings
   * @returns {FetchAuthority}
   * @throws {PolicyError}
   */
  narrow(settings) {
    if (!isMapping(settings)) throw new PolicyError(`narrow: expected an object of settings, got ${pyTypeName(settings)}`);
    const wanted = readMapping(settings);
    /** @type {AuthorityState} */
    const state = {
      exact: this.#exact,
      wildcards: this.#wildcards,
      methods: this.#methods,
      credentials: this.credentials,
      redirect: this.redirect,
      base: this.#base,
      max_header_count: this.max_header_count,
      max_request_body_bytes: this.max_request_body_bytes,
      max_response_body_bytes: this.max_response_body_bytes,
      timeout_ms: this.timeout_ms,
      max_concurrent_requests: this.max_concurrent_requests,
      max_queued_requests: this.max_queued_requests,
      max_requests_per_minute: this.max_requests_per_minute,
    };
    if (wanted.has("origins") && wanted.get("origins") !== null) {
      const loaded = loadOrigins(wanted.get("origins"));
      loaded.order.forEach((grant, index) => {
        if (!this.#grants(grant)) throw new PolicyError(`origins[${index}]: not granted by the parent authority`);
      });
      state.exact = new Set(loaded.exact.keys());
      state.wildcards = loaded.wildcards;
    }
    if (wanted.has("methods") && wanted.get("methods") !== null) {
      const methods = loadMethods(wanted.get("methods"));
      methods.forEach((method, index) => {
        if (!this.#methods.has(method)) {
          throw new PolicyError(`methods[${index}]: ${method} is not granted by the parent authority`);
        }
      });
      state.methods = new Set(methods);
    }
    if (wanted.has("credentials") && wanted.get("credentials") !== null) {
      const credentials = loadChoice(wanted.get("credentials"), "credentials", CREDENTIAL_MODES);
      if (/** @type {number} */ (CREDENTIAL_RANK.get(credentials)) > /** @type {number} */ (CREDENTIAL_RANK.get(this.credentials))) {
        throw new PolicyError(`credentials: '${credentials}' is wider than the parent's '${this.credentials}'`);
      }
      state.credentials = credentials;
    }
    if (wanted.has("redirect") && wanted.get("redirect") !== null) {
      const redirect = loadChoice(wanted.get("redirect"), "redirect", REDIRECT_MODES);
      if (redirect === "follow" && this.redirect !== "follow") {
        throw new PolicyError("redirect: 'follow' is wider than the parent's 'error'");
      }
      state.redirect = redirect;
    }
    for (const [name, value] of wanted) {
      if (name === "origins" || name === "methods" || name === "credentials" || name === "redirect") continue;
      const limit = LIMITS.get(name);
      if (limit === undefined) throw new PolicyError(`narrow: unknown setting ${short(name)}`);
      const checked = loadInt(value, name, limit);
      const parent = /** @type {number} */ (/** @type {Record<string, unknown>} */ (/** @type {unknown} */ (this))[name]);
      if (checked > parent) throw new PolicyError(`${name}: ${checked} is wider than the parent's ${parent}`);
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (state))[name] = checked;
    }
    return new FetchAuthority(CONSTRUCTION_TOKEN, state);
  }

  /**
   * The canonical policy document: `FetchAuthority.fromJSON(a.toJSON())` grants what `a` grants
   * (for authorities built by `fromJSON`; `denyAll()`'s zero header count is below the loadable range).
   * @returns {{ origins: string[], methods: string[], credentials: "omit" | "same-origin" | "include",
   *   max_header_count: number, max_request_body_bytes: number, max_response_body_bytes: number,
   *   redirect: "error" | "follow", timeout_ms: number, max_concurrent_requests: number,
   *   max_queued_requests: number, max_requests_per_minute: number, base: string | null }}
   */
  toJSON() {
    return {
      origins: [...this.origins],
      methods: [...this.methods],
      credentials: this.credentials,
      max_header_count: this.max_header_count,
      max_request_body_bytes: this.max_request_body_bytes,
      max_response_body_bytes: this.max_response_body_bytes,
      redirect: this.redirect,
      timeout_ms: this.timeout_ms,
      max_concurrent_requests: this.max_concurrent_requests,
      max_queued_requests: this.max_queued_requests,
      max_requests_per_minute: this.max_requests_per_minute,
      base: this.base,
    };
  }
}
Object.freeze(FetchAuthority.prototype);
Object.freeze(FetchAuthority);

/**
 * Validate a parsed policy document (what Python's `from_dict` does).
 * @param {unknown} document
 * @returns {FetchAuthority}
 */
function loadPolicy(document) {
  if (!isMapping(document)) throw new PolicyError(`policy: must be an object, got ${pyTypeName(document)}`);
  const entries = readMapping(document);
  for (const key of entries.keys()) {
    if (!POLICY_KEYS.has(key)) throw new PolicyError(`policy: unknown key ${short(key)}`);
  }
  const origins = loadOrigins(entries.has("origins") ? entries.get("origins") : []);
  const anyOrigin = origins.exact.size > 0 || origins.wildcards.size > 0;
  const methods = loadMethods(entries.has("methods") ? entries.get("methods") : anyOrigin ? ["GET"] : []);
  const credentials = loadChoice(entries.has("credentials") ? entries.get("credentials") : "omit", "credentials", CREDENTIAL_MODES);
  if (credentials === "include" && origins.wildcards.size > 0) {
    const first = [...origins.wildcards.keys()].sort()[0];
    throw new PolicyError(`credentials: 'include' cannot be combined with a wildcard origin (${first})`);
  }
  /** @type {Record<string, number>} */
  const limits = {};
  for (const [name, limit] of LIMITS) {
    limits[name] = loadInt(entries.has(name) ? entries.get(name) : limit.fallback, name, limit);
  }
  const redirect = loadChoice(entries.has("redirect") ? entries.get("redirect") : "error", "redirect", REDIRECT_MODES);
  const base = loadBase(entries.has("base") ? entries.get("base") : null);
  return new FetchAuthority(CONSTRUCTION_TOKEN, {
    exact: new Set(origins.exact.keys()),
    wildcards: origins.wildcards,
    methods: new Set(methods),
    credentials,
    redirect,
    base,
    max_header_count: limits.max_header_count,
    max_request_body_bytes: limits.max_request_body_bytes,
    max_response_body_bytes: limits.max_response_body_bytes,
    timeout_ms: limits.timeout_ms,
    max_concurrent_requests: limits.max_concurrent_requests,
    max_queued_requests: limits.max_queued_requests,
    max_requests_per_minute: limits.max_requests_per_minute,
  });
}

/**
 * The canonical origin `fetch` would contact for `url` (resolved against `base`, a canonical
 * http(s) origin, when relative), or null when the policy would deny it as invalid_url or
 * scheme_denied. A URL with userinfo still has an origin (the policy denies it anyway).
 * Never throws.
 * @param {unknown} url
 * @param {unknown} [base]
 * @returns {string | null}
 */
export function canonicalOrigin(url, base) {
  try {
    if (typeof url !== "string") return null;
    const parsedBase = base === undefined || base === null ? null : loadBase(base);
    const parsed = analyzeUrl(url, parsedBase);
    return parsed.ok ? parsed.origin : null;
  } catch {
    return null;
  }
}
