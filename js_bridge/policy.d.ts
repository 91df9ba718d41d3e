/**
 * Types for policy.mjs: the JS FetchAuthority, the default-deny fetch policy of docs/policy.md.
 * policy.mjs is the entry point; the modules behind it (policy/*.mjs) are internal, and these
 * are the only names it exports.
 */

/** Why a request was denied. Stable strings shared with Python, the vectors and the bridge. */
export declare const DenyReason: Readonly<{
  INVALID_REQUEST: "invalid_request";
  INVALID_URL: "invalid_url";
  SCHEME_DENIED: "scheme_denied";
  USERINFO_DENIED: "userinfo_denied";
  ORIGIN_DENIED: "origin_denied";
  INVALID_METHOD: "invalid_method";
  METHOD_FORBIDDEN: "method_forbidden";
  METHOD_DENIED: "method_denied";
  CREDENTIALS_DENIED: "credentials_denied";
  HEADER_COUNT_EXCEEDED: "header_count_exceeded";
  INVALID_HEADER: "invalid_header";
  FORBIDDEN_HEADER: "forbidden_header";
  BODY_NOT_ALLOWED: "body_not_allowed";
  BODY_TOO_LARGE: "body_too_large";
  /** Given only by the fetch bridge's re-check (Python's origin differs from the browser's). */
  ORIGIN_MISMATCH: "origin_mismatch";
  /** Given only by the request limiters (the bridge's, and Python's mirror), never by `authorize`. */
  RATE_LIMITED: "rate_limited";
}>;

/** Any deny reason string. */
export type DenyReasonValue = (typeof DenyReason)[keyof typeof DenyReason];

/**
 * The reasons `FetchAuthority.authorize` can give (`origin_mismatch` is the bridge's re-check's,
 * `rate_limited` the request limiters'; `authorize` is stateless and gives neither).
 */
export type AuthorizeDenyReason = Exclude<DenyReasonValue, "origin_mismatch" | "rate_limited">;

/**
 * A policy could not be loaded or narrowed. The message names the offending entry by position
 * (`origins[3]: path not allowed in an origin`); a value it shows is an ASCII-only JSON string
 * (`policy: unknown key "origin"`), and a type is named neutrally (`got an integer`). Python's
 * `PolicyError` gives the same message (docs/policy.md, "Error messages").
 */
export declare class PolicyError extends Error {
  readonly name: "PolicyError";
}

export type CredentialsMode = "omit" | "same-origin" | "include";
export type RedirectMode = "error" | "follow";

/** A policy document as docs/policy.md describes it. Every key is optional. */
export interface FetchPolicy {
  /** Granted origins (`https://api.example.com`, `https://*.example.com`); at most 1,000. */
  origins?: readonly string[];
  /** Granted methods; defaults to `["GET"]` when origins are granted, else `[]`. */
  methods?: readonly string[];
  /** The most a request may ask for; default `"omit"`. */
  credentials?: CredentialsMode;
  /** Request headers, duplicates counted; 0..64, default 16. */
  max_header_count?: number;
  /** Request body bytes (strings as UTF-8); 0..16,777,216, default 1 MiB. */
  max_request_body_bytes?: number;
  /** Response body bytes, enforced by the bridge; 1..268,435,456, default 10 MiB. */
  max_response_body_bytes?: number;
  /** Default `"error"`. */
  redirect?: RedirectMode;
  /** Total time, applied by the bridge; 1..300,000, default 30,000. */
  timeout_ms?: number;
  /** Requests in flight at once, per runtime; 1..64, default 4 (below browsers' 6 per host). */
  max_concurrent_requests?: number;
  /** Requests waiting for a free slot, per runtime; 0..10,000, default 64. Past it: `rate_limited`. */
  max_queued_requests?: number;
  /** Token bucket of this capacity, refilled at this many per 60 s, per runtime; 1..60,000, default 600. */
  max_requests_per_minute?: number;
  /** Absolute http(s) origin that relative request URLs resolve against. */
  base?: string | null;
}

/** The canonical policy document `toJSON()` returns: every key present, every value canonical. */
export interface CanonicalFetchPolicy {
  origins: string[];
  methods: string[];
  credentials: CredentialsMode;
  max_header_count: number;
  max_request_body_bytes: number;
  max_response_body_bytes: number;
  redirect: RedirectMode;
  timeout_ms: number;
  max_concurrent_requests: number;
  max_queued_requests: number;
  max_requests_per_minute: number;
  base: string | null;
}

/** A request to decide. Omitted `headers`/`body` mean none; omitted `credentials` means `"omit"`. */
export interface PolicyRequest {
  method: string;
  url: string;
  headers?: ReadonlyArray<readonly [string, string]> | null;
  credentials?: CredentialsMode;
  body?: string | Uint8Array | ArrayBuffer | null;
}

/** The authority's answer; frozen. `reason` is null when allowed. */
export interface PolicyDecision {
  readonly allowed: boolean;
  readonly reason: AuthorizeDenyReason | null;
  /** The canonical origin whenever the URL parsed as http(s) (also for later denials), else null. */
  readonly origin: string | null;
}

/** What `narrow()` may change; omitted settings are inherited from the parent. */
export interface NarrowSettings {
  origins?: readonly string[];
  methods?: readonly string[];
  credentials?: CredentialsMode;
  redirect?: RedirectMode;
  max_header_count?: number;
  max_request_body_bytes?: number;
  max_response_body_bytes?: number;
  timeout_ms?: number;
  max_concurrent_requests?: number;
  max_queued_requests?: number;
  max_requests_per_minute?: number;
}

/** An immutable, default-deny grant to reach the network. The instance is deeply frozen. */
export declare class FetchAuthority {
  private constructor();
  /** Validate and canonicalize a policy (a JSON text or an object); throws PolicyError. */
  static fromJSON(objOrText: FetchPolicy | string | FetchAuthority): FetchAuthority;
  /** An authority that grants nothing. */
  static denyAll(): FetchAuthority;

  /** Canonical granted origins: exact ones sorted, then wildcards sorted. */
  readonly origins: readonly string[];
  /** Granted methods, in the order GET HEAD POST PUT DELETE PATCH OPTIONS. */
  readonly methods: readonly string[];
  readonly credentials: CredentialsMode;
  readonly max_header_count: number;
  readonly max_request_body_bytes: number;
  readonly max_response_body_bytes: number;
  readonly redirect: RedirectMode;
  readonly timeout_ms: number;
  /** Requests in flight at once, per runtime (enforced by the bridge). */
  readonly max_concurrent_requests: number;
  /** Requests waiting for a free slot, per runtime; past it a request is denied `rate_limited`. */
  readonly max_queued_requests: number;
  /** Token bucket capacity, refilled at this many per 60 s, per runtime. */
  readonly max_requests_per_minute: number;
  /** Canonical base origin, or null. */
  readonly base: string | null;

  /** Decide one request. Total: never throws, whatever `request` is. */
  authorize(request: PolicyRequest | unknown): PolicyDecision;
  /** A child authority granting a subset of this one; asking for more throws PolicyError. */
  narrow(settings: NarrowSettings): FetchAuthority;
  /** The canonical policy document. */
  toJSON(): CanonicalFetchPolicy;
}

/**
 * The canonical origin `fetch` would contact for `url` (resolved against `base` when relative),
 * or null when the policy would deny the URL as invalid_url or scheme_denied. Never throws.
 */
export declare function canonicalOrigin(url: unknown, base?: string | null): string | null;
