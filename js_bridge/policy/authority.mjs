// @ts-check
/**
 * FetchAuthority: the default-deny grant that decides whether a request may reach `fetch`, how
 * a policy document becomes one, and how one is narrowed. Mirrors
 * browser_rt/policy/authority.py; docs/policy.md is the contract both follow, and the
 * conformance vectors (tests/vectors/) pin them together.
 *
 * The fetch bridge re-checks every request with it before it calls `fetch`: the origin of a
 * decision comes from the platform's own `URL` parser (urls.mjs), which is what `fetch`
 * contacts. The fields of a policy document are checked in fields.mjs, a JSON text is parsed
 * in policy_json.mjs.
 */
import { DenyReason, PolicyError, quoted, typeName } from "./errors.mjs";
import { loadBase, loadChoice, loadInt, loadMethods, loadOrigins, readMapping } from "./fields.mjs";
import { matchesWildcard, wildcardCovers } from "./grants.mjs";
import { checkHeader } from "./headers.mjs";
import { isMapping } from "./json_values.mjs";
import { STANDARD_METHODS, isBodyless, methodProblem, normalizeMethod } from "./methods.mjs";
import { parsePolicyText } from "./policy_json.mjs";
import { CREDENTIAL_MODES, allow, bodyTooLarge, credentialRank, deny, readRequest } from "./request.mjs";
import { utf8ByteLength } from "./unicode_text.mjs";
import { parseOrigin } from "./urls.mjs";

/** A policy JSON text may be at most this many UTF-8 bytes. */
const MAX_POLICY_JSON_BYTES = 65_536;
const REDIRECT_MODES = Object.freeze(["error", "follow"]);

/** @typedef {import("./fields.mjs").Limit} Limit */
/**
 * The integer settings: the default (`fallback`) and the range a policy may choose from. The
 * origins and methods lists are bounded in fields.mjs (`MAX_ORIGINS`, `MAX_METHOD_ENTRIES`).
 * @type {ReadonlyMap<string, Limit>}
 */
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

/**
 * @typedef {import("./grants.mjs").ExactGrant} ExactGrant
 * @typedef {import("./grants.mjs").WildcardGrant} WildcardGrant
 * @typedef {import("./urls.mjs").BaseOrigin} BaseOrigin
 * @typedef {import("./request.mjs").Decision} Decision
 */

/**
 * @typedef {{
 *   exact: ReadonlySet<string>, wildcards: ReadonlyMap<string, WildcardGrant>, methods: ReadonlySet<string>,
 *   credentials: string, redirect: string, base: BaseOrigin | null,
 *   max_header_count: number, max_request_body_bytes: number,
 *   max_response_body_bytes: number, timeout_ms: number,
 *   max_concurrent_requests: number, max_queued_requests: number, max_requests_per_minute: number,
 * }} AuthorityState
 */

const CONSTRUCTION_TOKEN = Symbol("FetchAuthority construction");

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
      const size = utf8ByteLength(objOrText);
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
    const parsed = parseOrigin(checked.url, this.#base);
    if (!parsed.ok) return deny(parsed.reason, null);
    const origin = parsed.origin;
    if (parsed.userinfo) return deny(DenyReason.USERINFO_DENIED, origin);
    if (!this.#originGranted(parsed)) return deny(DenyReason.ORIGIN_DENIED, origin);

    const methodDenial = methodProblem(checked.method);
    if (methodDenial !== null) return deny(methodDenial, origin);
    const method = normalizeMethod(checked.method);
    if (!this.#methods.has(method)) return deny(DenyReason.METHOD_DENIED, origin);

    if (credentialRank(checked.credentials) > credentialRank(this.credentials)) {
      return deny(DenyReason.CREDENTIALS_DENIED, origin);
    }

    const headers = checked.headers;
    const headerCount = headers.length;
    if (headerCount > this.max_header_count) return deny(DenyReason.HEADER_COUNT_EXCEEDED, origin);
    for (let index = 0; index < headerCount; index++) {
      const headerDenial = checkHeader(headers.list[index]);
      if (headerDenial !== null) return deny(headerDenial, origin);
    }

    const body = checked.body;
    if (body !== null) {
      if (isBodyless(method)) return deny(DenyReason.BODY_NOT_ALLOWED, origin);
      if (bodyTooLarge(body, this.max_request_body_bytes)) return deny(DenyReason.BODY_TOO_LARGE, origin);
    }
    return allow(origin);
  }

  /**
   * Exact match, or a wildcard whose suffix follows one or more non-empty labels of the host.
   * The cost depends on the host, not on how many origins are granted.
   * @param {{ origin: string, scheme: string, hostname: string, port: string }} parsed
   */
  #originGranted(parsed) {
    return this.#exact.has(parsed.origin) || matchesWildcard(parsed, this.#wildcards, this.#suffixLengths);
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
    if (!isMapping(settings)) throw new PolicyError(`narrow: expected an object of settings, got ${typeName(settings)}`);
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
      if (credentialRank(credentials) > credentialRank(this.credentials)) {
        throw new PolicyError(`credentials: ${quoted(credentials)} is wider than the parent's ${quoted(this.credentials)}`);
      }
      state.credentials = credentials;
    }
    if (wanted.has("redirect") && wanted.get("redirect") !== null) {
      const redirect = loadChoice(wanted.get("redirect"), "redirect", REDIRECT_MODES);
      if (redirect === "follow" && this.redirect !== "follow") {
        throw new PolicyError('redirect: "follow" is wider than the parent\'s "error"');
      }
      state.redirect = redirect;
    }
    for (const [name, value] of wanted) {
      if (name === "origins" || name === "methods" || name === "credentials" || name === "redirect") continue;
      const limit = LIMITS.get(name);
      if (limit === undefined) throw new PolicyError(`narrow: unknown setting ${quoted(name)}`);
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
  if (!isMapping(document)) throw new PolicyError(`policy: must be an object, got ${typeName(document)}`);
  const entries = readMapping(document);
  for (const key of entries.keys()) {
    if (!POLICY_KEYS.has(key)) throw new PolicyError(`policy: unknown key ${quoted(key)}`);
  }
  const origins = loadOrigins(entries.has("origins") ? entries.get("origins") : []);
  const anyOrigin = origins.exact.size > 0 || origins.wildcards.size > 0;
  const methods = loadMethods(entries.has("methods") ? entries.get("methods") : anyOrigin ? ["GET"] : []);
  const credentials = loadChoice(entries.has("credentials") ? entries.get("credentials") : "omit", "credentials", CREDENTIAL_MODES);
  if (credentials === "include" && origins.wildcards.size > 0) {
    const first = [...origins.wildcards.keys()].sort()[0];
    throw new PolicyError(`credentials: "include" cannot be combined with a wildcard origin (${quoted(first)})`);
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
    const parsed = parseOrigin(url, parsedBase);
    return parsed.ok ? parsed.origin : null;
  } catch {
    return null;
  }
}
