// @ts-check
/**
 * What a Python's side of storage needs: the mount path and the restore of a namespace's files.
 * Kept apart from the page's store (IndexedDB, the flush check), which a worker never loads.
 */
import { pathProblem } from "./paths.mjs";

/** Where Python sees the namespace (browser_rt.storage.mount.DEFAULT_MOUNT). */
export const STORAGE_MOUNT = "/data";

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
