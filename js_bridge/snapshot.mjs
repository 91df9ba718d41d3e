// @ts-check
/**
 * Start Pyodide from the bundle's memory snapshot: an interpreter with browser_rt already
 * imported (browser-rt bundle, snapshot_node.mjs). A snapshot is used only when its bytes hash
 * (SubtleCrypto) to the sha256 the bundle recorded, it was taken by this very Pyodide build, and
 * it holds no reference to a JS object. Anything else, including its absence, gives the reason
 * and the caller boots the normal way: a snapshot can make a start faster, never make it fail.
 *
 * The restore runs where the normal boot runs, so in a worker it comes after the isolation proof
 * and before the revocation, like the boot it replaces.
 */

/** The bundle's description of its snapshot, beside the Pyodide core. */
export const SNAPSHOT_INFO = "browser_rt-snapshot.json";
/** Why a snapshot was not used, as the `snapshot.fallback` event names it. */
export const FALLBACK_REASONS = Object.freeze([
  "missing", "unreadable", "unpack_failed", "size_mismatch", "hash_mismatch", "build_mismatch", "malformed", "js_references",
  "no_subtle_crypto", "restore_failed", "unsafe_in_engine",
]);
const MAGIC = "BRTSNAP1";
/** Largest container accepted (bytes): a Wasm heap of 4 GiB is the most there can be. */
const MAX_BYTES = 2 ** 32;
/** Pyodide's own snapshot header: magic, header length, JSON length, 0, then the 256-bit build id. */
const PYODIDE_MAGIC = 1886286592;

/**
 * @typedef {{ok: true, pyodide: any, packages: string[], ms: number}} Restored
 * @typedef {{ok: false, reason: string, detail: string}} NotRestored
 * @typedef {{info: SnapshotInfo, bytes: Uint8Array}} VerifiedSnapshot the container, its sha256
 *   and size checked against the description
 * @typedef {{file: string, sha256: string, bytes: number, build_id: string, pyodide: string, packages: string[],
 *   gzip?: {sha256: string, bytes: number}, pyodide_bytes?: number}} SnapshotInfo the description:
 *   `file` is the one snapshot file, the container gzip-compressed, and `gzip` gives that file's
 *   own sha256 and size; `sha256` and `bytes` are the container's, what the file unpacks to;
 *   `pyodide_bytes` is the size of Pyodide's own snapshot at the container's end
 * @typedef {{heapBytes: number | null, arriving: Promise<VerifiedSnapshot | null>}} PendingSnapshot
 *   a snapshot the page is still reading: the size of Pyodide's part (from the description; null
 *   when it does not say), and the verified bytes once they are here (null: the page found none
 *   to use, and has said why)
 */

/**
 * Read the bundle's description of its snapshot: enough to know, before the bytes arrive, whether
 * a snapshot will come and how large Pyodide's part of it is.
 * @param {URL} indexURL the bundle's pyodide/ folder
 * @param {string | null} [version] this Pyodide's version, when known: a snapshot made for
 *   another one is refused before its bytes are downloaded
 * @returns {Promise<{ok: true, info: SnapshotInfo} | NotRestored>}
 */
export async function readSnapshotInfo(indexURL, version = null) {
  let info;
  try {
    info = await readJSON(new URL(SNAPSHOT_INFO, indexURL));
  } catch (error) {
    return notRestored("missing", `${SNAPSHOT_INFO}: ${describe(error)}`);
  }
  return infoProblem(info, version) ?? { ok: true, info };
}

/**
 * Read the bundle's snapshot file, unpack it, and check it against the recorded sizes and sha256
 * (SubtleCrypto): the file's own, where the page unpacked it, then the unpacked container's.
 * Nothing here runs the snapshot, so the page can do it once for every worker it starts.
 * @param {URL} indexURL the bundle's pyodide/ folder
 * @param {string | null} [version] this Pyodide's version, when known: a snapshot made for
 *   another one is refused before its bytes are downloaded
 * @param {Promise<{ok: true, info: SnapshotInfo} | NotRestored> | null} [described] the
 *   description, when it is already being read (readSnapshotInfo)
 * @returns {Promise<({ok: true, ms: number} & VerifiedSnapshot) | NotRestored>}
 */
export async function readVerifiedSnapshot(indexURL, version = null, described = null) {
  const started = performance.now();
  const description = await (described ?? readSnapshotInfo(indexURL, version));
  if (!description.ok) return description;
  const { info } = description;
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return notRestored("no_subtle_crypto", "SubtleCrypto is absent (not a secure context?)");
  let body;
  try {
    body = await openBody(new URL(info.file, indexURL));
  } catch (error) {
    return notRestored("missing", `${info.file}: ${describe(error)}`);
  }
  const read = await unpack(body, info);
  if (!read.ok) return read;
  const { bytes, packed } = read;
  // The file as shipped, where the page unpacked it: its own sha256 also covers the bytes of
  // the gzip header that unpacking ignores (a time, the system that wrote it).
  if (packed !== null && info.gzip) {
    const digest = hex(new Uint8Array(await subtle.digest("SHA-256", packed)));
    if (digest !== info.gzip.sha256) {
      return notRestored("hash_mismatch", `${info.file}: sha256 ${digest} (${packed.length} bytes), the bundle recorded ${info.gzip.sha256} (${info.gzip.bytes} bytes)`);
    }
  }
  const digest = hex(new Uint8Array(await subtle.digest("SHA-256", bytes)));
  if (digest !== info.sha256) {
    return notRestored("hash_mismatch", `${info.file} unpacked: sha256 ${digest}, the bundle recorded ${info.sha256}`);
  }
  return { ok: true, info, bytes, ms: Math.round(performance.now() - started) };
}

/**
 * Restore Pyodide from the bundle's snapshot, or say why not.
 *
 * Where the description records the size of Pyodide's part (`pyodide_bytes`), Pyodide fetches,
 * compiles and instantiates its Wasm module while the snapshot is still being read and verified:
 * it is handed a buffer of that size, and the snapshot's bytes are copied into it only once they
 * have passed every check below and only just before Pyodide reads it. A snapshot that fails a
 * check never reaches the heap, and the caller boots the normal way.
 * @param {URL} indexURL the bundle's pyodide/ folder
 * @param {{loadPyodide: Function, version: string}} core the bundle's pyodide.mjs
 * @param {Record<string, unknown>} options what loadPyodide would get besides the snapshot
 * @param {VerifiedSnapshot | PendingSnapshot | null} [given] the snapshot as the page already
 *   read and verified it, or is still reading (worker mode: snapshot_source.mjs); absent, it is
 *   read and verified here
 * @returns {Promise<Restored | NotRestored | null>} null: the page found no snapshot to use and
 *   has said why
 */
export async function restoreFromSnapshot(indexURL, core, options, given = null) {
  const started = performance.now();
  /** @type {Promise<VerifiedSnapshot | NotRestored | null>} */
  let arriving;
  /** @type {number | null} */
  let heapBytes = null;
  if (given === null) {
    const described = await readSnapshotInfo(indexURL, core.version);
    if (!described.ok) return described;
    heapBytes = described.info.pyodide_bytes ?? null;
    arriving = readVerifiedSnapshot(indexURL, core.version, Promise.resolve(described));
  } else if ("arriving" in given) {
    ({ arriving, heapBytes } = given);
  } else {
    arriving = Promise.resolve(given);
  }
  let settled = false;
  const checked = arriving.then((got) => (got === null ? null : checkSnapshot(got, core.version)))
    .catch((error) => notRestored("unreadable", describe(error)))
    .finally(() => {
      settled = true;
    });
  /** @type {Checked | null} */
  let ready = null;
  let pyodide;
  try {
    const trampoline = await engineTrampoline(indexURL);
    // Already here (a restart gets its copy at once): restore from it directly, without the
    // buffer that lets Pyodide start before the bytes arrive.
    if (heapBytes === null || settled) {
      const outcome = await checked;
      if (!outcome?.ok) return outcome;
      ready = outcome;
      const create = withRoomFor(ready.parsed.pyodideSnapshot.length, trampoline.create);
      pyodide = await core.loadPyodide({ ...options, _loadSnapshot: ready.parsed.pyodideSnapshot, createPyodideModule: create });
    } else {
      const heap = new Uint8Array(heapBytes);
      // Pyodide reads `_loadSnapshot` only after the module it creates here is up.
      const create = async (/** @type {any} */ settings) => {
        const module = await withRoomFor(heap.length, trampoline.create)(settings);
        const outcome = await checked;
        if (!outcome?.ok) throw new SnapshotRefused(outcome);
        if (outcome.parsed.pyodideSnapshot.length !== heap.length) {
          throw new SnapshotRefused(notRestored("malformed", `${SNAPSHOT_INFO}: pyodide_bytes is ${heap.length}, the container holds ${outcome.parsed.pyodideSnapshot.length}`));
        }
        heap.set(outcome.parsed.pyodideSnapshot);
        ready = outcome;
        return module;
      };
      pyodide = await core.loadPyodide({ ...options, _loadSnapshot: heap, createPyodideModule: create });
    }
    trampoline.restore(pyodide._module);
  } catch (error) {
    if (error instanceof SnapshotRefused) return error.outcome;
    // Pyodide compares the build id itself and refuses a foreign snapshot here.
    const text = describe(error);
    return notRestored(/build id mismatch/i.test(text) ? "build_mismatch" : "restore_failed", text);
  }
  if (ready === null) return notRestored("restore_failed", "Pyodide started without reading the snapshot");
  try {
    writeFiles(pyodide.FS, ready.parsed.files);
    // The heap carries the builder's `random` state: every restore would draw the same numbers.
    pyodide.runPython("import importlib, sys\nimportlib.invalidate_caches()\nif 'random' in sys.modules: sys.modules['random'].seed()");
  } catch (error) {
    return notRestored("restore_failed", describe(error));
  }
  for (const name of ready.info.packages) pyodide.loadedPackages[name] = "snapshot";
  return { ok: true, pyodide, packages: ready.info.packages, ms: Math.round(performance.now() - started) };
}

/**
 * @typedef {{ok: true, info: SnapshotInfo, parsed: {header: any, files: [string, Uint8Array][], pyodideSnapshot: Uint8Array}}} Checked
 *   a snapshot that passed every check before the restore
 */

/**
 * Everything checked before a single byte of the snapshot reaches the heap: the description names
 * this Pyodide, the container is well formed, carries the recorded build id and names no JS object.
 * @param {VerifiedSnapshot | NotRestored} got the verified bytes, or why there are none
 * @param {string} version this Pyodide's version
 * @returns {Checked | NotRestored}
 */
function checkSnapshot(got, version) {
  if ("ok" in got && got.ok === false) return got;
  const { info, bytes } = /** @type {VerifiedSnapshot} */ (got);
  const problem = infoProblem(info, version);
  if (problem) return problem;
  const parsed = parseContainer(bytes);
  if ("reason" in parsed) return parsed;
  if (parsed.header.build_id !== info.build_id || parsed.header.pyodide !== version) {
    return notRestored("build_mismatch", `${info.file}: taken by Pyodide ${String(parsed.header.pyodide)} build ${String(parsed.header.build_id).slice(0, 12)}, this is ${version}`);
  }
  if (info.pyodide_bytes !== undefined && info.pyodide_bytes !== parsed.pyodideSnapshot.length) {
    return notRestored("malformed", `${SNAPSHOT_INFO}: pyodide_bytes is ${info.pyodide_bytes}, the container holds ${parsed.pyodideSnapshot.length}`);
  }
  return { ok: true, info, parsed };
}

/** Thrown out of Pyodide's start when the snapshot it was to restore did not pass its checks. */
class SnapshotRefused extends Error {
  /** @param {NotRestored | null} outcome why, or null when the page has already said why */
  constructor(outcome) {
    super(outcome?.detail ?? "no snapshot");
    this.outcome = outcome;
  }
}

/**
 * @param {any} info the parsed browser_rt-snapshot.json
 * @param {string | null} version this Pyodide's version (null: not known yet)
 * @returns {NotRestored | null}
 */
function infoProblem(info, version) {
  const fields = info && typeof info === "object" && typeof info.file === "string" && /^[\w.-]+$/.test(info.file)
    && typeof info.sha256 === "string" && /^[0-9a-f]{64}$/.test(info.sha256)
    && Number.isSafeInteger(info.bytes) && info.bytes > 0 && info.bytes < MAX_BYTES
    && typeof info.build_id === "string" && typeof info.pyodide === "string"
    && Array.isArray(info.packages) && info.packages.every((/** @type {unknown} */ name) => typeof name === "string")
    && (info.gzip === undefined || (info.gzip && typeof info.gzip === "object" && typeof info.gzip.sha256 === "string"
      && /^[0-9a-f]{64}$/.test(info.gzip.sha256) && Number.isSafeInteger(info.gzip.bytes) && info.gzip.bytes > 0 && info.gzip.bytes < MAX_BYTES))
    && (info.pyodide_bytes === undefined || (Number.isSafeInteger(info.pyodide_bytes) && info.pyodide_bytes >= 48 && info.pyodide_bytes <= info.bytes));
  if (!fields) return notRestored("malformed", `${SNAPSHOT_INFO}: not a snapshot description`);
  if (version !== null && info.pyodide !== version) return notRestored("build_mismatch", `${SNAPSHOT_INFO}: made for Pyodide ${info.pyodide}, this is ${version}`);
  return null;
}

/**
 * Split the container (format: browser_rt/tooling/snapshot_node.mjs) and check Pyodide's part.
 * @param {Uint8Array} bytes
 * @returns {{header: any, files: [string, Uint8Array][], pyodideSnapshot: Uint8Array} | NotRestored}
 */
export function parseContainer(bytes) {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) return notRestored("malformed", "not a browser_rt snapshot");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    return notRestored("malformed", "unreadable snapshot header");
  }
  if (!header || header.format !== 1 || !Array.isArray(header.files)) return notRestored("malformed", "unknown snapshot format");
  let offset = 12 + headerLength;
  /** @type {[string, Uint8Array][]} */
  const files = [];
  for (const entry of header.files) {
    const [path, size] = Array.isArray(entry) ? entry : [];
    if (typeof path !== "string" || !path.startsWith("/lib/") || path.includes("/../") || !Number.isSafeInteger(size) || size < 0 || offset + size > bytes.length) {
      return notRestored("malformed", "bad file entry in the snapshot header");
    }
    files.push([path, bytes.subarray(offset, offset + size)]);
    offset += size;
  }
  // Pyodide reads it through 32-bit views; the builder aligns it, a copy covers any other file.
  const pyodideSnapshot = (bytes.byteOffset + offset) % 4 === 0 ? bytes.subarray(offset) : bytes.slice(offset);
  const words = pyodideSnapshot.length >= 48 ? new DataView(pyodideSnapshot.buffer, pyodideSnapshot.byteOffset, 48) : null;
  if (!words || words.getUint32(0, true) !== PYODIDE_MAGIC) return notRestored("malformed", "no Pyodide snapshot in the container");
  const buildId = Array.from({ length: 8 }, (_, i) => words.getUint32(16 + 4 * i, true).toString(16).padStart(8, "0")).join("");
  if (buildId !== header.build_id) return notRestored("build_mismatch", "the container's header and its Pyodide snapshot disagree on the build");
  const refs = jsReferences(pyodideSnapshot, words);
  if (refs !== null) return notRestored(refs === "unreadable" ? "malformed" : "js_references", `the snapshot holds ${refs}`);
  return { header, files, pyodideSnapshot };
}

/**
 * A snapshot may name JS objects (by a path from globalThis, or a serialized value) that the
 * restore would hand to Python before the worker revokes anything. Ours must name none.
 * @param {Uint8Array} snapshot @param {DataView} words
 * @returns {string | null} what it holds, or null when it holds nothing
 */
function jsReferences(snapshot, words) {
  const length = words.getUint32(8, true);
  let state;
  try {
    state = JSON.parse(new TextDecoder().decode(snapshot.subarray(48, 48 + length)));
  } catch {
    return "unreadable";
  }
  const keys = Array.isArray(state?.hiwireKeys) ? state.hiwireKeys : null;
  if (keys === null) return "unreadable";
  const held = keys.filter((/** @type {unknown} */ key) => key !== null).length;
  return held === 0 ? null : `${held} JS references`;
}

/**
 * CPython calls Python functions through a trampoline that each engine picks at start-up (a
 * Wasm one where the engine can build it, else a JS one) and stores in the interpreter's state,
 * that is, in the heap. The restore overwrites the heap with the builder's choice, made in
 * Node: with a JS trampoline in the way, JSPI cannot suspend ("trying to suspend JS frames")
 * and run_sync breaks. So read this engine's own choice as Pyodide starts, and put it back
 * after the restore. `createPyodideModule` (experimental in Pyodide) lets us watch the start;
 * the field's place comes from the module's own exports, as Pyodide writes it.
 * @param {URL} indexURL
 */
async function engineTrampoline(indexURL) {
  const { default: createModule } = await import(new URL("pyodide.asm.mjs", indexURL).href);
  /** @type {number | null} */
  let chosen = null;
  /** @param {any} Module */
  const slot = (Module) => (Module.__PyRuntime + Module.HEAP32[Module.__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET / 4]) / 4;
  return {
    /** @param {any} settings */
    create(settings) {
      const own = settings.preRun === undefined ? [] : [settings.preRun].flat();
      // Runs after Emscripten's own pre-run step that stores the engine's trampoline.
      settings.preRun = [...own, (/** @type {any} */ Module) => {
        chosen = Module.HEAP32[slot(Module)];
      }];
      return createModule(settings);
    },
    /** @param {any} Module */
    restore(Module) {
      if (chosen === null || typeof Module?.__PyRuntime !== "number") throw new Error("the engine's trampoline was not seen");
      Module.HEAP32[slot(Module)] = chosen;
    },
  };
}

/**
 * Pyodide's memory is the module's own, created at the size compiled into it (30 MiB), and the
 * restore copies the snapshot's heap into it without growing it: a snapshot taken after the heap
 * grew (a larger set of imports) would fail with "offset is out of bounds". Grow the memory to
 * the snapshot's size as the module is instantiated, before anything is copied into it.
 * @param {number} bytes the size of Pyodide's snapshot (its header and the heap)
 * @param {(settings: any) => any} create
 */
function withRoomFor(bytes, create) {
  return (/** @type {any} */ settings) => {
    const instantiate = settings.instantiateWasm;
    if (typeof instantiate === "function") {
      settings.instantiateWasm = (/** @type {any} */ imports, /** @type {Function} */ receive) => instantiate(imports, (/** @type {any} */ instance, /** @type {any} */ module) => {
        const memory = instance.exports.memory;
        const short = bytes - memory.buffer.byteLength;
        if (short > 0) memory.grow(Math.ceil(short / 65536));
        receive(instance, module);
      });
    }
    return create(settings);
  };
}

/** @param {any} FS @param {[string, Uint8Array][]} files */
function writeFiles(FS, files) {
  for (const [path, data] of files) {
    FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    FS.writeFile(path, data);
  }
}

/** @param {string} reason @param {string} detail @returns {NotRestored} */
function notRestored(reason, detail) {
  return { ok: false, reason, detail: detail.slice(0, 500) };
}

/** @param {unknown} error */
function describe(error) {
  return String(/** @type {any} */ (error)?.message ?? error).split("\n")[0];
}

/** @param {Uint8Array} bytes */
function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** @param {URL} url */
async function readBytes(url) {
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    const data = await readFile(url);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const response = await fetch(url.href);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A file's body, to read as it arrives: fetched, or read from disk for a file: URL (Node).
 * @param {URL} url
 * @returns {Promise<ReadableStream<Uint8Array>>}
 */
async function openBody(url) {
  if (url.protocol === "file:") return /** @type {ReadableStream<Uint8Array>} */ (new Blob([await readBytes(url)]).stream());
  const response = await fetch(url.href);
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
  return response.body;
}

/**
 * The snapshot file unpacked as it arrives, into a buffer of the size the description records.
 *
 * The file is the container gzip-compressed. A host that serves it with `Content-Encoding: gzip`
 * hands over bytes the browser has already unpacked; they lack the gzip magic (the container
 * starts with its own) and are used as they are, since the sha256 of the unpacked bytes decides
 * either way. More bytes than recorded, in or out, are refused as they come, so a hostile host
 * cannot make the page read or allocate past them; a truncated or damaged stream ends in the
 * engine's unpacking error. Never throws.
 * @param {ReadableStream<Uint8Array>} body
 * @param {SnapshotInfo} info
 * @returns {Promise<{ok: true, bytes: Uint8Array, packed: Uint8Array | null} | NotRestored>}
 *   `packed`: the file as it came, where the page unpacked it
 */
async function unpack(body, info) {
  const reader = body.getReader();
  const size = info.bytes;
  /** @type {Uint8Array[]} */
  const head = [];
  let headBytes = 0;
  let ended = false;
  try {
    while (headBytes < 2 && !ended) {
      const { done, value } = await reader.read();
      if (done) ended = true;
      else {
        head.push(value);
        headBytes += value.length;
      }
    }
  } catch (error) {
    return notRestored("unreadable", `${info.file}: ${describe(error)}`);
  }
  const first = concat(head);
  const gzip = first[0] === 0x1f && first[1] === 0x8b;
  if (gzip && typeof globalThis.DecompressionStream !== "function") {
    await reader.cancel().catch(() => {});
    return notRestored("unpack_failed", `${info.file}: this engine has no DecompressionStream to unpack it`);
  }
  // Unrecorded, a gzip stream is at most slightly larger than what it holds (stored blocks).
  const limit = gzip ? info.gzip?.bytes ?? size + (size >> 8) + 4096 : size;
  const input = refilled(reader, first, ended, limit, info.file);
  const unpacked = gzip ? input.stream.pipeThrough(new DecompressionStream("gzip")) : input.stream;
  const chunks = unpacked.getReader();
  const out = new Uint8Array(size);
  let filled = 0;
  try {
    for (;;) {
      const { done, value } = await chunks.read();
      if (done) break;
      if (filled + value.length > size) {
        await chunks.cancel().catch(() => {});
        return notRestored("size_mismatch", `${info.file} unpacks to more than the ${size} bytes recorded`);
      }
      out.set(value, filled);
      // Unpacked chunks arrive as microtasks: without a turn now and then, the page would run no
      // other task (the message that starts its worker among them) until the last one.
      if (Math.floor(filled / YIELD_EVERY_BYTES) !== Math.floor((filled + value.length) / YIELD_EVERY_BYTES)) await nextTask();
      filled += value.length;
    }
  } catch (error) {
    return input.fault() ?? notRestored("unpack_failed", `${info.file}: ${describe(error)} (after ${filled} of ${size} bytes)`);
  }
  if (filled !== size) return notRestored("size_mismatch", `${info.file} unpacks to ${filled} bytes, the bundle recorded ${size}`);
  return { ok: true, bytes: out, packed: gzip ? concat(input.chunks) : null };
}

/**
 * The file's bytes as a stream again, from its first bytes (already read) on: each chunk is
 * kept for the sha256 of the file as shipped, and more than `limit` bytes are refused. A fault
 * of the file itself (the network, its size) is kept apart from a failure to unpack it.
 * @param {ReadableStreamDefaultReader<Uint8Array>} reader @param {Uint8Array} first
 * @param {boolean} ended @param {number} limit @param {string} name
 */
function refilled(reader, first, ended, limit, name) {
  /** @type {Uint8Array[]} */
  const chunks = [];
  /** @type {NotRestored | null} */
  let fault = null;
  let total = 0;
  /** @param {Uint8Array} chunk @param {ReadableStreamDefaultController<Uint8Array>} controller */
  const take = (chunk, controller) => {
    total += chunk.length;
    if (total > limit) {
      fault = notRestored("size_mismatch", `${name} holds more than the ${limit} bytes recorded`);
      reader.cancel().catch(() => {});
      controller.error(new Error(fault.detail));
      return;
    }
    chunks.push(chunk);
    controller.enqueue(chunk);
  };
  const stream = new ReadableStream({
    start(controller) {
      if (first.length > 0) take(first, controller);
      if (ended && fault === null) controller.close();
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else take(value, controller);
      } catch (error) {
        fault = notRestored("unreadable", `${name}: ${describe(error)}`);
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { stream, chunks, fault: () => fault };
}

/** @param {Uint8Array[]} parts */
function concat(parts) {
  if (parts.length === 1) return parts[0];
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}

/** Bytes unpacked between two turns given to the page's other tasks. */
const YIELD_EVERY_BYTES = 1 << 20;

/** A promise settled in a later task, not a microtask (a timer could be clamped to 4 ms). */
function nextTask() {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve(undefined);
    };
    port2.postMessage(null);
  });
}

/** @param {URL} url */
async function readJSON(url) {
  return JSON.parse(new TextDecoder().decode(await readBytes(url)));
}

/**
 * Why page mode must not restore the snapshot in this engine, or null where it may. Chromium's
 * sampling heap profiler, on in a share of its renderers, walks frame pointers past the end of
 * a WebAssembly JSPI stack in a page that restored a snapshot, and the tab crashes
 * (docs/snapshot.md). In page mode that stack is the page's own, so a Chromium page boots in
 * full; worker mode restores in every engine. Chromium is recognised by its client hints brand,
 * else by its user agent string: a wrong guess costs only the fast start.
 * @param {any} [nav] the engine's navigator
 * @returns {NotRestored | null}
 */
export function pageModeRefusal(nav = globalThis.navigator) {
  const brands = nav?.userAgentData?.brands;
  const chromium = Array.isArray(brands)
    ? brands.some((/** @type {any} */ entry) => entry?.brand === "Chromium")
    : /Chrom(?:e|ium)\//.test(String(nav?.userAgent ?? ""));
  if (!chromium) return null;
  return notRestored("unsafe_in_engine", "Chromium's sampling heap profiler can crash a page that restored a snapshot and runs Python on a JSPI stack: page mode boots in full here (worker mode restores)");
}

/**
 * The event a start reports: `snapshot.restored`, or `snapshot.fallback` with the reason.
 * @param {Restored | NotRestored} outcome
 * @returns {Record<string, unknown>}
 */
export function snapshotEvent(outcome) {
  return outcome.ok
    ? { type: "snapshot.restored", severity: "info", ms: outcome.ms, packages: outcome.packages.slice() }
    : { type: "snapshot.fallback", severity: outcome.reason === "missing" ? "info" : "warn", reason: outcome.reason, detail: outcome.detail };
}
