// @ts-check
/**
 * The bridge's answer to a blocking fetch, written into a SharedArrayBuffer the worker waits on
 * with `Atomics.wait`. This is how synchronous Python (requests, urllib3, open_url) waits for
 * the page where the engine has no JavaScript Promise Integration but the page is cross-origin
 * isolated. The page writes; the worker reads. The buffer comes from the worker, so the page
 * never trusts its size: an answer that does not fit becomes a `bridge_error` answer that does.
 *
 * Layout: four Int32 slots (state, metadata bytes, body bytes, reserved), then the metadata as
 * UTF-8 JSON (everything in the answer but the body), then the body bytes.
 */

/** Bytes before the metadata. */
export const REPLY_HEADER_BYTES = 16;
/** Room for the status line, the URL and the response headers (the bridge caps a URL at 8 KiB). */
export const REPLY_METADATA_BYTES = 256 * 1024;
/** The state slot: 0 while the page works, 1 once the answer is written. */
const PENDING = 0;
const WRITTEN = 1;

/**
 * The buffer a blocking fetch needs for a response of up to `maxBodyBytes`.
 * @param {number} maxBodyBytes
 */
export function replyCapacity(maxBodyBytes) {
  return REPLY_HEADER_BYTES + REPLY_METADATA_BYTES + maxBodyBytes;
}

/**
 * Whether `value` can carry a blocking answer at all: a SharedArrayBuffer with room for the
 * header and a short error. Anything else from the worker is not a blocking fetch.
 * @param {unknown} value
 * @returns {value is SharedArrayBuffer}
 */
export function isReplyBuffer(value) {
  return typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer && value.byteLength >= REPLY_HEADER_BYTES + 256;
}

/**
 * Write the bridge's answer into `shared` and wake the worker waiting on it.
 * @param {SharedArrayBuffer} shared
 * @param {Record<string, any>} result the bridge's answer, as `perform` returns it
 */
export function writeBlockingReply(shared, result) {
  const encoded = encode(result, shared.byteLength) ?? encode({
    ok: false, kind: "error", code: "bridge_error",
    message: `the answer does not fit the worker's reply buffer of ${shared.byteLength} bytes`,
  }, shared.byteLength);
  const slots = new Int32Array(shared, 0, 4);
  if (encoded) {
    new Uint8Array(shared, REPLY_HEADER_BYTES, encoded.meta.length).set(encoded.meta);
    new Uint8Array(shared, REPLY_HEADER_BYTES + encoded.meta.length, encoded.body.length).set(encoded.body);
    Atomics.store(slots, 1, encoded.meta.length);
    Atomics.store(slots, 2, encoded.body.length);
  }
  Atomics.store(slots, 0, WRITTEN);
  Atomics.notify(slots, 0);
}

/**
 * Block until the page has answered into `shared`, or `timeoutMs` has passed, and read the answer.
 * Only a worker may block; the answer has the shape `perform` resolves with.
 * @param {SharedArrayBuffer} shared
 * @param {number} timeoutMs
 * @returns {Record<string, any>}
 */
export function waitForBlockingReply(shared, timeoutMs) {
  const slots = new Int32Array(shared, 0, 4);
  if (Atomics.wait(slots, 0, PENDING, timeoutMs) === "timed-out") {
    return { ok: false, kind: "error", code: "timeout", message: `no answer from the page's bridge within ${timeoutMs} ms` };
  }
  const metaBytes = Atomics.load(slots, 1);
  const bodyBytes = Atomics.load(slots, 2);
  if (metaBytes === 0) {
    return { ok: false, kind: "error", code: "bridge_error", message: "the page could not write an answer into the reply buffer" };
  }
  const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(shared, REPLY_HEADER_BYTES, metaBytes).slice()));
  if (meta.ok) meta.body = new Uint8Array(shared, REPLY_HEADER_BYTES + metaBytes, bodyBytes).slice();
  return meta;
}

/**
 * @param {Record<string, any>} result
 * @param {number} capacity
 */
function encode(result, capacity) {
  const { body, ...rest } = result;
  const meta = new TextEncoder().encode(JSON.stringify(rest));
  const bytes = result.ok && body instanceof Uint8Array ? body : new Uint8Array(0);
  return REPLY_HEADER_BYTES + meta.length + bytes.length <= capacity ? { meta, body: bytes } : null;
}
