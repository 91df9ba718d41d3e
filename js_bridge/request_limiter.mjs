// @ts-check
/**
 * The bridge's request limiter: how many requests one runtime may have in flight, how many may
 * wait for a slot, and how many may start per minute. It decides at once: a request past a limit
 * is refused (`rate_limited`), never queued without bound, so a worker that posts thousands of
 * fetch messages cannot hold the browser's connections to a host, and the page's own requests
 * to it still go through. Python mirrors the same limits, rules and messages
 * (browser_rt/fetch/limits.py) so polite code is refused before it posts anything: the bucket is
 * checked first, only a request that gets a slot or a place in the queue spends a token, and a
 * freed slot goes to the oldest waiter.
 */

/**
 * @typedef {object} Limits
 * @property {number} maxConcurrent requests in flight at once
 * @property {number} maxQueued requests waiting for a slot
 * @property {number} perMinute token bucket: capacity and refill per 60 s
 */

/**
 * @typedef {{slot: Promise<(() => void) | null>} | {denied: string}} Admission
 *   `slot` resolves with the release function once the request may start, or with null when
 *   the signal aborted it while it waited; `denied` names the limit, never the request.
 */

/**
 * @param {Limits} limits
 * @param {() => number} [now] milliseconds, monotonic
 */
export function createRequestLimiter({ maxConcurrent, maxQueued, perMinute }, now = () => performance.now()) {
  let tokens = perMinute;
  let refilledAt = now();
  let active = 0;
  /** @type {{start: (release: () => void) => void}[]} */
  const waiting = [];

  function refill() {
    const at = now();
    tokens = Math.min(perMinute, tokens + ((at - refilledAt) * perMinute) / 60_000);
    refilledAt = at;
  }

  /** A release that frees its slot once, however often it is called. */
  function makeRelease() {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      if (next) next.start(makeRelease());
      else active -= 1;
    };
  }

  /**
   * @param {AbortSignal | (() => AbortSignal)} [signal] aborting it while the request waits
   *   gives up its place; a function is called only if the request has to wait
   * @returns {Admission}
   */
  function admit(signal) {
    refill();
    if (tokens < 1) return { denied: `max_requests_per_minute: more than ${perMinute} requests a minute` };
    if (active < maxConcurrent) {
      tokens -= 1;
      active += 1;
      return { slot: Promise.resolve(makeRelease()) };
    }
    if (waiting.length >= maxQueued) {
      return { denied: `max_queued_requests: ${maxQueued} requests already waiting` };
    }
    tokens -= 1;
    return {
      slot: new Promise((resolve) => {
        const entry = { start: resolve };
        waiting.push(entry);
        const waitSignal = typeof signal === "function" ? signal() : signal;
        waitSignal?.addEventListener("abort", () => {
          const at = waiting.indexOf(entry);
          if (at >= 0) {
            waiting.splice(at, 1);
            resolve(null);
          }
        }, { once: true });
      }),
    };
  }

  return Object.freeze({
    admit,
    /** @returns {{active: number, waiting: number}} */
    load: () => ({ active, waiting: waiting.length }),
  });
}
