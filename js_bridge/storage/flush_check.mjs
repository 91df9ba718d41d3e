// @ts-check
/**
 * The page's check of a flush the worker (or page-mode Python) asks for. The request is
 * untrusted: every path, size and count is checked against the frozen grant before anything is
 * written, and a flush that breaks any rule is refused whole, naming the rule (`limit`).
 */
import { pathProblem } from "./paths.mjs";

/**
 * @typedef {{path: string, bytes: Uint8Array, mtime: number}} FileWrite
 * @typedef {{ok: true, writes: FileWrite[], keep: string[], files: number, bytes: number}
 *   | {ok: false, limit: string, reason: string, files: number, bytes: number, detail: string}} FlushPlan
 */

/**
 * @param {unknown} raw `{writes: [[path, bytes, mtimeMs], ...], keep: [path, ...]}`: the new
 *   content of the namespace is the written files plus the kept ones; every other file goes
 * @param {import("./grant.mjs").StorageGrant} grant
 * @param {Map<string, {size: number}>} current the namespace's files now
 * @returns {FlushPlan}
 */
export function checkFlush(raw, grant, current) {
  const request = /** @type {any} */ (raw);
  const writesIn = request?.writes;
  const keepIn = request?.keep;
  const declared = (Array.isArray(writesIn) ? writesIn.length : 0) + (Array.isArray(keepIn) ? keepIn.length : 0);
  /** @param {string} limit @param {string} reason @param {string} detail @param {number} [bytes] @returns {FlushPlan} */
  const refuse = (limit, reason, detail, bytes = 0) => ({ ok: false, limit, reason, files: declared, bytes, detail });
  if (!Array.isArray(writesIn) || !Array.isArray(keepIn)) return refuse("malformed", "not_lists", "writes and keep must be lists");
  if (declared > grant.max_files) {
    return refuse("max_files", "too_many_files", `${declared} files is more than max_files (${grant.max_files})`);
  }
  /** @type {Set<string>} */
  const seen = new Set();
  /** @type {FileWrite[]} */
  const writes = [];
  let total = 0;
  for (const [index, entry] of writesIn.entries()) {
    if (!Array.isArray(entry) || entry.length !== 3) return refuse("malformed", "bad_entry", `writes[${index}] is not [path, bytes, mtime]`);
    const [path, bytes, mtime] = entry;
    const problem = pathProblem(path);
    if (problem) return refuse("path", problem, `writes[${index}]: ${problem.replaceAll("_", " ")}`);
    if (!(bytes instanceof Uint8Array)) return refuse("malformed", "bad_bytes", `writes[${index}]: content is not bytes`);
    if (typeof mtime !== "number" || !Number.isFinite(mtime) || mtime < 0) return refuse("malformed", "bad_mtime", `writes[${index}]: mtime is not a time`);
    if (seen.has(path)) return refuse("path", "duplicate", `writes[${index}]: the same path twice`);
    seen.add(path);
    if (bytes.byteLength > grant.max_file_bytes) {
      return refuse("max_file_bytes", "file_too_large", `writes[${index}]: ${bytes.byteLength} bytes is more than max_file_bytes (${grant.max_file_bytes})`, bytes.byteLength);
    }
    total += bytes.byteLength;
    writes.push({ path, bytes, mtime });
  }
  /** @type {string[]} */
  const keep = [];
  for (const [index, path] of keepIn.entries()) {
    const problem = pathProblem(path);
    if (problem) return refuse("path", problem, `keep[${index}]: ${problem.replaceAll("_", " ")}`);
    if (seen.has(path)) return refuse("path", "duplicate", `keep[${index}]: the same path twice`);
    const stored = current.get(path);
    if (!stored) return refuse("malformed", "unknown_file", `keep[${index}]: no such stored file`);
    seen.add(path);
    total += stored.size;
    keep.push(path);
  }
  const clash = fileAndFolder(seen);
  if (clash) return refuse("path", "file_and_folder", `one path is both a file and a folder (${clash} segments deep)`, total);
  if (total > grant.quota_bytes) {
    return refuse("quota_bytes", "quota_exceeded", `${total} bytes is more than quota_bytes (${grant.quota_bytes})`, total);
  }
  if (grant.read_only && (writes.length > 0 || keep.length !== current.size)) {
    return refuse("read_only", "read_only", "the grant is read-only: no file may be written or removed", total);
  }
  return { ok: true, writes, keep, files: seen.size, bytes: total };
}

/**
 * The depth of a path that is also the folder of another (`a` and `a/b`), or 0. A store that
 * allowed it could not be restored as a tree.
 * @param {Set<string>} paths
 */
function fileAndFolder(paths) {
  for (const path of paths) {
    const parts = path.split("/");
    for (let depth = 1; depth < parts.length; depth += 1) {
      if (paths.has(parts.slice(0, depth).join("/"))) return depth;
    }
  }
  return 0;
}
