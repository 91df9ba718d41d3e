// @ts-check
/**
 * The page's tool grant: the host functions Python may call, checked and frozen when the runtime
 * is created. Each tool is a name (a bounded identifier that is no prototype key, so a lookup can
 * never reach Object.prototype or a thenable trap) and a handler, with limits that default here
 * and can be overridden per tool. Also the JSON checks both directions of a call go through.
 */

/** Limits every tool gets unless its entry overrides them. */
export const TOOL_DEFAULTS = Object.freeze({
  /** Milliseconds before the call fails with `timeout` and the handler's signal aborts. */
  timeoutMs: 10_000,
  /** Calls of this tool running at once. */
  maxConcurrent: 4,
  /** Calls waiting for a free slot; past that a call is refused `rate_limited`. */
  maxQueued: 32,
  /** Calls that may start per minute (a token bucket). */
  perMinute: 600,
  /** UTF-8 bytes of the arguments' JSON text. */
  maxArgsBytes: 64 * 1024,
  /** UTF-8 bytes of the result's JSON text. */
  maxResultBytes: 1024 * 1024,
});

/** Nesting of arrays and objects allowed in arguments and results. */
export const MAX_JSON_DEPTH = 32;
/** Tools one runtime may be granted. */
export const MAX_TOOLS = 128;
/** Characters of a tool's error message that reach Python. */
export const MAX_TOOL_MESSAGE = 1000;

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const OVERRIDE_BOUNDS = Object.freeze({
  timeoutMs: [1, 600_000],
  maxConcurrent: [1, 64],
  maxQueued: [0, 1024],
  perMinute: [1, 100_000],
  maxArgsBytes: [2, 16 << 20],
  maxResultBytes: [2, 16 << 20],
});
/** Names a tool may not have: every Object.prototype key, and the ones promises and classes read. */
const RESERVED = new Set([...Object.getOwnPropertyNames(Object.prototype), "prototype", "then", "__proto__"]);

/**
 * @typedef {(args: Record<string, unknown>, ctx: {signal: AbortSignal, tool: string, callId: number}) => unknown} ToolHandler
 * @typedef {typeof TOOL_DEFAULTS & {handler: ToolHandler}} ToolEntry
 */

/**
 * Check createRuntime's `tools` option and freeze it. A tool is a function, or an object with
 * `handler` and any of the TOOL_DEFAULTS keys.
 * @param {unknown} tools
 * @returns {ReadonlyMap<string, Readonly<ToolEntry>>}
 */
export function checkTools(tools) {
  /** @type {Map<string, Readonly<ToolEntry>>} */
  const grant = new Map();
  if (tools === undefined) return grant;
  if (!isPlainObject(tools)) throw new TypeError("createRuntime: tools must be an object of names to functions");
  const entries = Object.entries(/** @type {object} */ (tools));
  if (entries.length > MAX_TOOLS) throw new TypeError(`createRuntime: tools: more than ${MAX_TOOLS} tools`);
  for (const [name, value] of entries) grant.set(checkToolName(name), Object.freeze(checkEntry(name, value)));
  return grant;
}

/**
 * @param {string} name
 * @returns {string}
 */
function checkToolName(name) {
  if (!NAME.test(name)) {
    throw new TypeError(`createRuntime: tools: ${JSON.stringify(name)} is not a tool name (a letter or _, then up to 63 letters, digits or _)`);
  }
  if (RESERVED.has(name)) throw new TypeError(`createRuntime: tools: ${JSON.stringify(name)} is a reserved name`);
  return name;
}

/**
 * @param {string} name
 * @param {unknown} value
 * @returns {ToolEntry}
 */
function checkEntry(name, value) {
  if (typeof value === "function") return { ...TOOL_DEFAULTS, handler: /** @type {ToolHandler} */ (value) };
  if (!isPlainObject(value)) throw new TypeError(`createRuntime: tools.${name}: expected a function or {handler, ...limits}`);
  const given = /** @type {Record<string, unknown>} */ (value);
  if (typeof given.handler !== "function") throw new TypeError(`createRuntime: tools.${name}.handler must be a function`);
  /** @type {Record<string, unknown>} */
  const entry = { ...TOOL_DEFAULTS, handler: given.handler };
  for (const [key, setting] of Object.entries(given)) {
    if (key === "handler") continue;
    const bounds = OVERRIDE_BOUNDS[/** @type {keyof typeof OVERRIDE_BOUNDS} */ (key)];
    if (!bounds) throw new TypeError(`createRuntime: tools.${name}: unknown setting ${JSON.stringify(key)} (known: handler, ${Object.keys(OVERRIDE_BOUNDS).join(", ")})`);
    if (!Number.isSafeInteger(setting) || /** @type {number} */ (setting) < bounds[0] || /** @type {number} */ (setting) > bounds[1]) {
      throw new TypeError(`createRuntime: tools.${name}.${key} must be an integer from ${bounds[0]} to ${bounds[1]}, got ${String(setting)}`);
    }
    entry[key] = setting;
  }
  return /** @type {ToolEntry} */ (entry);
}

/**
 * What Python is told about the grant: names and the JSON limits, so polite code is refused
 * before it sends anything. The page checks again on every call.
 * @param {ReadonlyMap<string, Readonly<ToolEntry>>} grant
 * @returns {string} JSON text
 */
export function toolGrantJSON(grant) {
  const tools = Object.fromEntries([...grant].map(([name, entry]) => [name, {
    timeout_ms: entry.timeoutMs, max_args_bytes: entry.maxArgsBytes, max_result_bytes: entry.maxResultBytes,
  }]));
  return JSON.stringify({ tools, max_depth: MAX_JSON_DEPTH });
}

/**
 * Parse arguments sent as JSON text: an object, within the byte and depth bounds. One pass over
 * the text measures both, before JSON.parse sees it.
 * @param {unknown} text
 * @param {number} maxBytes
 * @returns {{value: Record<string, unknown>, bytes: number} | {refused: string, detail: string, bytes: number}}
 */
export function readArgs(text, maxBytes) {
  if (typeof text !== "string") return { refused: "invalid_args", detail: "arguments are not JSON text", bytes: 0 };
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string is refused unread.
  if (text.length > maxBytes) return { refused: "args_too_large", detail: `arguments are more than ${maxBytes} bytes of JSON`, bytes: text.length };
  const scanned = scanJSONText(text);
  if (scanned.bytes > maxBytes) return { refused: "args_too_large", detail: `arguments are more than ${maxBytes} bytes of JSON`, bytes: scanned.bytes };
  if (scanned.depth > MAX_JSON_DEPTH) return { refused: "invalid_args", detail: `arguments nest more than ${MAX_JSON_DEPTH} levels`, bytes: scanned.bytes };
  /** @type {unknown} */
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return { refused: "invalid_args", detail: "arguments are not valid JSON", bytes: scanned.bytes };
  }
  if (!isPlainObject(value)) return { refused: "invalid_args", detail: "arguments must be a JSON object of named values", bytes: scanned.bytes };
  return { value: /** @type {Record<string, unknown>} */ (value), bytes: scanned.bytes };
}

/**
 * A handler's result as JSON text, or why it cannot be one. `undefined` counts as null.
 * One bounded walk checks the value; only a value it refuses is walked again, to name the spot.
 * @param {unknown} value
 * @param {number} maxBytes
 * @returns {{text: string, bytes: number} | {invalid: string}}
 */
export function resultText(value, maxBytes) {
  const json = value === undefined ? null : value;
  /** @type {string} */
  let text;
  try {
    if (!isJSONValue(json, 0)) return { invalid: jsonProblem(json, "result", 0) ?? "result is not JSON" };
    text = JSON.stringify(json);
  } catch {
    // A getter that throws, or a value that changed between the walk and the text.
    return { invalid: "result could not be read as JSON" };
  }
  if (typeof text !== "string") return { invalid: "result could not be read as JSON" };
  const bytes = text.length > maxBytes ? text.length : utf8Bytes(text);
  if (bytes > maxBytes) return { invalid: `result is more than ${maxBytes} bytes of JSON` };
  return { text, bytes };
}

/**
 * Whether a value is JSON (plain objects, arrays, strings, finite numbers, booleans, null)
 * nested at most MAX_JSON_DEPTH levels. Allocates nothing but each object's key list.
 * @param {unknown} value
 * @param {number} depth
 * @returns {boolean}
 */
function isJSONValue(value, depth) {
  if (value === null) return true;
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object":
      break;
    default:
      return false;
  }
  if (depth >= MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) if (!isJSONValue(value[i], depth + 1)) return false;
    return true;
  }
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(/** @type {object} */ (value));
  for (let i = 0; i < keys.length; i += 1) {
    if (!isJSONValue(/** @type {Record<string, unknown>} */ (value)[keys[i]], depth + 1)) return false;
  }
  return true;
}

/**
 * Where a value stops being JSON, for the message of a refused result (see isJSONValue).
 * @param {unknown} value
 * @param {string} where
 * @param {number} depth
 * @returns {string | null}
 */
function jsonProblem(value, where, depth) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : `${where}: ${value} is not a JSON number`;
  const container = Array.isArray(value) || isPlainObject(value);
  if (container && depth >= MAX_JSON_DEPTH) return `${where}: nested more than ${MAX_JSON_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const problem = jsonProblem(value[i], `${where}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  if (container) {
    for (const [key, item] of Object.entries(/** @type {object} */ (value))) {
      const problem = jsonProblem(item, `${where}.${key.slice(0, 64)}`, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  return `${where}: a ${value === undefined ? "undefined" : typeof value === "object" ? "non-plain object" : typeof value} is not JSON`;
}

/**
 * UTF-8 bytes and the deepest nesting of brackets outside strings, of JSON text, in one pass
 * and without parsing it.
 * @param {string} text
 * @returns {{bytes: number, depth: number}}
 */
function scanJSONText(text) {
  let bytes = 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) {
      escaped = false;
      if (c < 0x800) bytes += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
      continue;
    }
    bytes += 1;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92) escaped = true;
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (c === 93 || c === 125) {
      depth -= 1;
    }
  }
  return { bytes, depth: deepest };
}

/** @param {string} text */
function utf8Bytes(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** @param {unknown} value */
function isPlainObject(value) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
