// @ts-check
/**
 * The worker protocol: every message the page and the browser_rt worker exchange, both ways,
 * with its fields and bounds. The worker runs hostile Python, so `readWorkerMessage` is the one
 * place the page decides whether something the worker posted is a message at all: an unknown
 * type, a missing field or a value out of bounds gives `null` and a reason to count, never a
 * half-read message.
 */
import { isReplyBuffer } from "./blocking_reply.mjs";

/** What the worker may post to the page. */
export const WorkerMessage = Object.freeze({
  PROGRESS: "progress",
  READY: "ready",
  INIT_ERROR: "init-error",
  EVENT: "event",
  FETCH: "fetch",
  ABORT: "abort",
  RUN_RESULT: "run-result",
  OUTPUT: "output",
  FS_RESULT: "fs-result",
  TOOL: "tool",
  TOOL_ABORT: "tool-abort",
  FATAL: "fatal",
  STORAGE_FLUSH: "storage-flush",
});

/** What the page posts to the worker. */
export const PageMessage = Object.freeze({
  INIT: "init",
  RUN: "run",
  FETCH_RESULT: "fetch-result",
  ABORT_DONE: "abort-done",
  CALL: "call",
  CANCEL_RUN: "cancel-run",
  FS: "fs",
  TOOL_RESULT: "tool-result",
  STORAGE_RESULT: "storage-result",
  /** The snapshot the page read and verified for this worker, after an init that expects one. */
  SNAPSHOT: "snapshot",
});

/** Bounds on what the worker may post; anything larger is dropped, not truncated. */
export const MESSAGE_LIMITS = Object.freeze({
  /** Characters in a progress stage, an error name or a revoked global's name. */
  shortText: 64,
  /** Characters in an init-error or run-result error message. */
  longText: 4096,
  /** Entries in the lists a ready message carries (an engine's worker has a few hundred globals). */
  listEntries: 2048,
  /** Headers a fetch message may carry (the policy's own cap, 64, is checked after). */
  headers: 128,
  /** Characters in one header name or value, and in a request URL. */
  headerText: 8192,
  /** Lines in one output message, and characters in one line. */
  outputLines: 1000,
  outputLineChars: 65_536,
  /** Traceback lines in a failed run's description. */
  tracebackLines: 64,
  /** Names in a listdir answer; bytes in a readFile answer. */
  listdirEntries: 10_000,
  fileBytes: 64 << 20,
  /** Characters of a tool call's JSON arguments (the tool's own, smaller bound is checked after). */
  toolArgsChars: 16 << 20,
  /** Entries in a storage flush's lists (the grant's own max_files is checked after). */
  storageEntries: 10_000,
});

/**
 * @typedef {{type: "progress", stage: string, fraction: number}
 *   | {type: "ready", revoked: string[], scrubbed: string[], closed: string[]}
 *   | {type: "init-error", message: string}
 *   | {type: "event", event: Record<string, unknown>}
 *   | {type: "fetch", id: number, request: import("./index").BridgeRequest, body: Uint8Array | null}
 *   | {type: "abort", id: number, requestId: number}
 *   | {type: "run-result", id: number, ok: true, value: unknown}
 *   | {type: "run-result", id: number, ok: false, error: {type: string, message: string, traceback: string[]}}
 *   | {type: "output", stream: "stdout" | "stderr", lines: string[]}
 *   | {type: "fs-result", id: number, ok: true, value: Uint8Array | string[] | null}
 *   | {type: "fs-result", id: number, ok: false, message: string}
 *   | {type: "tool", id: number, call: import("./index").ToolRequest}
 *   | {type: "tool-abort", id: number, callId: number}
 *   | {type: "fatal"}
 *   | {type: "storage-flush", id: number, writes: unknown[] | null, keep: unknown[] | null}} WorkerMessageValue
 */

/**
 * Read one message the worker posted. Returns the validated message (fresh objects, so later
 * changes by the sender cannot reach it), or the reason it was dropped.
 * @param {unknown} data
 * @returns {{message: WorkerMessageValue} | {dropped: string}}
 */
export function readWorkerMessage(data) {
  if (!isRecord(data)) return { dropped: "not_an_object" };
  switch (data.type) {
    case WorkerMessage.PROGRESS: {
      const { stage, fraction } = data;
      if (!isShortText(stage) || typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) return { dropped: "bad_progress" };
      return { message: { type: WorkerMessage.PROGRESS, stage, fraction } };
    }
    case WorkerMessage.READY: {
      const lists = [data.revoked, data.scrubbed, data.closed].map(readNameList);
      if (lists.some((list) => list === null)) return { dropped: "bad_ready" };
      const [revoked, scrubbed, closed] = /** @type {string[][]} */ (lists);
      return { message: { type: WorkerMessage.READY, revoked, scrubbed, closed } };
    }
    case WorkerMessage.INIT_ERROR:
      if (!isText(data.message, MESSAGE_LIMITS.longText)) return { dropped: "bad_init_error" };
      return { message: { type: WorkerMessage.INIT_ERROR, message: data.message } };
    case WorkerMessage.EVENT:
      if (!isRecord(data.event)) return { dropped: "bad_event" };
      return { message: { type: WorkerMessage.EVENT, event: data.event } };
    case WorkerMessage.FETCH: {
      const request = readBridgeRequest(data.request);
      const body = data.body ?? null;
      if (!isId(data.id) || request === null) return { dropped: "bad_fetch" };
      if (body !== null && !(body instanceof Uint8Array)) return { dropped: "bad_fetch" };
      // A blocking fetch (blocking_reply.mjs) names the buffer its answer goes into.
      if (data.reply !== undefined && !isReplyBuffer(data.reply)) return { dropped: "bad_fetch" };
      const reply = data.reply ?? null;
      return { message: { type: WorkerMessage.FETCH, id: data.id, request, body, reply } };
    }
    case WorkerMessage.ABORT:
      if (!isId(data.id) || !isId(data.requestId)) return { dropped: "bad_abort" };
      return { message: { type: WorkerMessage.ABORT, id: data.id, requestId: data.requestId } };
    case WorkerMessage.RUN_RESULT: {
      if (!isId(data.id) || typeof data.ok !== "boolean") return { dropped: "bad_run_result" };
      if (data.ok) return { message: { type: WorkerMessage.RUN_RESULT, id: data.id, ok: true, value: data.value } };
      const error = isRecord(data.error) ? data.error : {};
      const traceback = readTextList(error.traceback, MESSAGE_LIMITS.tracebackLines, MESSAGE_LIMITS.longText);
      if (!isText(error.type, 128) || !isText(error.message, MESSAGE_LIMITS.longText) || traceback === null) {
        return { dropped: "bad_run_result" };
      }
      return { message: { type: WorkerMessage.RUN_RESULT, id: data.id, ok: false, error: { type: error.type, message: error.message, traceback } } };
    }
    case WorkerMessage.OUTPUT: {
      const lines = readTextList(data.lines, MESSAGE_LIMITS.outputLines, MESSAGE_LIMITS.outputLineChars);
      if ((data.stream !== "stdout" && data.stream !== "stderr") || lines === null) return { dropped: "bad_output" };
      return { message: { type: WorkerMessage.OUTPUT, stream: data.stream, lines } };
    }
    case WorkerMessage.FS_RESULT: {
      if (!isId(data.id) || typeof data.ok !== "boolean") return { dropped: "bad_fs_result" };
      if (!data.ok) {
        if (!isText(data.message, MESSAGE_LIMITS.longText)) return { dropped: "bad_fs_result" };
        return { message: { type: WorkerMessage.FS_RESULT, id: data.id, ok: false, message: data.message } };
      }
      const { value } = data;
      const names = Array.isArray(value) ? readTextList(value, MESSAGE_LIMITS.listdirEntries, 4096) : null;
      if (value instanceof Uint8Array && value.byteLength <= MESSAGE_LIMITS.fileBytes) {
        return { message: { type: WorkerMessage.FS_RESULT, id: data.id, ok: true, value: new Uint8Array(value) } };
      }
      if (value === null || value === undefined) return { message: { type: WorkerMessage.FS_RESULT, id: data.id, ok: true, value: null } };
      if (names === null) return { dropped: "bad_fs_result" };
      return { message: { type: WorkerMessage.FS_RESULT, id: data.id, ok: true, value: names } };
    }
    case WorkerMessage.TOOL: {
      const call = data.call;
      if (!isId(data.id) || !isRecord(call) || !isId(call.call_id) || !isShortText(call.tool) || !isText(call.args, MESSAGE_LIMITS.toolArgsChars)) {
        return { dropped: "bad_tool" };
      }
      return { message: { type: WorkerMessage.TOOL, id: data.id, call: { call_id: call.call_id, tool: call.tool, args: call.args } } };
    }
    case WorkerMessage.TOOL_ABORT:
      if (!isId(data.id) || !isId(data.callId)) return { dropped: "bad_tool_abort" };
      return { message: { type: WorkerMessage.TOOL_ABORT, id: data.id, callId: data.callId } };
    case WorkerMessage.FATAL:
      return { message: { type: WorkerMessage.FATAL } };
    case WorkerMessage.STORAGE_FLUSH: {
      // Only the shape is read here, so every bad flush still gets an answer: the store's
      // checkFlush refuses a list that is missing or wrong, naming what is wrong.
      if (!isId(data.id)) return { dropped: "bad_storage_flush" };
      /** @param {unknown} list */
      const bounded = (list) => (Array.isArray(list) && list.length <= MESSAGE_LIMITS.storageEntries ? list.slice() : null);
      return { message: { type: WorkerMessage.STORAGE_FLUSH, id: data.id, writes: bounded(data.writes), keep: bounded(data.keep) } };
    }
    default:
      return { dropped: "unknown_type" };
  }
}

/**
 * A bridge request with exactly the fields the bridge reads, as plain strings and numbers.
 * Extra fields are ignored; the policy re-check then decides on these values alone.
 * @param {unknown} raw
 * @returns {import("./index").BridgeRequest | null}
 */
function readBridgeRequest(raw) {
  if (!isRecord(raw)) return null;
  const { request_id: requestId, method, url, origin, headers, credentials, timeout_ms: timeoutMs } = raw;
  if (!isId(requestId) || !isText(method, MESSAGE_LIMITS.shortText) || !isText(url, MESSAGE_LIMITS.headerText)) return null;
  if (!isText(origin, MESSAGE_LIMITS.headerText) || !isText(credentials, MESSAGE_LIMITS.shortText)) return null;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs)) return null;
  if (!Array.isArray(headers) || headers.length > MESSAGE_LIMITS.headers) return null;
  /** @type {[string, string][]} */
  const pairs = [];
  for (const pair of headers) {
    if (!Array.isArray(pair) || pair.length !== 2) return null;
    const [name, value] = pair;
    if (!isText(name, MESSAGE_LIMITS.headerText) || !isText(value, MESSAGE_LIMITS.headerText)) return null;
    pairs.push([name, value]);
  }
  return /** @type {import("./index").BridgeRequest} */ ({
    request_id: requestId, method, url, origin, headers: pairs,
    credentials: /** @type {any} */ (credentials), timeout_ms: timeoutMs,
  });
}

/** @param {unknown} value @returns {string[] | null} */
function readNameList(value) {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MESSAGE_LIMITS.listEntries) return null;
  return value.every((item) => isShortText(item)) ? value.slice() : null;
}

/**
 * @param {unknown} value
 * @param {number} maxEntries
 * @param {number} maxChars
 * @returns {string[] | null}
 */
function readTextList(value, maxEntries, maxChars) {
  if (!Array.isArray(value) || value.length > maxEntries) return null;
  return value.every((item) => isText(item, maxChars)) ? value.slice() : null;
}

/** @param {unknown} value @returns {value is Record<string, any>} */
function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** @param {unknown} value @returns {value is number} */
function isId(value) {
  return Number.isSafeInteger(value) && /** @type {number} */ (value) >= 0;
}

/** @param {unknown} value @param {number} max @returns {value is string} */
function isText(value, max) {
  return typeof value === "string" && value.length <= max;
}

/** @param {unknown} value @returns {value is string} */
function isShortText(value) {
  return isText(value, MESSAGE_LIMITS.shortText);
}
