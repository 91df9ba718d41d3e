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
 * Where an event came from, stamped by this host and never taken from the event itself:
 * - `worker`: posted by the worker, which runs hostile Python (worker mode);
 * - `python`: raised by Python sharing the page's realm (page mode, not a boundary);
 * - `bridge`: the fetch bridge's own record of a request it performed or refused;
 * - `page`: the runtime host on the page (isolation proof, dropped worker messages);
 * - `console-host`: this host's own summaries (`diagnostics.dropped`).
 */
export const EventOrigin = Object.freeze({
  WORKER: "worker", PYTHON: "python", BRIDGE: "bridge", PAGE: "page", CONSOLE_HOST: "console-host",
});

/** Severity of a bridge record entry's event, by outcome. */
const RECORD_SEVERITY = Object.freeze({ performed: "info", denied: "warn", failed: "warn", committed: "info", refused: "warn" });

/**
 * @param {object} options
 * @param {((event: Record<string, unknown>) => void) | undefined} options.sink the embedder's callback
 * @param {Pick<Console, "debug" | "info" | "warn" | "error">} [options.console]
 * @param {number} [options.capacity] how many events `recent()` and records `record()` keep
 * @param {{perKey: number, windowMs: number, untrustedPerWindow: number}} [options.limit]
 *   per event key and window; events from the worker or page-mode Python also share one cap
 *   per window, so varying the key does not get a flood through
 */
export function createEventHost({
  sink, console: out = globalThis.console, capacity = 500,
  limit = { perKey: 50, windowMs: 10_000, untrustedPerWindow: 500 },
}) {
  /** @type {Record<string, unknown>[]} */
  const recent = [];
  /** @type {Record<string, unknown>[]} */
  const records = [];
  const recordTotals = { performed: 0, denied: 0, failed: 0 };
  const trustedLimiter = createLimiter(limit.perKey, limit.windowMs);
  const untrustedLimiter = createLimiter(limit.perKey, limit.windowMs, limit.untrustedPerWindow);
  /** @type {Record<string, number>} */
  const seqs = {};

  /**
   * @param {unknown} raw
   * @param {string} source one of EventOrigin
   */
  function deliverFrom(raw, source) {
    if (source === EventOrigin.WORKER || source === EventOrigin.PYTHON) {
      // Stamped after sanitizing, so the sender's own `source` never survives.
      const event = Object.freeze({ ...sanitize(raw), source });
      if (admit(untrustedLimiter, `${source}|${event.type}|${event.reason}|${event.origin}`)) emit(event);
      return;
    }
    // The runtime's own events: numbered whether or not the limiter admits them, and built only
    // when it does (a stream of tool calls would otherwise build an event per call to drop it).
    const seq = (seqs[source] = (seqs[source] ?? 0) + 1);
    const fields = /** @type {Record<string, unknown>} */ (raw && typeof raw === "object" ? raw : { type: "diagnostics.malformed" });
    if (admit(trustedLimiter, `${source}|${keyPart(fields.type)}|${keyPart(fields.reason)}|${keyPart(fields.origin)}`)) {
      emit(Object.freeze({ schema: "browser-rt-event-v1", ts: Date.now() / 1000, ...sanitize(raw), source, seq }));
    }
  }

  /**
   * Ask `limiter` about `key`; a summary of what it dropped in its last window is emitted first.
   * @param {ReturnType<typeof createLimiter>} limiter
   * @param {string} key
   */
  function admit(limiter, key) {
    const verdict = limiter.admit(key, Date.now());
    if (verdict.summary) {
      emit({ schema: "browser-rt-event-v1", source: EventOrigin.CONSOLE_HOST, type: "diagnostics.dropped", severity: "warn", dropped: verdict.summary });
    }
    return verdict.admitted;
  }

  /**
   * One entry of the bridge's trusted record: kept here (bounded) and delivered as a
   * `bridge.request` event (or `tool.call` for a tool call's entry, `storage.flush` for the
   * storage writer's), rate-limited like every other event.
   * @param {Record<string, unknown>} entry
   * @param {string} [type]
   */
  function deliverRecord(entry, type = entry.kind === "tool" ? "tool.call" : "bridge.request") {
    const outcome = /** @type {keyof typeof recordTotals} */ (String(entry.outcome));
    if (outcome in recordTotals) recordTotals[outcome] += 1;
    records.push(Object.freeze({ ...entry }));
    trim(records);
    deliverFrom({ type, severity: RECORD_SEVERITY[/** @type {keyof typeof RECORD_SEVERITY} */ (outcome)] ?? "warn", ...entry }, EventOrigin.BRIDGE);
  }

  /**
   * Keep the newest `capacity` items: the oldest are cut in one go once twice as many have
   * gathered, so an item costs the same however full the list is.
   * @param {unknown[]} items
   */
  function trim(items) {
    if (items.length >= 2 * capacity) items.splice(0, items.length - capacity);
  }

  /** @param {Record<string, unknown>} event */
  function emit(event) {
    recent.push(event);
    trim(recent);
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
  return Object.freeze({
    /** @param {unknown} raw an event posted by the worker */
    deliverWorkerEvent: (raw) => deliverFrom(raw, EventOrigin.WORKER),
    /** @param {unknown} raw an event raised by Python in the page's realm (page mode) */
    deliverPythonEvent: (raw) => deliverFrom(raw, EventOrigin.PYTHON),
    /** @param {Record<string, unknown>} event an event of the runtime host itself */
    deliverPageEvent: (event) => deliverFrom(event, EventOrigin.PAGE),
    deliverRecord,
    recent: () => recent.slice(-capacity),
    record: () => ({ entries: records.slice(-capacity), totals: { ...recordTotals } }),
  });
}

/**
 * A fixed-window limiter per event key, so a loop of denials (or a hostile worker posting
 * events) cannot drown the console. Each window's drops are summarized once, when the next
 * event arrives after the window ends. An optional cap on the whole window stops a flood that
 * varies its keys.
 * @param {number} perKey
 * @param {number} windowMs
 * @param {number} [perWindow]
 */
export function createLimiter(perKey, windowMs, perWindow = Infinity) {
  let windowStart = -Infinity;
  /** @type {Map<string, number>} */
  let counts = new Map();
  /** @type {Record<string, number>} */
  let dropped = {};
  let droppedTotal = 0;
  let admittedTotal = 0;
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
        admittedTotal = 0;
      }
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      if (count > perKey || admittedTotal >= perWindow) {
        if (Object.keys(dropped).length < 50 || key in dropped) dropped[key] = (dropped[key] ?? 0) + 1;
        else dropped["(other keys)"] = (dropped["(other keys)"] ?? 0) + 1;
        droppedTotal += 1;
        return { admitted: false, summary };
      }
      admittedTotal += 1;
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

/**
 * A field of a rate-limit key, as it reads once sanitized.
 * @param {unknown} value
 */
function keyPart(value) {
  return value === undefined ? "undefined" : String(plain(value, 0));
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
