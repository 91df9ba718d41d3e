// @ts-check
/**
 * Which HTTP methods exist for the policy: the seven a policy may grant, the three never
 * allowed, and how fetch normalizes a method before it is compared with the grant. Mirrors
 * browser_rt/policy/methods.py.
 */
import { DenyReason } from "./errors.mjs";
import { isToken } from "./headers.mjs";

/** What a policy may grant, in the order `FetchAuthority.methods` lists them. */
export const STANDARD_METHODS = Object.freeze(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
const NEVER_ALLOWED_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const FETCH_NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const BODYLESS_METHODS = new Set(["GET", "HEAD"]);

/**
 * `CONNECT`, `TRACE` or `TRACK`, in any case: refused in a policy and in a request.
 * @param {string} method
 */
export function isNeverAllowed(method) {
  return NEVER_ALLOWED_METHODS.has(method.toUpperCase());
}

/**
 * One of the seven methods a policy may grant (after upper-casing).
 * @param {string} upper
 */
export function isStandardMethod(upper) {
  return STANDARD_METHODS.includes(upper);
}

/**
 * Why a request's method can never be sent, or null: `invalid_method` for a method that is not
 * an RFC 9110 token, `method_forbidden` for one that is never allowed.
 * @param {string} method
 * @returns {"invalid_method" | "method_forbidden" | null}
 */
export function methodProblem(method) {
  if (!isToken(method)) return DenyReason.INVALID_METHOD;
  return isNeverAllowed(method) ? DenyReason.METHOD_FORBIDDEN : null;
}

/**
 * Upper-case the six methods fetch normalizes; keep every other method as written.
 * @param {string} method
 */
export function normalizeMethod(method) {
  const upper = method.toUpperCase();
  return FETCH_NORMALIZED_METHODS.has(upper) ? upper : method;
}

/**
 * `GET` and `HEAD`, which cannot carry a body (after normalization).
 * @param {string} method
 */
export function isBodyless(method) {
  return BODYLESS_METHODS.has(method);
}
