// @ts-check
/**
 * Worker mode's memory snapshot, held by the page: read and verified (sha256 by SubtleCrypto)
 * once per runtime, then handed to every worker it starts, the first and each restart after an
 * interrupt, a timeout or a fatal stop. A restart thus neither downloads nor hashes the ~33 MB
 * again.
 *
 * The page treats its workers as hostile, so the copy it keeps is never posted to one: each
 * worker gets a fresh copy of the verified bytes, transferred (the page keeps no handle on it),
 * and nothing a worker sends back is ever used for a restore. Whatever a worker does to the
 * bytes it was given, the next worker gets exactly the verified ones.
 */
import { readSnapshotInfo, readVerifiedSnapshot, snapshotEvent } from "./snapshot.mjs";

/**
 * @typedef {object} SnapshotHandout what one worker start gets
 * @property {import("./snapshot.mjs").VerifiedSnapshot | null} snapshot a copy of its own, or null
 *   when the snapshot cannot be used (the worker then boots the normal way)
 * @property {Transferable[]} transfer the copy's buffer, to transfer with the init message
 * @property {Record<string, unknown>} event the page's event for this start: `worker.snapshot`
 *   (fetched and verified now, or the kept copy reused), or `snapshot.fallback` with the reason
 */

/**
 * @param {URL} indexURL the bundle's pyodide/ folder
 * @param {typeof readVerifiedSnapshot} [read] how the snapshot is read and verified
 */
export function createSnapshotSource(indexURL, read = readVerifiedSnapshot) {
  /** @type {ReturnType<typeof readSnapshotInfo> | null} */
  let described = null;
  /** @type {ReturnType<typeof readVerifiedSnapshot> | null} */
  let kept = null;
  /** @type {boolean | null} whether the kept read verified; null while it runs */
  let verified = null;
  let handedOut = false;
  const start = () => {
    described ??= readSnapshotInfo(indexURL);
    if (kept === null) {
      const reading = read(indexURL, null, described);
      kept = reading;
      reading.then((outcome) => {
        if (kept === reading) verified = outcome.ok;
      });
    }
    return kept;
  };
  return Object.freeze({
    /** Start reading now, while the page still has other work to do before a worker asks. */
    prefetch() {
      start();
    },
    /**
     * What the next worker can prepare before its copy arrives: the size of Pyodide's part of
     * the snapshot (null where the description does not say), or null when no snapshot will
     * come (the description is missing or wrong, or the bytes did not verify).
     * @returns {Promise<{heapBytes: number | null} | null>}
     */
    async expected() {
      start();
      const description = await /** @type {ReturnType<typeof readSnapshotInfo>} */ (described);
      if (!description.ok || verified === false) return null;
      return { heapBytes: description.info.pyodide_bytes ?? null };
    },
    /**
     * The snapshot for the next worker. The outcome of the first read is kept, a failure too:
     * a snapshot that did not verify is not downloaded again on every restart.
     * @returns {Promise<SnapshotHandout>}
     */
    async forWorker() {
      const started = performance.now();
      const reused = handedOut;
      handedOut = true;
      const outcome = await start();
      if (!outcome.ok) return { snapshot: null, transfer: [], event: snapshotEvent(outcome) };
      const copy = outcome.bytes.slice();
      return {
        snapshot: { info: structuredClone(outcome.info), bytes: copy },
        transfer: [copy.buffer],
        event: {
          type: "worker.snapshot", severity: "info", reused, bytes: copy.length,
          ms: Math.round(performance.now() - started),
        },
      };
    },
    /** Let the kept copy go (the runtime is closed). */
    release() {
      described = null;
      kept = null;
      verified = null;
      handedOut = false;
    },
  });
}
