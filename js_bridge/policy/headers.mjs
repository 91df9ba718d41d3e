// @ts-check
/**
 * Which request headers may be sent: RFC 9110 token names, ByteString values without CR, LF or
 * NUL, and none of the fetch spec's forbidden names or the method-override names. Mirrors
 * browser_rt/policy/headers.py. A header is refused by its position, never by its value.
 */
import { DenyReason } from "./errors.mjs";

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

/**
 * RFC 9110 `token`: what a header name or a method may be made of.
 * @param {string} text
 */
export function isToken(text) {
  return TOKEN.test(text);
}

/**
 * A name the fetch spec forbids in requests (including every `proxy-` and `sec-` name), or a
 * method-override name; case-insensitive.
 * @param {string} name
 */
export function isForbiddenHeader(name) {
  const lowered = name.toLowerCase();
  return FORBIDDEN_HEADER_NAMES.has(lowered) || lowered.startsWith("proxy-") || lowered.startsWith("sec-");
}

/**
 * Why one item of a request's `headers` is refused, or null: `invalid_header` for anything but
 * a `[name, value]` pair of strings, a name that is not a token, or a value that is not a safe
 * ByteString; then `forbidden_header`. Python's `check_header` decides in the same order.
 * @param {unknown} pair
 * @returns {"invalid_header" | "forbidden_header" | null}
 */
export function checkHeader(pair) {
  if (!Array.isArray(pair) || pair.length !== 2) return DenyReason.INVALID_HEADER;
  const name = pair[0];
  const value = pair[1];
  if (typeof name !== "string" || typeof value !== "string") return DenyReason.INVALID_HEADER;
  if (!isToken(name) || BAD_HEADER_VALUE.test(value)) return DenyReason.INVALID_HEADER;
  return isForbiddenHeader(name) ? DenyReason.FORBIDDEN_HEADER : null;
}
