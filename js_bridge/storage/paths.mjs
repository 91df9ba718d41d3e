// @ts-check
/**
 * The path rules of a stored file, the same in Python (browser_rt.storage.paths) and here, and
 * run by both against tests/vectors/storage_authority.json. A stored path is relative to the
 * namespace's root, "/"-separated, and never becomes a name in the page's own storage (the store
 * keeps files under generated names), so these rules bound and clean what Python may name; they
 * are not the only wall against traversal.
 */

/** Bounds of a stored path, in UTF-8 bytes and segments. */
export const PATH_LIMITS = Object.freeze({ maxPathBytes: 1024, maxNameBytes: 255, maxDepth: 16 });

const CONTROL = /[\u0000-\u001f\u007f]/;
const encoder = new TextEncoder();

/**
 * Why `path` may not be stored, or null when it may. Checked in this order, so both sides give
 * the same reason: not_text, empty, control_char, absolute, backslash, path_too_long, too_deep,
 * then per segment empty_segment, dot_segment, name_too_long.
 * @param {unknown} path
 * @returns {null | "not_text" | "empty" | "control_char" | "absolute" | "backslash" | "path_too_long" | "too_deep" | "empty_segment" | "dot_segment" | "name_too_long"}
 */
export function pathProblem(path) {
  if (typeof path !== "string" || !isWellFormed(path)) return "not_text";
  if (path.length === 0) return "empty";
  if (CONTROL.test(path)) return "control_char";
  if (path.startsWith("/")) return "absolute";
  if (path.includes("\\")) return "backslash";
  if (encoder.encode(path).length > PATH_LIMITS.maxPathBytes) return "path_too_long";
  const segments = path.split("/");
  if (segments.length > PATH_LIMITS.maxDepth) return "too_deep";
  for (const segment of segments) {
    if (segment === "") return "empty_segment";
    if (segment === "." || segment === "..") return "dot_segment";
    if (encoder.encode(segment).length > PATH_LIMITS.maxNameBytes) return "name_too_long";
  }
  return null;
}

/** @param {string} text whether it has no lone surrogate (so it has a UTF-8 form) */
function isWellFormed(text) {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}
