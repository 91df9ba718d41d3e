// @ts-check
/**
 * What the worker's realm keeps: every other global, and every other member of `navigator`, is
 * removed before user code runs (revocation.mjs), including whatever an engine adds later.
 * Deny by default, allow by list: each entry names why Pyodide, browser_rt or ordinary Python
 * needs it. Page mode reports, from the same list, what it leaves open (`openMembers`).
 *
 * The walk covers the object and its whole prototype chain up to, not including, the chain's
 * root (the realm's `Object.prototype`): that one holds only the language's own members, which
 * every object inherits anyway.
 */

const LANGUAGE = "ECMAScript's own global: the language, not the platform";

/** @type {Readonly<Record<string, string>>} */
const ECMASCRIPT_GLOBALS = Object.fromEntries([
  "globalThis", "Infinity", "NaN", "undefined", "eval", "isFinite", "isNaN", "parseFloat",
  "parseInt", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape",
  "unescape", "AggregateError", "Array", "ArrayBuffer", "Atomics", "BigInt", "BigInt64Array",
  "BigUint64Array", "Boolean", "DataView", "Date", "Error", "EvalError", "FinalizationRegistry",
  "Float16Array", "Float32Array", "Float64Array", "Function", "Int8Array", "Int16Array",
  "Int32Array", "Iterator", "JSON", "Map", "Math", "Number", "Object", "Promise", "Proxy",
  "RangeError", "ReferenceError", "Reflect", "RegExp", "Set", "SharedArrayBuffer", "String",
  "Symbol", "SyntaxError", "TypeError", "Uint8Array", "Uint8ClampedArray", "Uint16Array",
  "Uint32Array", "URIError", "WeakMap", "WeakRef", "WeakSet", "SuppressedError",
  "DisposableStack", "AsyncDisposableStack", "Intl", "Temporal", "InternalError",
].map((name) => [name, LANGUAGE]));

/**
 * Global names the worker keeps, each with the reason it is needed. `eval` and `Function` stay
 * because they are the language; the realm's CSP (proved before boot) makes both throw.
 * @type {Readonly<Record<string, string>>}
 */
export const GLOBAL_ALLOWLIST = Object.freeze({
  ...ECMASCRIPT_GLOBALS,
  self: "the realm's other name for globalThis; Emscripten's runtime reads it",
  constructor: "each prototype's link to its interface object, which holds nothing of its own",
  WebAssembly: "the interpreter and every extension module are WebAssembly",
  setTimeout: "Pyodide's event loop schedules asyncio callbacks on timers",
  clearTimeout: "Pyodide's event loop cancels asyncio timer handles",
  TextEncoder: "Pyodide encodes Python strings for JavaScript",
  TextDecoder: "Pyodide and the blocking bridge decode UTF-8 from JavaScript",
  crypto: "os.urandom and random read crypto.getRandomValues",
  performance: "time.monotonic and time.perf_counter read performance.now",
  console: "Pyodide's own warnings; it writes only to the developer console",
  AbortController: "Pyodide combines abort signals when it awaits JavaScript",
  AbortSignal: "Pyodide combines abort signals when it awaits JavaScript",
  addEventListener: "inherited by every event target in the realm (MessagePort, AbortSignal)",
  removeEventListener: "inherited by every event target in the realm (MessagePort, AbortSignal)",
  dispatchEvent: "inherited by every event target in the realm (MessagePort, AbortSignal)",
  postMessage: "the only way out; the page validates, bounds and labels whatever arrives",
  crossOriginIsolated: "sync_wait_support() reports whether the blocking bridge can exist",
  navigator: "an object holding only the members NAVIGATOR_ALLOWLIST keeps",
});

/** Members of `navigator` the worker keeps: read-only facts, none of them a door. */
export const NAVIGATOR_ALLOWLIST = Object.freeze({
  constructor: "the prototype's link to WorkerNavigator, which holds nothing of its own",
  userAgent: "Pyodide and libraries read it to tell engines apart; every request sends it anyway",
  language: "the locale Emscripten starts Python's environment from",
  languages: "the locale preferences that go with `language`",
  hardwareConcurrency: "a sizing hint ordinary code reads, as os.cpu_count is on a host",
});

/** The only symbol-keyed member kept: the brand string `Object.prototype.toString` prints. */
const ALLOWED_SYMBOLS = Object.freeze([Symbol.toStringTag]);

/**
 * Whether `key` may stay on an object governed by `allowlist`.
 * @param {string | symbol} key @param {Readonly<Record<string, string>>} allowlist
 */
export function isAllowed(key, allowlist) {
  if (typeof key === "symbol") return ALLOWED_SYMBOLS.includes(key);
  return Object.prototype.hasOwnProperty.call(allowlist, key);
}

/**
 * A property that cannot be deleted and can reach nothing: a non-configurable, non-writable data
 * property holding a primitive (Chromium's `TEMPORARY` and `PERSISTENT` constants, say).
 * @param {PropertyDescriptor | undefined} descriptor
 */
export function isInert(descriptor) {
  if (!descriptor || descriptor.configurable || !("value" in descriptor) || descriptor.writable) return false;
  const value = descriptor.value;
  return value === null || (typeof value !== "object" && typeof value !== "function");
}

/**
 * Each object from `target` up its prototype chain, stopping before the root (the object whose
 * prototype is null: its realm's `Object.prototype`).
 * @param {object} target
 * @returns {object[]}
 */
export function chainOf(target) {
  const levels = [];
  for (let level = target; level && Object.getPrototypeOf(level) !== null; level = Object.getPrototypeOf(level)) levels.push(level);
  return levels;
}

/**
 * Every member of the global's chain and of `navigator`'s that the allowlists do not keep and
 * that is not inert, named as Python sees it (`js.fetch`, `js.navigator.storage`), sorted and
 * without repeats. In the worker this is empty once the realm is closed; in page mode it is what
 * Python can reach around the policy.
 * @param {object} scope the global object
 * @returns {string[]}
 */
export function openMembers(scope) {
  const open = new Set();
  collectOpen(scope, GLOBAL_ALLOWLIST, "js.", open);
  const navigatorObject = /** @type {any} */ (scope).navigator;
  if (navigatorObject && typeof navigatorObject === "object") collectOpen(navigatorObject, NAVIGATOR_ALLOWLIST, "js.navigator.", open);
  return [...open].sort();
}

/**
 * @param {object} target @param {Readonly<Record<string, string>>} allowlist @param {string} prefix
 * @param {Set<string>} open
 */
function collectOpen(target, allowlist, prefix, open) {
  for (const level of chainOf(target)) {
    for (const key of Reflect.ownKeys(level)) {
      if (isAllowed(key, allowlist) || isInert(Object.getOwnPropertyDescriptor(level, key))) continue;
      open.add(`${prefix}${typeof key === "symbol" ? `[${String(key.description)}]` : key}`);
    }
  }
}
