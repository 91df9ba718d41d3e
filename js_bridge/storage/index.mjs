// @ts-check
/**
 * What runtime.mjs, worker_host.mjs and worker.mjs need of storage: open the granted namespace
 * (or nothing, without a grant), restore its files into a Python, and the mount path Python sees.
 */
import { checkStorageGrant } from "./grant.mjs";
import { pathProblem } from "./paths.mjs";
import { openNamespaceStore } from "./store.mjs";

/** Where Python sees the namespace (browser_rt.storage.mount.DEFAULT_MOUNT). */
export const STORAGE_MOUNT = "/data";

export { checkStorageGrant, StorageGrantError } from "./grant.mjs";

/**
 * Check the grant first (it is frozen before anything starts), then open its namespace.
 * @param {unknown} option createRuntime's `storageAuthority`
 * @param {{deliverRecord: (entry: Record<string, unknown>, type?: string) => void}} events
 * @param {{mode: string}} diagnostics
 * @returns {Promise<import("./store.mjs").NamespaceStore | null>}
 */
export async function openGrantedStorage(option, events, diagnostics) {
  if (option === undefined) return null;
  const grant = checkStorageGrant(option);
  return openNamespaceStore(grant, {
    onRecord: (entry) => events.deliverRecord(entry, "storage.flush"),
    namesAllowed: diagnostics.mode === "none",
  });
}

/**
 * Write a namespace's files into Pyodide's file system under STORAGE_MOUNT, with their stored
 * modification times, before browser_rt.storage takes stock of them.
 * @param {any} pyodide
 * @param {[string, Uint8Array, number][]} files
 */
export function restoreStored(pyodide, files) {
  const FS = pyodide.FS;
  FS.mkdirTree(STORAGE_MOUNT);
  for (const [path, bytes, mtime] of files) {
    if (pathProblem(path) !== null) continue; // only a store written by another version could hold one
    const full = `${STORAGE_MOUNT}/${path}`;
    FS.mkdirTree(full.slice(0, full.lastIndexOf("/")));
    FS.writeFile(full, bytes);
    FS.utime(full, mtime, mtime);
  }
}
