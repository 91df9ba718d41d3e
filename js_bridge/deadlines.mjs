// @ts-check
/**
 * Deadlines for many short operations on one timer. Starting a browser timer per call costs
 * more than a fast tool call itself; here the one timer is armed for the earliest deadline, a
 * later deadline never re-arms it, and a finished operation only leaves its entry, so a stream of
 * quick calls sets about one timer per timeout period rather than one each.
 */

/**
 * @param {() => number} now milliseconds, monotonic
 */
export function createDeadlines(now = () => performance.now()) {
  /** @type {Set<{at: number, fire: () => void}>} */
  const entries = new Set();
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let armedAt = Infinity;

  /** @param {number} at */
  function arm(at) {
    if (timer !== null) clearTimeout(timer);
    armedAt = at;
    timer = at === Infinity ? null : setTimeout(expire, Math.max(0, at - now()));
  }

  function expire() {
    timer = null;
    armedAt = Infinity;
    const at = now();
    let earliest = Infinity;
    for (const entry of [...entries]) {
      if (entry.at <= at) {
        entries.delete(entry);
        entry.fire();
      } else if (entry.at < earliest) {
        earliest = entry.at;
      }
    }
    if (earliest < armedAt) arm(earliest);
  }

  /**
   * Call `fire` after `ms` unless the returned function is called first.
   * @param {number} ms
   * @param {() => void} fire
   * @returns {() => void} cancels the deadline
   */
  function after(ms, fire) {
    const entry = { at: now() + ms, fire };
    entries.add(entry);
    if (entry.at < armedAt) arm(entry.at);
    else /** @type {any} */ (timer)?.ref?.();
    // A cancelled entry leaves the timer armed: when it fires it finds nothing due and re-arms
    // for the earliest entry left, if any.
    return () => {
      entries.delete(entry);
      // In Node, a timer with nothing left to expire must not keep the process alive.
      if (entries.size === 0) /** @type {any} */ (timer)?.unref?.();
    };
  }

  return Object.freeze({ after, size: () => entries.size });
}
