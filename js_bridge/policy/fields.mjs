// @ts-check
/**
 * Whether each field of a policy document is valid, and its canonical value: the origins list,
 * the methods list, a choice such as `credentials`, an integer setting within its range, and
 * the base. Python has these checks in browser_rt/policy/authority.py (`_load_origins`,
 * `_load_methods`, `_load_choice`, `_load_int`, `_load_base`); their messages are the same.
 */
import { PolicyError, quoted, typeName } from "./errors.mjs";
import { parseGrant } from "./grants.mjs";
import { STANDARD_METHODS, isNeverAllowed, isStandardMethod } from "./methods.mjs";

/** An `origins` list may have at most this many entries. */
export const MAX_ORIGINS = 1000;
/** A `methods` list may have at most this many entries (duplicates counted). */
export const MAX_METHOD_ENTRIES = 16;

/**
 * @typedef {{ low: number, high: number, fallback: number }} Limit
 * @typedef {import("./grants.mjs").ExactGrant} ExactGrant
 * @typedef {import("./grants.mjs").WildcardGrant} WildcardGrant
 * @typedef {import("./urls.mjs").BaseOrigin} BaseOrigin
 */

/**
 * An integer as Python prints it: every digit, never an exponent.
 * @param {number | bigint} value
 */
function integerText(value) {
  return typeof value === "bigint" || Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/**
 * Own enumerable keys and their values, read once; keys whose value is `undefined` are absent.
 * @param {Record<string, unknown>} object
 * @returns {Map<string, unknown>}
 */
export function readMapping(object) {
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
export function loadOrigins(value) {
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
export function loadMethods(value) {
  const entries = readList(value, "methods", MAX_METHOD_ENTRIES, "must be a list of method names");
  return entries.map((method, index) => {
    if (typeof method !== "string") {
      throw new PolicyError(`methods[${index}]: must be a string, got ${typeName(method)}`);
    }
    const upper = method.toUpperCase();
    if (isNeverAllowed(upper)) throw new PolicyError(`methods[${index}]: ${upper} is never allowed`);
    if (!isStandardMethod(upper)) {
      throw new PolicyError(
        `methods[${index}]: ${quoted(method)} is not a standard method (${STANDARD_METHODS.join(", ")})`,
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
export function loadChoice(value, key, choices) {
  if (typeof value !== "string" || !choices.includes(value)) {
    const got = typeof value === "string" ? quoted(value) : typeName(value);
    throw new PolicyError(`${key}: must be one of ${choices.map(quoted).join(", ")}, got ${got}`);
  }
  return value;
}

/**
 * @param {unknown} value
 * @param {string} key
 * @param {Limit} limit
 */
export function loadInt(value, key, limit) {
  if (!isInteger(value)) throw new PolicyError(`${key}: must be an integer, got ${typeName(value)}`);
  const inRange =
    typeof value === "bigint"
      ? value >= BigInt(limit.low) && value <= BigInt(limit.high)
      : value >= limit.low && value <= limit.high;
  if (!inRange) throw new PolicyError(`${key}: ${integerText(value)} is outside ${limit.low}..${limit.high}`);
  return Number(value);
}

/**
 * @param {unknown} value
 * @returns {BaseOrigin | null}
 */
export function loadBase(value) {
  if (value === null || value === undefined) return null;
  const grant = parseGrant(value, "base");
  if (grant.kind === "wildcard") throw new PolicyError("base: must be a single origin, not a wildcard");
  return Object.freeze({ scheme: grant.scheme, origin: grant.origin });
}
