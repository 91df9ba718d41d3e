// @ts-check
/**
 * Where the page keeps a namespace: the origin private file system (OPFS) where the engine has
 * it, IndexedDB where it does not (WebKitGTK has no navigator.storage). Both hold the same
 * shape: content blobs under generated names, and a manifest that maps each stored path to its
 * blob. A commit writes new blobs first and the manifest last, so a crash at any moment leaves
 * the previous manifest (old files) or the new one (new files), never a mix. browser_rt touches
 * only its own folder (OPFS `browser_rt/storage/<namespace>/`) or its own database
 * (`browser_rt_storage`): the app's own files are never listed, read or written.
 */

const OPFS_FOLDERS = Object.freeze(["browser_rt", "storage"]);
const DATABASE = "browser_rt_storage";
const MANIFEST = /^m-(\d{1,15})\.json$/;

/**
 * @typedef {{blob: string, size: number, mtime: number}} StoredFile
 * @typedef {{generation: number, files: Map<string, StoredFile>}} Manifest
 * @typedef {object} StorageBackend
 * @property {"opfs" | "indexeddb"} kind
 * @property {() => Promise<Manifest>} load the last committed manifest; removes leftovers of an
 *   interrupted commit
 * @property {(blob: string) => Promise<Uint8Array>} read
 * @property {(manifest: Manifest, blobs: [string, Uint8Array][]) => Promise<void>} commit
 *   write `blobs`, then switch to `manifest`
 * @property {(generation: number, obsolete: string[]) => Promise<void>} discard drop what the
 *   manifest of `generation` no longer names (after the commit is answered; a crash before it
 *   only leaves leftovers that the next load removes)
 */

/** The backend this engine offers, or an error that says there is none. */
export async function openBackend(/** @type {string} */ namespace) {
  if (typeof globalThis.navigator?.storage?.getDirectory === "function") return openOpfsBackend(namespace);
  if (typeof globalThis.indexedDB?.open === "function") return openIndexedDBBackend(namespace);
  throw new Error("storageAuthority: this engine has neither OPFS (navigator.storage) nor IndexedDB to keep files in");
}

/** @param {number} generation @param {number} index */
export function blobName(generation, index) {
  return `b-${generation}-${index}`;
}

/**
 * @param {string} namespace
 * @param {FileSystemDirectoryHandle} [root] the origin's OPFS root (tests pass their own)
 * @returns {Promise<StorageBackend>}
 */
export async function openOpfsBackend(namespace, root) {
  let folder = root ?? await navigator.storage.getDirectory();
  for (const name of [...OPFS_FOLDERS, namespace]) folder = await folder.getDirectoryHandle(name, { create: true });
  const dir = folder;

  /** @param {string} name @param {Uint8Array} bytes */
  async function writeFile(name, bytes) {
    const handle = await dir.getFileHandle(name, { create: true });
    const writable = await handle.createWritable();
    try {
      await writable.write(/** @type {any} */ (bytes));
      await writable.close();
    } catch (error) {
      await writable.abort().catch(() => {});
      throw error;
    }
  }

  /** @param {string} name */
  async function remove(name) {
    await dir.removeEntry(name).catch(() => {});
  }

  return {
    kind: "opfs",
    async load() {
      /** @type {string[]} */
      const names = [];
      for await (const name of /** @type {any} */ (dir).keys()) names.push(String(name));
      const manifests = names.map((name) => MANIFEST.exec(name)).filter((m) => m !== null)
        .map((m) => Number(/** @type {RegExpExecArray} */ (m)[1])).sort((a, b) => b - a);
      /** @type {Manifest} */
      let chosen = { generation: 0, files: new Map() };
      for (const generation of manifests) {
        const text = await (await (await dir.getFileHandle(`m-${generation}.json`)).getFile()).text();
        const manifest = parseManifest(text, generation);
        if (manifest && await blobsPresent(manifest)) {
          chosen = manifest;
          break;
        }
      }
      const live = new Set([`m-${chosen.generation}.json`, ...Array.from(chosen.files.values(), (file) => file.blob)]);
      for (const name of names) if (!live.has(name)) await remove(name);
      return chosen;
    },
    async read(blob) {
      const file = await (await dir.getFileHandle(blob)).getFile();
      return new Uint8Array(await file.arrayBuffer());
    },
    async commit(manifest, blobs) {
      try {
        await inParallel(blobs, ([name, bytes]) => writeFile(name, bytes));
      } catch (error) {
        await inParallel(blobs, ([name]) => remove(name));
        throw error;
      }
      await writeFile(`m-${manifest.generation}.json`, new TextEncoder().encode(manifestText(manifest)));
    },
    async discard(generation, obsolete) {
      await remove(`m-${generation - 1}.json`);
      await inParallel(obsolete, remove);
    },
  };

  /** @param {Manifest} manifest */
  async function blobsPresent(manifest) {
    for (const file of manifest.files.values()) {
      try {
        if ((await (await dir.getFileHandle(file.blob)).getFile()).size !== file.size) return false;
      } catch {
        return false;
      }
    }
    return true;
  }
}

/**
 * @param {string} namespace
 * @param {number} [answerMs] how long a read may wait for the database before it is an error
 * @returns {Promise<StorageBackend>}
 */
export async function openIndexedDBBackend(namespace, answerMs = IDB_ANSWER_MS) {
  const db = await answered(new Promise((resolve, reject) => {
    const opening = indexedDB.open(DATABASE, 1);
    opening.onupgradeneeded = () => {
      opening.result.createObjectStore("manifests");
      opening.result.createObjectStore("blobs");
    };
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error ?? new Error("IndexedDB would not open"));
  }), answerMs, "opening its database");

  /** @param {IDBRequest} request @param {string} what @returns {Promise<any>} */
  const done = (request, what) => answered(new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  }), answerMs, what);

  // A page that leaves in the middle of a commit aborts it: all of it is dropped, as a crash
  // would drop it; a removal of old blobs in flight is dropped too (they stay as leftovers). A
  // page kept in the back/forward cache with a write still open would otherwise hold every
  // later read of those stores, in any page of this origin, waiting.
  /** @type {Set<IDBTransaction>} */
  const writing = new Set();
  globalThis.addEventListener?.("pagehide", () => {
    for (const transaction of writing) {
      try {
        transaction.abort();
      } catch {
        // already finished
      }
    }
  });

  return {
    kind: "indexeddb",
    async load() {
      const text = await done(db.transaction("manifests").objectStore("manifests").get(namespace), "reading the manifest");
      return (typeof text === "string" ? parseManifest(text, null) : null) ?? { generation: 0, files: new Map() };
    },
    async read(blob) {
      const value = await done(db.transaction("blobs").objectStore("blobs").get([namespace, blob]), "reading a file");
      if (!(value instanceof Uint8Array)) throw new Error("a stored file is missing");
      return value;
    },
    async commit(manifest, blobs) {
      // One transaction: IndexedDB applies all of it or none of it.
      const transaction = db.transaction(["manifests", "blobs"], "readwrite");
      writing.add(transaction);
      const finished = new Promise((resolve, reject) => {
        transaction.oncomplete = resolve;
        transaction.onabort = () => reject(transaction.error ?? new Error("the commit was aborted"));
        transaction.onerror = () => reject(transaction.error ?? new Error("the commit failed"));
      }).finally(() => writing.delete(transaction));
      try {
        const store = transaction.objectStore("blobs");
        for (const [name, bytes] of blobs) store.put(bytes, [namespace, name]);
        transaction.objectStore("manifests").put(manifestText(manifest), namespace);
      } catch (error) {
        transaction.abort(); // a request that could not even be made: none of them may land
        finished.catch(() => {});
        throw error;
      }
      await finished;
    },
    async discard(_generation, obsolete) {
      if (obsolete.length === 0) return;
      const transaction = db.transaction("blobs", "readwrite");
      writing.add(transaction);
      for (const name of obsolete) transaction.objectStore("blobs").delete([namespace, name]);
      await new Promise((resolve) => {
        transaction.oncomplete = resolve;
        transaction.onabort = resolve; // a leftover blob is only space; nothing names it
        transaction.onerror = resolve;
      });
      writing.delete(transaction);
    },
  };
}

/**
 * How long IndexedDB may take to open or answer a read. Another page of the origin that holds a
 * write open (one frozen in the back/forward cache, say) makes every read wait: past this, the
 * runtime gets an error that says so instead of waiting for ever.
 */
export const IDB_ANSWER_MS = 20_000;

/**
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what
 * @returns {Promise<T>}
 */
function answered(promise, ms, what) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(
      `storageAuthority: IndexedDB did not answer within ${ms} ms while ${what}; another page of this origin may hold a write open`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, late])).finally(() => clearTimeout(timer));
}

/** Files written or removed at once: independent files, so the engine can overlap them. */
const PARALLEL = 8;

/**
 * Run `action` on every item, at most PARALLEL at a time; rejects with the first failure once
 * all started ones have settled.
 * @template T
 * @param {T[]} items
 * @param {(item: T) => Promise<unknown>} action
 */
async function inParallel(items, action) {
  let next = 0;
  /** @type {unknown[]} */
  const failures = [];
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await action(item);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, lane));
  if (failures.length > 0) throw failures[0];
}

/** @param {Manifest} manifest */
function manifestText(manifest) {
  const files = Array.from(manifest.files, ([path, file]) => [path, file.blob, file.size, file.mtime]);
  return JSON.stringify({ generation: manifest.generation, files });
}

/**
 * A manifest read back from storage, or null when it is not a whole, well-formed one (a commit
 * cut short leaves such a file behind).
 * @param {string} text
 * @param {number | null} generation the one its name says, if it has a name
 * @returns {Manifest | null}
 */
function parseManifest(text, generation) {
  try {
    const parsed = JSON.parse(text);
    if (!Number.isSafeInteger(parsed?.generation) || !Array.isArray(parsed.files)) return null;
    if (generation !== null && parsed.generation !== generation) return null;
    /** @type {Map<string, StoredFile>} */
    const files = new Map();
    for (const entry of parsed.files) {
      if (!Array.isArray(entry) || entry.length !== 4) return null;
      const [path, blob, size, mtime] = entry;
      if (typeof path !== "string" || typeof blob !== "string" || !Number.isSafeInteger(size) || typeof mtime !== "number") return null;
      files.set(path, { blob, size, mtime });
    }
    return { generation: parsed.generation, files };
  } catch {
    return null;
  }
}
