// @ts-check
/**
 * The fetch bridge: the only place browser_rt calls `fetch`. It re-checks every request
 * against the frozen authority, sets every fetch option itself, caps the request and response
 * bodies, applies the timeout, bounds how many requests run and start, and aborts on request.
 * Python's options are never passed through.
 */
import { createRequestLimiter } from "./request_limiter.mjs";

/** Error codes Python maps to FetchError subclasses. */
export const FetchErrorCode = Object.freeze({
  NETWORK: "network",
  TIMEOUT: "timeout",
  ABORTED: "aborted",
  RESPONSE_TOO_LARGE: "response_too_large",
  REDIRECT_DENIED: "redirect_denied",
  BRIDGE: "bridge",
});

class BridgeFailure extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Methods the record names as they are; anything else is recorded as "other". */
const RECORDED_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

/**
 * @param {object} options
 * @param {{authorize(request: object): {allowed: boolean, reason: string|null, origin: string|null}, toJSON(): any}} options.authority
 *   the frozen JS FetchAuthority
 * @param {typeof fetch} [options.fetchImpl] the platform fetch, captured before anything can replace it
 * @param {(entry: import("./index").BridgeRecordEntry) => void} [options.onRecord] receives the
 *   bridge's own record of every request it performed or refused (metadata only: origin, method,
 *   outcome, status, sizes, duration, request id). It is the trusted account of what went out,
 *   whatever the worker says in its own events.
 * @param {() => number} [options.now] milliseconds, monotonic (for durations and the rate limit)
 * @returns {import("./index").FetchBridge}
 */
export function createFetchBridge({ authority, fetchImpl = globalThis.fetch, onRecord = () => {}, now = () => performance.now() }) {
  if (typeof fetchImpl !== "function") throw new TypeError("createFetchBridge: no fetch implementation");
  const policy = Object.freeze(authority.toJSON());
  /** @type {Map<number, {controller: AbortController, settled: Promise<unknown>}>} */
  const inFlight = new Map();
  const boundFetch = fetchImpl.bind(globalThis);
  const limiter = createRequestLimiter({
    maxConcurrent: policy.max_concurrent_requests,
    maxQueued: policy.max_queued_requests,
    perMinute: policy.max_requests_per_minute,
  }, now);

  /**
   * @param {import("./index").BridgeRequest} request
   * @param {Uint8Array | null | undefined} body
   * @returns {Promise<import("./index").BridgeResult>}
   */
  async function perform(request, body) {
    const startedAt = now();
    const result = await decideAndRun(request, body);
    safeCall(onRecord, recordOf(request, body, result, Math.max(0, now() - startedAt)));
    return result;
  }

  /**
   * @param {import("./index").BridgeRequest} request
   * @param {Uint8Array | null | undefined} body
   * @returns {Promise<import("./index").BridgeResult>}
   */
  async function decideAndRun(request, body) {
    const checked = recheck(request, body);
    if ("denied" in checked) return { ok: false, kind: "denied", reason: checked.denied, origin: checked.origin };
    const { requestId } = checked;
    if (inFlight.has(requestId)) {
      return { ok: false, kind: "error", code: FetchErrorCode.BRIDGE, message: "duplicate request id" };
    }
    const controller = new AbortController();
    const admission = limiter.admit(controller.signal);
    if ("denied" in admission) {
      return { ok: false, kind: "denied", reason: "rate_limited", origin: checked.origin, detail: admission.denied };
    }
    const run = admission.slot.then(async (release) => {
      if (release === null) return aborted(controller.signal);
      try {
        return await execute(checked, controller);
      } finally {
        release();
      }
    });
    const settled = run.then(() => undefined, () => undefined);
    inFlight.set(requestId, { controller, settled });
    try {
      return await run;
    } finally {
      inFlight.delete(requestId);
    }
  }

  /**
   * Abort one request and resolve once its fetch has settled, so nothing is left running.
   * @param {number} requestId
   */
  async function abort(requestId) {
    const entry = inFlight.get(requestId);
    if (!entry) return false;
    entry.controller.abort(new BridgeFailure(FetchErrorCode.ABORTED, "aborted by the caller"));
    await entry.settled;
    return true;
  }

  /**
   * @param {import("./index").BridgeRequest} request
   * @param {Uint8Array | null | undefined} body
   */
  function recheck(request, body) {
    const requestId = Number(request?.request_id);
    if (!request || typeof request !== "object" || !Number.isSafeInteger(requestId)) {
      return { denied: "invalid_request", origin: null, requestId: null };
    }
    // Copy once: the checked bytes are the bytes sent, whatever happens to the caller's buffer.
    const bodyCopy = body == null ? null : new Uint8Array(body);
    const decision = authority.authorize({
      method: request.method,
      url: request.url,
      headers: request.headers,
      credentials: request.credentials,
      body: bodyCopy,
    });
    if (!decision.allowed) return { denied: decision.reason, origin: decision.origin, requestId };
    if (decision.origin !== request.origin) {
      return { denied: "origin_mismatch", origin: decision.origin, requestId };
    }
    const headers = /** @type {[string, string][]} */ (
      Array.from(request.headers ?? [], (pair) => [String(pair[0]), String(pair[1])])
    );
    const method = normalizeMethod(String(request.method));
    const requestedTimeout = Number(request.timeout_ms);
    const timeoutMs = Number.isFinite(requestedTimeout) && requestedTimeout > 0
      ? Math.min(requestedTimeout, policy.timeout_ms)
      : policy.timeout_ms;
    return {
      requestId,
      origin: decision.origin,
      url: String(request.url),
      method,
      headers,
      credentials: String(request.credentials ?? "omit"),
      timeoutMs,
      body: bodyCopy,
    };
  }

  /**
   * @param {{requestId: number, origin: string, url: string, method: string, headers: [string, string][], credentials: string, timeoutMs: number, body: Uint8Array | null}} req
   * @param {AbortController} controller
   * @returns {Promise<import("./index").BridgeResult>}
   */
  async function execute(req, controller) {
    const timer = setTimeout(
      () => controller.abort(new BridgeFailure(FetchErrorCode.TIMEOUT, `no complete response within ${req.timeoutMs} ms`)),
      req.timeoutMs,
    );
    try {
      const response = await boundFetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body ?? undefined,
        mode: "cors",
        credentials: /** @type {RequestCredentials} */ (req.credentials),
        // "manual" never contacts the redirect target; the redirect itself is then refused.
        redirect: policy.redirect === "follow" ? "follow" : "manual",
        referrerPolicy: "no-referrer",
        keepalive: false,
        cache: "no-store",
        signal: controller.signal,
      });
      if (isRedirect(response)) {
        controller.abort(new BridgeFailure(FetchErrorCode.REDIRECT_DENIED, "redirect refused by policy"));
        throw new BridgeFailure(FetchErrorCode.REDIRECT_DENIED, "the server answered with a redirect and the policy says redirect: error");
      }
      if (response.redirected && !finalOriginGranted(response.url)) {
        throw new BridgeFailure(FetchErrorCode.REDIRECT_DENIED, "a followed redirect ended on an origin that is not granted");
      }
      const bytes = await readCapped(response, policy.max_response_body_bytes, controller);
      const result = {
        ok: /** @type {const} */ (true),
        status: response.status,
        statusText: response.statusText,
        url: response.url || req.url,
        redirected: response.redirected,
        headers: [...response.headers],
        body: bytes,
      };
      return result;
    } catch (error) {
      const failure = classify(error, controller.signal);
      return { ok: false, kind: "error", code: failure.code, message: failure.message };
    } finally {
      clearTimeout(timer);
    }
  }

  /** @param {string} finalURL */
  function finalOriginGranted(finalURL) {
    return authority.authorize({ method: "GET", url: finalURL, headers: [], credentials: "omit", body: null }).allowed;
  }

  return Object.freeze({ perform, abort, inFlightCount: () => inFlight.size, load: limiter.load });
}

/**
 * The record entry for one request: what the bridge itself saw and did. Never the URL's path or
 * query, a header or a body; the origin is the one the policy computed, or null if none.
 * @param {import("./index").BridgeRequest} request
 * @param {Uint8Array | null | undefined} body
 * @param {import("./index").BridgeResult} result
 * @param {number} durationMs
 * @returns {import("./index").BridgeRecordEntry}
 */
function recordOf(request, body, result, durationMs) {
  const requestId = Number(request?.request_id);
  const method = typeof request?.method === "string" ? request.method.toUpperCase() : "";
  const base = {
    request_id: Number.isSafeInteger(requestId) ? requestId : null,
    method: RECORDED_METHODS.has(method) ? method : "other",
    bytes_sent: body instanceof Uint8Array ? body.byteLength : 0,
    duration_ms: Math.round(durationMs),
  };
  if (result.ok) {
    return { ...base, origin: safeOrigin(result.url), outcome: "performed", status: result.status, bytes_received: result.body.byteLength };
  }
  if (result.kind === "denied") return { ...base, origin: result.origin, outcome: "denied", reason: result.reason, bytes_received: 0 };
  // A failure comes after the re-check passed, which proved request.origin is the policy's origin.
  return { ...base, origin: String(request.origin), outcome: "failed", code: result.code, bytes_received: 0 };
}

/** @param {string} url */
function safeOrigin(url) {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** @param {AbortSignal} signal @returns {import("./index").BridgeResult} */
function aborted(signal) {
  const failure = classify(signal.reason, signal);
  return { ok: false, kind: "error", code: failure.code, message: failure.message };
}

/** @param {Response} response */
function isRedirect(response) {
  if (response.type === "opaqueredirect") return true;
  return response.status >= 300 && response.status < 400 && response.headers.has("location");
}

/**
 * Read the body through a streaming reader and stop as soon as it passes the cap.
 * @param {Response} response
 * @param {number} cap
 * @param {AbortController} controller
 */
async function readCapped(response, cap, controller) {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > cap) {
    controller.abort(new BridgeFailure(FetchErrorCode.RESPONSE_TOO_LARGE, "declared length over the cap"));
    throw new BridgeFailure(FetchErrorCode.RESPONSE_TOO_LARGE, `response declares ${declared} bytes, more than ${cap}`);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      controller.abort(new BridgeFailure(FetchErrorCode.RESPONSE_TOO_LARGE, "body over the cap"));
      await reader.cancel().catch(() => {});
      throw new BridgeFailure(FetchErrorCode.RESPONSE_TOO_LARGE, `response body is more than ${cap} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * @param {unknown} error
 * @param {AbortSignal} signal
 * @returns {{code: string, message: string}}
 */
function classify(error, signal) {
  if (error instanceof BridgeFailure) return { code: error.code, message: error.message };
  if (signal.aborted && signal.reason instanceof BridgeFailure) {
    return { code: signal.reason.code, message: signal.reason.message };
  }
  if (signal.aborted) return { code: FetchErrorCode.ABORTED, message: "aborted" };
  return { code: FetchErrorCode.NETWORK, message: "network error" };
}

const FETCH_NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/** @param {string} method */
function normalizeMethod(method) {
  const upper = method.toUpperCase();
  return FETCH_NORMALIZED.has(upper) ? upper : method;
}

/**
 * @template T
 * @param {(value: T) => void} callback
 * @param {T} value
 */
function safeCall(callback, value) {
  try {
    callback(value);
  } catch {
    // A diagnostics sink that throws must never break a fetch.
  }
}
