// @ts-check
/**
 * A cap on Pyodide's Wasm memory. Pyodide's module exports its memory rather than importing it,
 * so a `WebAssembly.Memory` with a `maximum` cannot be handed in. Every growth of the heap,
 * though, goes through one import, Emscripten's `emscripten_resize_heap(requestedBytes)`, which
 * returns 0 when it cannot grow; `malloc` then returns NULL and Python raises MemoryError.
 *
 * While Pyodide boots, `WebAssembly.instantiate` and `instantiateStreaming` are wrapped. When the
 * main Pyodide module is instantiated (recognized by the imports Pyodide adds to it), its
 * `emscripten_resize_heap` is replaced by one that refuses any size past the cap, and the
 * instance's memory gets an own `grow` that never goes past it (Emscripten asks for up to 20%
 * more than it needs). The wrappers are removed as soon as the boot ends.
 */

const PAGE_BYTES = 65_536;
/** Bounds on memoryLimitMB: below the floor Pyodide cannot even boot; Wasm32 ends at 4 GiB. */
export const MEMORY_LIMIT_MB = Object.freeze({ min: 64, max: 4095 });

/**
 * @param {unknown} value createRuntime's `memoryLimitMB`
 * @returns {number | null} the cap in bytes, or null for none
 */
export function checkMemoryLimit(value) {
  if (value === undefined) return null;
  if (!Number.isSafeInteger(value) || /** @type {number} */ (value) < MEMORY_LIMIT_MB.min || /** @type {number} */ (value) > MEMORY_LIMIT_MB.max) {
    throw new TypeError(`createRuntime: memoryLimitMB must be an integer from ${MEMORY_LIMIT_MB.min} to ${MEMORY_LIMIT_MB.max}, got ${String(value)}`);
  }
  return /** @type {number} */ (value) * 1024 * 1024;
}

/**
 * Run `load` (which boots Pyodide) with the heap of the Pyodide module it instantiates capped.
 * @template T
 * @param {number | null} limitBytes
 * @param {() => Promise<T>} load
 * @returns {Promise<T>}
 */
export async function withMemoryLimit(limitBytes, load) {
  if (limitBytes === null) return load();
  const wasm = /** @type {any} */ (WebAssembly);
  const original = { instantiate: wasm.instantiate, instantiateStreaming: wasm.instantiateStreaming };
  let capped = false;
  /** @param {any} imports */
  const isPyodideMain = (imports) => !capped && typeof imports?.env?.emscripten_resize_heap === "function" && "Jsv_GetError_import" in imports.env;
  /**
   * @param {"instantiate" | "instantiateStreaming"} name
   */
  const wrap = (name) => async function (/** @type {any} */ source, /** @type {any} */ imports, /** @type {any[]} */ ...rest) {
    if (!isPyodideMain(imports)) return original[name].call(wasm, source, imports, ...rest);
    capped = true;
    const resize = imports.env.emscripten_resize_heap;
    imports.env.emscripten_resize_heap = (/** @type {number} */ requested) => ((requested >>> 0) > limitBytes ? 0 : resize(requested));
    const result = await original[name].call(wasm, source, imports, ...rest);
    capGrowth(result.instance.exports.memory, limitBytes);
    return result;
  };
  wasm.instantiate = wrap("instantiate");
  wasm.instantiateStreaming = wrap("instantiateStreaming");
  try {
    return await load();
  } finally {
    wasm.instantiate = original.instantiate;
    wasm.instantiateStreaming = original.instantiateStreaming;
  }
}

/**
 * Give this one Memory a `grow` that stops at the cap; the prototype's stays as it was.
 * @param {WebAssembly.Memory} memory
 * @param {number} limitBytes
 */
function capGrowth(memory, limitBytes) {
  const grow = memory.grow;
  Object.defineProperty(memory, "grow", {
    value(/** @type {number} */ pages) {
      const room = Math.max(0, Math.floor((limitBytes - memory.buffer.byteLength) / PAGE_BYTES));
      if (room === 0 && pages > 0) throw new RangeError("browser_rt: Wasm memory limit reached");
      return grow.call(memory, Math.min(pages, room));
    },
  });
}
