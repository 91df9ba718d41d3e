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
import { readVerifiedSnapshot, snapshotEvent } from "./snapshot.mjs";

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
  /** @type {ReturnType<typeof readVerifiedSnapshot> | null} */
  let kept = null;
  return Object.freeze({
    /**
     * The snapshot for the next worker. The outcome of the first read is kept, a failure too:
     * a snapshot that did not verify is not downloaded again on every restart.
     * @returns {Promise<SnapshotHandout>}
     */
    async forWorker() {
      const started = performance.now();
      const reused = kept !== null;
      kept ??= read(indexURL);
      const outcome = await kept;
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
      kept = null;
    },
  });
}
