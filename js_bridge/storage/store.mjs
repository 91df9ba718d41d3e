// @ts-check
/**
 * The page's side of a StorageAuthority: it holds the namespace (a Web Lock, so a second tab or
 * runtime on the same namespace waits, then is refused), restores its files into a new Python,
 * and performs every flush after checking it (flush_check.mjs). Each flush, committed, refused
 * or failed, is an entry of the bridge's trusted record and a `storage.flush` event: namespace,
 * file count, bytes, outcome and reason, never contents; file names only in diagnostics mode
 * `none`.
 */
import { blobName, openBackend } from "./backends.mjs";
import { checkFlush } from "./flush_check.mjs";

/** How long a runtime waits for another holder of its namespace before it refuses to start. */
export const LOCK_WAIT_MS = 3000;
/** File names an unredacted record lists at most. */
const MAX_NAMES = 64;

/**
 * @typedef {{ok: true, files: number, bytes: number, written: number}
 *   | {ok: false, limit: string, reason: string, message: string}} FlushResult
 * @typedef {object} NamespaceStore
 * @property {import("./grant.mjs").StorageGrant} grant
 * @property {"opfs" | "indexeddb"} kind
 * @property {() => Promise<[string, Uint8Array, number][]>} snapshot the committed files, to
 *   restore into a new Python: path, bytes, modification time (ms)
 * @property {(request: unknown) => Promise<FlushResult>} flush check, then commit, one at a time
 * @property {() => void} close release the namespace
 */

/**
 * @param {import("./grant.mjs").StorageGrant} grant
 * @param {object} options
 * @param {(entry: Record<string, unknown>) => void} options.onRecord the bridge record
 * @param {boolean} options.namesAllowed whether records may name files (diagnostics mode none)
 * @param {import("./backends.mjs").StorageBackend} [options.backend] default: the engine's own
 * @param {number} [options.lockWaitMs]
 * @returns {Promise<NamespaceStore>}
 */
export async function openNamespaceStore(grant, { onRecord, namesAllowed, backend, lockWaitMs = LOCK_WAIT_MS }) {
  const release = await holdNamespaceLock(grant.namespace, lockWaitMs);
  try {
    const store = backend ?? await openBackend(grant.namespace);
    let manifest = await store.load();
    /** @type {Promise<unknown>} */
    let queue = Promise.resolve();
    /** @type {Promise<unknown>} */
    let cleanup = Promise.resolve();

    /** @param {unknown} request @returns {Promise<FlushResult>} */
    async function flushNow(request) {
      const started = performance.now();
      const plan = checkFlush(request, grant, manifest.files);
      /** @param {string} outcome @param {Record<string, unknown>} fields */
      const record = (outcome, fields) => onRecord({
        kind: "storage", namespace: grant.namespace, outcome, ...fields,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        ...(namesAllowed && plan.ok ? { names: plan.writes.slice(0, MAX_NAMES).map((write) => write.path) } : {}),
      });
      if (!plan.ok) {
        record("refused", { reason: plan.reason, limit: plan.limit, files: plan.files, bytes: plan.bytes });
        return { ok: false, limit: plan.limit, reason: plan.reason, message: `storage flush refused (${plan.limit}): ${plan.detail}; nothing was written` };
      }
      const generation = manifest.generation + 1;
      const files = new Map(Array.from(plan.keep, (path) => [path, /** @type {import("./backends.mjs").StoredFile} */ (manifest.files.get(path))]));
      /** @type {[string, Uint8Array][]} */
      const blobs = [];
      for (const [index, write] of plan.writes.entries()) {
        const blob = blobName(generation, index);
        blobs.push([blob, write.bytes]);
        files.set(write.path, { blob, size: write.bytes.byteLength, mtime: write.mtime });
      }
      const live = new Set(Array.from(files.values(), (file) => file.blob));
      const obsolete = Array.from(manifest.files.values(), (file) => file.blob).filter((blob) => !live.has(blob));
      try {
        await store.commit({ generation, files }, blobs);
      } catch (error) {
        const name = String(/** @type {Error} */ (error)?.name ?? "Error").slice(0, 64);
        record("failed", { reason: "write_failed", limit: "backend", error: name, files: plan.files, bytes: plan.bytes });
        return { ok: false, limit: "backend", reason: "write_failed", message: `storage flush failed in the page's storage (${name}); the previous files are kept` };
      }
      manifest = { generation, files };
      // Dropping the old blobs is not part of the answer; the next flush waits for it (queue).
      cleanup = store.discard(generation, obsolete).catch(() => {});
      record("committed", { reason: null, files: plan.files, bytes: plan.bytes, written: plan.writes.length });
      return { ok: true, files: plan.files, bytes: plan.bytes, written: plan.writes.length };
    }

    let closed = false;
    return Object.freeze({
      grant,
      kind: store.kind,
      async snapshot() {
        /** @type {[string, Uint8Array, number][]} */
        const out = [];
        for (const [path, file] of manifest.files) out.push([path, await store.read(file.blob), file.mtime]);
        return out;
      },
      flush(request) {
        if (closed) return Promise.resolve({ ok: false, limit: "closed", reason: "closed", message: "storage flush refused: the runtime is closed" });
        const result = queue.then(() => cleanup).then(() => flushNow(request));
        queue = result.catch(() => {});
        return result;
      },
      close() {
        closed = true;
        queue.then(() => cleanup).finally(release);
      },
    });
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * Hold the namespace's Web Lock until the returned function is called. Another holder (a second
 * tab, or a runtime not yet closed) is waited for up to `waitMs`, then refused: two writers
 * never share a namespace. Without Web Locks the grant is refused, never used unguarded.
 * @param {string} namespace
 * @param {number} waitMs
 * @returns {Promise<() => void>}
 */
async function holdNamespaceLock(namespace, waitMs) {
  const locks = globalThis.navigator?.locks;
  if (!locks || typeof locks.request !== "function") {
    throw new Error("storageAuthority: this engine has no Web Locks (navigator.locks), so two tabs could write one namespace at once; refused");
  }
  /** @type {() => void} */
  let release = () => {};
  const held = new Promise((resolve) => {
    release = () => resolve(undefined);
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), waitMs);
  try {
    await new Promise((resolve, reject) => {
      locks.request(`browser_rt.storage:${namespace}`, { signal: controller.signal }, () => {
        resolve(undefined);
        return held;
      }).catch(reject);
    });
  } catch (error) {
    if (controller.signal.aborted) {
      throw new Error(`storageAuthority: namespace ${JSON.stringify(namespace)} is in use by another tab or runtime (waited ${waitMs} ms); close it first`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return release;
}
