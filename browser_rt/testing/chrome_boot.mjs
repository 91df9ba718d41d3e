// @ts-check
/**
 * Start Pyodide in the Chromium page of a test session (pytest-pyodide's module_test.html), from
 * the cached session snapshot when the host offers one (browser_rt/testing/session_snapshot.py).
 *
 * The page reads the container from the host's loopback server and hashes it itself
 * (SubtleCrypto, js_bridge/snapshot.mjs): the bytes that are checked are the bytes restored,
 * whatever happened to the file between the host's look at it and the page's read. Pyodide's
 * Wasm module is fetched and compiled meanwhile, and the heap is filled only once the bytes have
 * passed every check (sha256, size, build id, no JS references). Any failure (no container, a
 * changed byte, another build) boots the normal way in the same page and says why, so a
 * snapshot can make a session start sooner, never make it fail. Either way Pyodide gets
 * pytest-pyodide's own load options, so the rest of its runner works as with its own load.
 */

/**
 * @typedef {{folder: string, module: string, info: Record<string, any>}} SnapshotOffer where
 *   the host serves the container (`folder` + `info.file`) and js_bridge/snapshot.mjs
 *   (`module`), and the container's description
 * @typedef {{used: boolean, reason: string, packages: string[]}} SnapshotOutcome what the host
 *   is told: restored (with the packages the snapshot holds), or why not
 */

/** pytest-pyodide's own `loadPyodide` options (its `_global_load_pyodide_script`). */
const LOAD_OPTIONS = Object.freeze({ fullStdLib: false });

/**
 * Pyodide for this page, and what became of the snapshot (null: none was offered).
 * @param {string} indexURL the Pyodide folder
 * @param {SnapshotOffer | null} offer
 * @returns {Promise<{pyodide: any, snapshot: SnapshotOutcome | null}>}
 */
export async function startPyodide(indexURL, offer) {
  const core = await import(new URL("pyodide.mjs", indexURL).href);
  const options = { ...LOAD_OPTIONS, jsglobals: globalThis };
  if (offer === null) return { pyodide: await core.loadPyodide(options), snapshot: null };
  const restored = await restore(core, indexURL, options, offer);
  if (restored.used) return { pyodide: restored.pyodide, snapshot: restored.outcome };
  return { pyodide: await core.loadPyodide(options), snapshot: restored.outcome };
}

/**
 * @param {{loadPyodide: Function, version: string}} core
 * @param {string} indexURL
 * @param {Record<string, unknown>} options
 * @param {SnapshotOffer} offer
 * @returns {Promise<{used: true, pyodide: any, outcome: SnapshotOutcome} | {used: false, outcome: SnapshotOutcome}>}
 */
async function restore(core, indexURL, options, offer) {
  const refused = (/** @type {string} */ reason) => ({ used: /** @type {const} */ (false), outcome: { used: false, reason: reason.slice(0, 500), packages: [] } });
  try {
    const { readVerifiedSnapshot, restoreFromSnapshot } = await import(offer.module);
    /** @type {string | null} */
    let why = null;
    const described = Promise.resolve({ ok: /** @type {const} */ (true), info: offer.info });
    const arriving = readVerifiedSnapshot(new URL(offer.folder), core.version, described).then((/** @type {any} */ got) => {
      if (got.ok) return got;
      why = `${got.reason}: ${got.detail}`;
      return null;
    });
    const heapBytes = Number.isSafeInteger(offer.info.pyodide_bytes) ? offer.info.pyodide_bytes : null;
    const outcome = await restoreFromSnapshot(new URL(indexURL), core, options, { heapBytes, arriving });
    if (outcome === null) return refused(why ?? "unreadable: no snapshot arrived");
    if (!outcome.ok) return refused(`${outcome.reason}: ${outcome.detail}`);
    return { used: true, pyodide: outcome.pyodide, outcome: { used: true, reason: "", packages: outcome.packages } };
  } catch (error) {
    return refused(`unreadable: ${String(/** @type {any} */ (error)?.message ?? error).split("\n")[0]}`);
  }
}
