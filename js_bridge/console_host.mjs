// @ts-check
/**
 * The console host: where redacted browser_rt events end up in the page. Each event goes to
 * console.info/warn/error by severity with a "[browser_rt]" prefix, and to the embedder's sink.
 */

export const PREFIX = "[browser_rt]";
const LEVELS = Object.freeze({ debug: "debug", info: "info", warn: "warn", error: "error" });
const MAX_FIELDS = 40;
const MAX_STRING = 512;

/**
 * @param {object} options
 * @param {((event: Record<string, unknown>) => void) | undefined} options.sink the embedder's callback
 * @param {Pick<Console, "debug" | "info" | "warn" | "error">} [options.console]
 * @param {number} [options.capacity] how many events `recent()` keeps
 */
export function createEventHost({ sink, console: out = globalThis.console, capacity = 500, limit = { perKey: 50, windowMs: 10_000 } }) {
  /** @type {Record<string, unknown>[]} */
  const recent = [];
  const limiter = createLimiter(limit.perKey, limit.windowMs);
  let bridgeSeq = 0;

  /**
   * Events raised by the JS bridge itself, stamped like the Python ones. They carry only
   * metadata (origin, method, status, sizes, codes), never URLs, headers or bodies.
   * @param {Record<string, unknown>} event
   */
  function deliverBridgeEvent(event) {
    deliver({ schema: "browser-rt-event-v1", source: "bridge", seq: ++bridgeSeq, ts: Date.now() / 1000, ...event });
  }

  /** @param {unknown} raw */
  function deliver(raw) {
    const event = sanitize(raw);
    const verdict = limiter.admit(`${event.type}|${event.reason}|${event.origin}`, Date.now());
    if (verdict.summary) emit({ schema: "browser-rt-event-v1", source: "console-host", type: "diagnostics.dropped", severity: "warn", dropped: verdict.summary });
    if (verdict.admitted) emit(event);
  }

  /** @param {Record<string, unknown>} event */
  function emit(event) {
    recent.push(event);
    if (recent.length > capacity) recent.splice(0, recent.length - capacity);
    const level = LEVELS[/** @type {keyof typeof LEVELS} */ (String(event.severity))] ?? "info";
    try {
      out[/** @type {"debug" | "info" | "warn" | "error"} */ (level)](PREFIX, event);
    } catch {
      // A broken console must not break the runtime.
    }
    if (sink) {
      try {
        sink(event);
      } catch {
        // Nor may a sink that throws.
      }
    }
  }
  return Object.freeze({ deliver, deliverBridgeEvent, recent: () => recent.slice() });
}

/**
 * A fixed-window limiter per event key, so a loop of denials (or a hostile worker posting
 * events) cannot drown the console. Each window's drops are summarized once, when the next
 * event arrives after the window ends.
 * @param {number} perKey
 * @param {number} windowMs
 */
export function createLimiter(perKey, windowMs) {
  let windowStart = -Infinity;
  /** @type {Map<string, number>} */
  let counts = new Map();
  /** @type {Record<string, number>} */
  let dropped = {};
  let droppedTotal = 0;
  return {
    /** @param {string} key @param {number} now */
    admit(key, now) {
      /** @type {Record<string, number> | null} */
      let summary = null;
      if (now - windowStart >= windowMs) {
        if (droppedTotal > 0) summary = dropped;
        windowStart = now;
        counts = new Map();
        dropped = {};
        droppedTotal = 0;
      }
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      if (count > perKey) {
        if (Object.keys(dropped).length < 50 || key in dropped) dropped[key] = (dropped[key] ?? 0) + 1;
        droppedTotal += 1;
        return { admitted: false, summary };
      }
      return { admitted: true, summary };
    },
  };
}

/**
 * Events from a worker cross a trust boundary: keep a bounded copy of plain values only.
 * @param {unknown} raw
 * @returns {Record<string, unknown>}
 */
export function sanitize(raw) {
  if (!raw || typeof raw !== "object") return { type: "diagnostics.malformed", severity: "warn" };
  /** @type {Record<string, unknown>} */
  const out = {};
  let count = 0;
  for (const [key, value] of Object.entries(raw)) {
    if (++count > MAX_FIELDS) break;
    out[key.slice(0, 64)] = plain(value, 0);
  }
  return Object.freeze(out);
}

/** @param {unknown} value @param {number} depth @returns {unknown} */
function plain(value, depth) {
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "string") return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}...` : value;
  if (depth > 3) return null;
  if (Array.isArray(value)) return value.slice(0, MAX_FIELDS).map((item) => plain(item, depth + 1));
  if (typeof value === "object") {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [key, item] of Object.entries(/** @type {object} */ (value)).slice(0, MAX_FIELDS)) {
      out[key.slice(0, 64)] = plain(item, depth + 1);
    }
    return out;
  }
  return null;
}
