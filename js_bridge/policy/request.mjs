// @ts-check
/**
 * What is asked of the authority, and its answer: a request's fields read once and checked for
 * type (step 1 of `authorize`, the shape), and the frozen Decision `authorize` returns. Mirrors
 * browser_rt/policy/request.py (`FetchRequest`, `Decision`); Python checks the shape of its
 * dataclass in authority.py.
 */
import { isWellFormed, utf8LongerThan } from "./unicode_text.mjs";

/** What a request may ask for, from least to most; a policy grants one of them. */
export const CREDENTIAL_MODES = Object.freeze(["omit", "same-origin", "include"]);
const CREDENTIAL_RANK = new Map(CREDENTIAL_MODES.map((mode, rank) => [mode, rank]));

/**
 * The rank of a credentials mode (omit < same-origin < include), -1 for anything else.
 * @param {string} mode
 */
export function credentialRank(mode) {
  return CREDENTIAL_RANK.get(mode) ?? -1;
}

/**
 * @typedef {typeof import("./errors.mjs").DenyReason} DenyReasons
 * @typedef {Exclude<DenyReasons[keyof DenyReasons], "origin_mismatch" | "rate_limited">} AuthorizeDenyReason
 * @typedef {{ allowed: boolean, reason: AuthorizeDenyReason | null, origin: string | null }} Decision
 */

/**
 * @param {AuthorizeDenyReason} reason
 * @param {string | null} origin
 * @returns {Readonly<Decision>}
 */
export function deny(reason, origin) {
  return Object.freeze({ allowed: false, reason, origin });
}

/**
 * @param {string} origin
 * @returns {Readonly<Decision>}
 */
export function allow(origin) {
  return Object.freeze({ allowed: true, reason: null, origin });
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
export function readRequest(request) {
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
 * True when a checked body is larger than `limit` bytes (a string body counted as UTF-8).
 * @param {NonNullable<CheckedRequest["body"]>} body
 * @param {number} limit
 */
export function bodyTooLarge(body, limit) {
  return "text" in body ? utf8LongerThan(body.text, limit) : body.size > limit;
}
