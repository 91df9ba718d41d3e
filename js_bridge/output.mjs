// @ts-check
/**
 * Python's stdout and stderr, line by line, while a run is going on. In the worker, lines are
 * batched into few messages without holding one back: the first line after a pause is posted at
 * once, so output streams even while Python blocks the worker. On the page, output is untrusted
 * input like everything else the worker posts: bounded per line and per second, and what is
 * dropped is counted and said, once per second, in the stream itself and in an event.
 */

export const OUTPUT_LIMITS = Object.freeze({
  /** Lines one output message may carry. */
  linesPerMessage: 1000,
  /** Characters of one line; longer lines are cut, and say so. */
  lineChars: 16_384,
  /** Lines and characters per stream per second that reach the app. */
  linesPerSecond: 2000,
  charsPerSecond: 1 << 20,
});

const STREAMS = Object.freeze(["stdout", "stderr"]);

/**
 * The worker side: collect lines and post them in batches.
 * @param {(stream: string, lines: string[]) => void} post
 * @param {{flushMs?: number, now?: () => number}} [options]
 */
export function createOutputBatcher(post, { flushMs = 16, now = () => performance.now() } = {}) {
  /** @type {Record<string, string[]>} */
  const pending = { stdout: [], stderr: [] };
  let lastFlush = -Infinity;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;

  function flush() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    lastFlush = now();
    for (const stream of STREAMS) {
      while (pending[stream].length > 0) post(stream, pending[stream].splice(0, OUTPUT_LIMITS.linesPerMessage));
    }
  }

  return Object.freeze({
    /** @param {string} stream @param {string} line */
    write(stream, line) {
      pending[stream].push(line);
      if (now() - lastFlush >= flushMs || pending[stream].length >= OUTPUT_LIMITS.linesPerMessage) flush();
      else if (timer === null) timer = setTimeout(flush, flushMs);
    },
    flush,
  });
}

/**
 * The page side: hand lines to the app's callbacks within the limits.
 * @param {{stdout?: (line: string) => void, stderr?: (line: string) => void,
 *   onDropped?: (summary: {stream: string, lines: number, chars: number}) => void, now?: () => number}} options
 */
export function createOutputSink({ stdout, stderr, onDropped = () => {}, now = () => performance.now() }) {
  const callbacks = {
    stdout: stdout ?? ((/** @type {string} */ line) => console.log(line)),
    stderr: stderr ?? ((/** @type {string} */ line) => console.error(line)),
  };
  /** @type {Record<string, {windowStart: number, lines: number, chars: number, droppedLines: number, droppedChars: number}>} */
  const state = {};
  for (const stream of STREAMS) state[stream] = { windowStart: -Infinity, lines: 0, chars: 0, droppedLines: 0, droppedChars: 0 };
  const totals = { stdout: 0, stderr: 0 };

  /** @param {string} stream */
  function reportDropped(stream) {
    const s = state[stream];
    if (s.droppedLines === 0) return;
    const summary = { stream, lines: s.droppedLines, chars: s.droppedChars };
    s.droppedLines = 0;
    s.droppedChars = 0;
    safe(() => callbacks[/** @type {"stdout" | "stderr"} */ (stream)](`[browser_rt] ${summary.lines} lines of ${stream} dropped (over ${OUTPUT_LIMITS.linesPerSecond} lines or ${OUTPUT_LIMITS.charsPerSecond} characters a second)`));
    safe(() => onDropped(summary));
  }

  return Object.freeze({
    /**
     * @param {string} stream "stdout" or "stderr"
     * @param {string[]} lines
     */
    deliver(stream, lines) {
      const s = state[stream];
      if (!s) return;
      const at = now();
      if (at - s.windowStart >= 1000) {
        reportDropped(stream);
        s.windowStart = at;
        s.lines = 0;
        s.chars = 0;
      }
      for (const raw of lines) {
        const line = raw.length > OUTPUT_LIMITS.lineChars ? `${raw.slice(0, OUTPUT_LIMITS.lineChars)}... [line cut at ${OUTPUT_LIMITS.lineChars} characters]` : raw;
        if (s.lines >= OUTPUT_LIMITS.linesPerSecond || s.chars + line.length > OUTPUT_LIMITS.charsPerSecond) {
          s.droppedLines += 1;
          s.droppedChars += raw.length;
          totals[/** @type {"stdout" | "stderr"} */ (stream)] += 1;
          continue;
        }
        s.lines += 1;
        s.chars += line.length;
        safe(() => callbacks[/** @type {"stdout" | "stderr"} */ (stream)](line));
      }
    },
    /** Say what was dropped so far (at the end of a run). */
    flushDropped() {
      for (const stream of STREAMS) reportDropped(stream);
    },
    /** Lines dropped since the runtime started, per stream. */
    dropped: () => ({ ...totals }),
  });
}

/** @param {() => void} action */
function safe(action) {
  try {
    action();
  } catch {
    // An app callback that throws must not stop the runtime.
  }
}
