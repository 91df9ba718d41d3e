// @ts-check
/**
 * What went wrong, and how a message says it: the reasons `authorize` denies with, the
 * `PolicyError` of a policy that cannot be loaded or narrowed, and the two helpers every
 * message uses to show a value. Mirrors browser_rt/policy/errors.py.
 *
 * A message names the offending entry by position (`origins[3]: ...`). Where it also shows a
 * value (a key, a method, a choice), `quoted` writes it as a JSON string with everything
 * outside printable ASCII escaped, and `typeName` names a value's JSON type ("a string",
 * "an integer", "null"). Python's `quoted` and `type_name` do the same, so the two
 * implementations word every message they share character for character.
 */
import { JsonFloat, isMapping } from "./json_values.mjs";

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

/** `quoted` output longer than this is cut, so a huge or hostile value cannot flood a message. */
const QUOTED_LIMIT = 40;
const NOT_PRINTABLE_ASCII = /[\u007f-\uffff]/g;

/**
 * `text` as a JSON string, every character outside printable ASCII escaped (`\u00e9`; an
 * astral character as its two surrogates, a lone surrogate as itself). Output longer than 40
 * characters keeps its first 37 and ends in `...` (no closing quote: the cut is visible).
 * @param {string} text
 */
export function quoted(text) {
  // Every UTF-16 unit gives at least one output character: the rest would be cut anyway.
  const json = JSON.stringify(text.slice(0, QUOTED_LIMIT + 1)).replace(
    NOT_PRINTABLE_ASCII,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return json.length <= QUOTED_LIMIT ? json : `${json.slice(0, QUOTED_LIMIT - 3)}...`;
}

/**
 * The JSON type of `value` as a message says it: "a string", "an integer", "null", ...
 * @param {unknown} value
 */
export function typeName(value) {
  if (value === null || value === undefined) return "null";
  if (value instanceof JsonFloat) return "a float";
  switch (typeof value) {
    case "boolean":
      return "a boolean";
    case "number":
      return Number.isInteger(value) ? "an integer" : "a float";
    case "bigint":
      return "an integer";
    case "string":
      return "a string";
    default:
      break;
  }
  if (Array.isArray(value)) return "a list";
  return isMapping(value) ? "an object" : "a value of another type";
}
