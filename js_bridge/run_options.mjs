// @ts-check
/**
 * Checks what an app hands a runtime before any of it reaches Python: run options, `call`
 * targets and arguments, file paths and package names. Each bad input is a TypeError that names
 * the offending part, never a confusing error from deep inside Pyodide.
 */

/** Where `rt.fs` reads and writes: Pyodide's home folder, Python's working directory. */
export const FS_ROOT = "/home/pyodide";
/** The granted storage's folder (js_bridge/storage), which `rt.fs` may also read and write. */
const STORAGE_ROOT = "/data";

const RUN_OPTION_KEYS = Object.freeze(["globals", "timeout", "signal", "filename"]);
const MAX_JSON_DEPTH = 32;
const MAX_JSON_CHARS = 1 << 20;
const PACKAGE_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/**
 * @param {unknown} options the second argument of runPythonAsync
 * @returns {{globalsJSON: string | null, timeout: number | null, signal: AbortSignal | null, filename: string}}
 */
export function checkRunOptions(options) {
  if (options === undefined) return { globalsJSON: null, timeout: null, signal: null, filename: "<exec>" };
  if (!options || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError("runPythonAsync: options must be an object");
  }
  const given = /** @type {Record<string, unknown>} */ (options);
  for (const key of Object.keys(given)) {
    if (!RUN_OPTION_KEYS.includes(key)) {
      throw new TypeError(`runPythonAsync: unknown option ${JSON.stringify(key)} (known: ${RUN_OPTION_KEYS.join(", ")})`);
    }
  }
  const { globals, timeout, signal, filename } = given;
  let globalsJSON = null;
  if (globals !== undefined) {
    if (!globals || typeof globals !== "object" || Array.isArray(globals)) {
      throw new TypeError("runPythonAsync: globals must be an object of names to JSON values");
    }
    for (const name of Object.keys(globals)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`runPythonAsync: globals: ${JSON.stringify(name)} is not a Python identifier`);
    }
    globalsJSON = jsonText(globals, "runPythonAsync: globals");
  }
  if (timeout !== undefined && !(typeof timeout === "number" && Number.isFinite(timeout) && timeout > 0)) {
    throw new TypeError(`runPythonAsync: timeout must be a positive number of milliseconds, got ${String(timeout)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("runPythonAsync: signal must be an AbortSignal");
  if (filename !== undefined && !(typeof filename === "string" && filename.length > 0 && filename.length <= 256 && !filename.includes("\0"))) {
    throw new TypeError("runPythonAsync: filename must be a non-empty string of at most 256 characters");
  }
  return {
    globalsJSON,
    timeout: timeout === undefined ? null : /** @type {number} */ (timeout),
    signal: signal === undefined ? null : /** @type {AbortSignal} */ (signal),
    filename: filename === undefined ? "<exec>" : /** @type {string} */ (filename),
  };
}

/**
 * @param {unknown} spec `"module:function"`
 * @param {unknown[]} args
 * @returns {{spec: string, argsJSON: string}}
 */
export function checkCall(spec, args) {
  if (typeof spec !== "string" || !/^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$/.test(spec)) {
    throw new TypeError(`call: expected "module:function", got ${JSON.stringify(spec) ?? String(spec)}`);
  }
  args.forEach((arg, index) => jsonText(arg, `call: argument ${index}`));
  return { spec, argsJSON: jsonText(args, "call: arguments") };
}

/**
 * A path inside FS_ROOT or the storage folder, resolved the POSIX way; relative paths are
 * relative to FS_ROOT. Without a storage grant the storage folder does not exist.
 * @param {unknown} path
 * @param {string} what the method, for the message
 */
export function resolveFsPath(path, what) {
  if (typeof path !== "string" || path.length === 0 || path.length > 4096 || path.includes("\0")) {
    throw new TypeError(`${what}: path must be a non-empty string without NUL`);
  }
  const absolute = path.startsWith("/") ? path : `${FS_ROOT}/${path}`;
  /** @type {string[]} */
  const parts = [];
  for (const part of absolute.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  const resolved = `/${parts.join("/")}`;
  const inside = (/** @type {string} */ root) => resolved === root || resolved.startsWith(`${root}/`);
  if (!inside(FS_ROOT) && !inside(STORAGE_ROOT)) {
    throw new TypeError(`${what}: ${JSON.stringify(path)} is outside ${FS_ROOT} and ${STORAGE_ROOT}`);
  }
  return resolved;
}

/** @param {unknown} data @returns {Uint8Array} */
export function fileBytes(data) {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return new Uint8Array(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  throw new TypeError("fs.writeFile: data must be a string, a Uint8Array or an ArrayBuffer");
}

/**
 * @param {unknown} packages createRuntime's `packages` option
 * @returns {string[]}
 */
export function checkPackages(packages) {
  if (packages === undefined) return [];
  if (!Array.isArray(packages) || packages.length > 256) throw new TypeError("createRuntime: packages must be a list of at most 256 names");
  return packages.map((name, index) => {
    if (typeof name !== "string" || !PACKAGE_NAME.test(name)) {
      throw new TypeError(`createRuntime: packages[${index}]: ${JSON.stringify(name) ?? String(name)} is not a package name`);
    }
    return name;
  });
}

/**
 * @param {unknown} files createRuntime's `files` option: path -> string | Uint8Array
 * @returns {[string, Uint8Array][]}
 */
export function checkFiles(files) {
  if (files === undefined) return [];
  if (!files || typeof files !== "object" || Array.isArray(files)) throw new TypeError("createRuntime: files must be an object of paths to contents");
  return Object.entries(files).map(([path, data]) => [resolveFsPath(path, "createRuntime: files"), fileBytes(data)]);
}

/**
 * JSON text of a JSON-compatible value (plain objects, arrays, strings, finite numbers,
 * booleans, null), bounded in depth and size.
 * @param {unknown} value
 * @param {string} what
 */
function jsonText(value, what) {
  checkJSONValue(value, what, 0);
  const text = JSON.stringify(value);
  if (text.length > MAX_JSON_CHARS) throw new TypeError(`${what}: more than ${MAX_JSON_CHARS} characters of JSON`);
  return text;
}

/** @param {unknown} value @param {string} where @param {number} depth */
function checkJSONValue(value, where, depth) {
  if (depth > MAX_JSON_DEPTH) throw new TypeError(`${where}: nested more than ${MAX_JSON_DEPTH} levels`);
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`${where}: ${value} is not a JSON number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkJSONValue(item, `${where}[${index}]`, depth + 1));
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) checkJSONValue(item, `${where}.${key}`, depth + 1);
    return;
  }
  const kind = value === undefined ? "undefined"
    : typeof value === "object" ? `a ${/** @type {object} */ (value).constructor?.name ?? "object"}` : `a ${typeof value}`;
  throw new TypeError(`${where}: ${kind} is not JSON-compatible`);
}
