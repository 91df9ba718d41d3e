// @ts-check
/**
 * The tool bridge: the only place browser_rt calls a host function the page granted. Like the
 * fetch bridge, it decides on its own: the name must be granted, the arguments must be a JSON
 * object within the tool's bounds, and the tool's limiter must admit the call; only then does
 * the handler run, with an AbortSignal that fires on the tool's timeout or when Python cancels
 * the call. The handler's result must be JSON within bounds; its exception reaches Python as its
 * message only. Every call, refused or not, becomes one entry of the bridge's record, holding the
 * tool's name, outcome, duration and bytes each way, never a value.
 */
import { createDeadlines } from "./deadlines.mjs";
import { createRequestLimiter } from "./request_limiter.mjs";
import { MAX_TOOL_MESSAGE, readArgs, resultText } from "./tool_grant.mjs";

/** Error codes Python maps to ToolError subclasses (browser_rt/tools/errors.py). */
export const ToolErrorCode = Object.freeze({
  TIMEOUT: "timeout",
  ABORTED: "aborted",
  TOOL_ERROR: "tool_error",
  INVALID_RESULT: "invalid_result",
  BRIDGE: "bridge",
});

const TOOL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

class ToolFailure extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * @param {object} options
 * @param {ReadonlyMap<string, Readonly<import("./tool_grant.mjs").ToolEntry>>} options.grant from checkTools
 * @param {(entry: import("./index").ToolRecordEntry) => void} [options.onRecord] the bridge's own record
 * @param {() => number} [options.now] milliseconds, monotonic
 * @returns {import("./index").ToolBridge}
 */
export function createToolBridge({ grant, onRecord = () => {}, now = () => performance.now() }) {
  const limiters = new Map([...grant].map(([name, entry]) => [name, createRequestLimiter({
    maxConcurrent: entry.maxConcurrent, maxQueued: entry.maxQueued, perMinute: entry.perMinute,
  }, now)]));
  /** @type {Map<number, {controller: AbortController, answered: Promise<unknown>}>} */
  const inFlight = new Map();
  const deadlines = createDeadlines(now);

  /**
   * @param {import("./index").ToolRequest} request `{call_id, tool, args}`, args as JSON text
   * @returns {Promise<import("./index").ToolResult>}
   */
  async function call(request) {
    const startedAt = now();
    const { result, sent, received } = await decideAndRun(request);
    const tool = typeof request?.tool === "string" && TOOL_NAME.test(request.tool) ? request.tool : "<invalid>";
    const callId = Number(request?.call_id);
    /** @type {import("./index").ToolRecordEntry} */
    const entry = {
      kind: "tool", tool, call_id: Number.isSafeInteger(callId) ? callId : null,
      outcome: result.ok ? "performed" : result.kind === "denied" ? "denied" : "failed",
      ...(result.ok ? {} : result.kind === "denied" ? { reason: result.reason } : { code: result.code }),
      bytes_sent: sent, bytes_received: received, duration_ms: Math.round(Math.max(0, now() - startedAt)),
    };
    try {
      onRecord(entry);
    } catch {
      // A diagnostics sink that throws must never break a call.
    }
    return result;
  }

  /**
   * @param {import("./index").ToolRequest} request
   * @returns {Promise<{result: import("./index").ToolResult, sent: number, received: number}>}
   */
  async function decideAndRun(request) {
    /** @param {string} reason @param {string} detail @param {number} [sent] */
    const refuse = (reason, detail, sent = 0) => ({ result: /** @type {const} */ ({ ok: false, kind: "denied", reason, detail }), sent, received: 0 });
    const callId = Number(request?.call_id);
    if (!request || typeof request !== "object" || !Number.isSafeInteger(callId) || callId < 0) return refuse("invalid_request", "no call id");
    const name = request.tool;
    const entry = typeof name === "string" ? grant.get(name) : undefined;
    const limiter = typeof name === "string" ? limiters.get(name) : undefined;
    if (!entry || !limiter) return refuse("not_granted", "the page did not grant this tool");
    const args = readArgs(request.args, entry.maxArgsBytes);
    if ("refused" in args) return refuse(args.refused, args.detail, args.bytes);
    if (inFlight.has(callId)) return { result: failed(ToolErrorCode.BRIDGE, "duplicate call id"), sent: args.bytes, received: 0 };
    const controller = new AbortController();
    const admission = limiter.admit(controller.signal);
    if ("denied" in admission) return refuse("rate_limited", admission.denied, args.bytes);
    const answered = admission.slot.then((release) => {
      if (release === null) return failureOf(controller.signal.reason);
      return execute(entry, name, args.value, callId, controller, release);
    });
    inFlight.set(callId, { controller, answered: answered.then(() => undefined, () => undefined) });
    try {
      const result = await answered;
      return { result, sent: args.bytes, received: result.ok ? result.bytes : 0 };
    } finally {
      inFlight.delete(callId);
    }
  }

  /**
   * Run the handler; answer on its result, its exception, the timeout or an abort, whichever is
   * first. The slot stays taken until the handler itself settles, so a handler that ignores its
   * signal still counts against the tool's concurrency.
   * @param {Readonly<import("./tool_grant.mjs").ToolEntry>} entry
   * @param {string} tool
   * @param {Record<string, unknown>} args
   * @param {number} callId
   * @param {AbortController} controller
   * @param {() => void} release
   * @returns {Promise<import("./index").ToolResult>}
   */
  function execute(entry, tool, args, callId, controller, release) {
    const { signal } = controller;
    const cancelDeadline = deadlines.after(entry.timeoutMs, () => controller.abort(new ToolFailure(ToolErrorCode.TIMEOUT, `no result within ${entry.timeoutMs} ms`)));
    return new Promise((resolve) => {
      signal.addEventListener("abort", () => resolve(failureOf(signal.reason)), { once: true });
      const ctx = Object.freeze({ signal, tool, callId });
      const running = new Promise((run) => run(entry.handler(args, ctx)));
      running.then((value) => {
        const text = resultText(value, entry.maxResultBytes);
        resolve("invalid" in text ? failed(ToolErrorCode.INVALID_RESULT, text.invalid) : { ok: true, value: text.text, bytes: text.bytes });
      }, (error) => resolve(failed(ToolErrorCode.TOOL_ERROR, messageOf(error))));
      running.then(release, release);
    }).finally(cancelDeadline);
  }

  /**
   * Abort one call: its handler's signal fires, and Python gets `aborted` at once.
   * @param {number} callId
   */
  async function abort(callId) {
    const entry = inFlight.get(callId);
    if (!entry) return false;
    entry.controller.abort(new ToolFailure(ToolErrorCode.ABORTED, "cancelled by the caller"));
    await entry.answered;
    return true;
  }

  /** Abort every call in flight (the worker behind them was stopped, or the runtime closed). */
  function abortAll() {
    for (const entry of inFlight.values()) entry.controller.abort(new ToolFailure(ToolErrorCode.ABORTED, "the runtime stopped"));
  }

  return Object.freeze({ call, abort, abortAll, names: () => [...grant.keys()], inFlightCount: () => inFlight.size });
}

/** @param {string} code @param {string} message @returns {import("./index").ToolResult} */
function failed(code, message) {
  return { ok: false, kind: "error", code, message };
}

/** @param {unknown} reason @returns {import("./index").ToolResult} */
function failureOf(reason) {
  if (reason instanceof ToolFailure) return failed(reason.code, reason.message);
  return failed(ToolErrorCode.ABORTED, "aborted");
}

/**
 * The tool's own message, bounded; never its stack. A thrown non-Error is shown if it is text.
 * @param {unknown} error
 */
function messageOf(error) {
  try {
    const text = error instanceof Error ? error.message : typeof error === "string" ? error : "the tool failed";
    return String(text).slice(0, MAX_TOOL_MESSAGE);
  } catch {
    return "the tool failed";
  }
}
