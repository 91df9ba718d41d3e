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
  /** Each granted tool's entry and limiter, looked up once per call. */
  const tools = new Map([...grant].map(([name, entry]) => [name, {
    entry,
    limiter: createRequestLimiter({ maxConcurrent: entry.maxConcurrent, maxQueued: entry.maxQueued, perMinute: entry.perMinute }, now),
  }]));
  /** Each admitted call until it is answered: the function that aborts its signal and answers it. */
  /** @type {Map<number, (failure: ToolFailure) => void>} */
  const inFlight = new Map();
  const deadlines = createDeadlines(now);

  /**
   * @param {string} tool the name for the record
   * @param {number | null} callId
   * @param {number} startedAt
   * @param {import("./index").ToolResult} result
   * @param {number} sent
   * @param {number} received
   * @returns {import("./index").ToolResult}
   */
  function record(tool, callId, startedAt, result, sent, received) {
    const duration = Math.round(Math.max(0, now() - startedAt));
    /** @type {import("./index").ToolRecordEntry} */
    const entry = result.ok
      ? { kind: "tool", tool, call_id: callId, outcome: "performed", bytes_sent: sent, bytes_received: received, duration_ms: duration }
      : result.kind === "denied"
        ? { kind: "tool", tool, call_id: callId, outcome: "denied", reason: result.reason, bytes_sent: sent, bytes_received: received, duration_ms: duration }
        : { kind: "tool", tool, call_id: callId, outcome: "failed", code: result.code, bytes_sent: sent, bytes_received: received, duration_ms: duration };
    try {
      onRecord(entry);
    } catch {
      // A diagnostics sink that throws must never break a call.
    }
    return result;
  }

  /**
   * A refusal: recorded, and answered without running anything.
   * @param {unknown} rawTool @param {number | null} callId @param {number} startedAt
   * @param {string} reason @param {string} detail @param {number} sent
   */
  function refuse(rawTool, callId, startedAt, reason, detail, sent) {
    const tool = typeof rawTool === "string" && TOOL_NAME.test(rawTool) ? rawTool : "<invalid>";
    return Promise.resolve(record(tool, callId, startedAt, { ok: false, kind: "denied", reason, detail }, sent, 0));
  }

  /**
   * @param {import("./index").ToolRequest} request `{call_id, tool, args}`, args as JSON text
   * @returns {Promise<import("./index").ToolResult>}
   */
  function call(request) {
    if (request === null || typeof request !== "object") return refuse(undefined, null, now(), "invalid_request", "no call id", 0);
    return callTool(request.call_id, request.tool, request.args);
  }

  /**
   * The same call with its parts passed apart, as Python hands them over (no object to build
   * per call). Every part is checked here as if it came from the worker.
   * @param {unknown} rawId
   * @param {unknown} rawTool
   * @param {unknown} args JSON text
   * @returns {Promise<import("./index").ToolResult>}
   */
  function callTool(rawId, rawTool, args) {
    const startedAt = now();
    const callId = typeof rawId === "number" && Number.isSafeInteger(rawId) && rawId >= 0 ? rawId : null;
    if (callId === null) return refuse(rawTool, null, startedAt, "invalid_request", "no call id", 0);
    // Every granted name passed the name check at creation; a Map lookup never reaches a prototype.
    const tool = typeof rawTool === "string" ? tools.get(rawTool) : undefined;
    if (!tool) return refuse(rawTool, callId, startedAt, "not_granted", "the page did not grant this tool", 0);
    const name = /** @type {string} */ (rawTool);
    const { entry, limiter } = tool;
    const read = readArgs(args, entry.maxArgsBytes);
    if ("refused" in read) return refuse(name, callId, startedAt, read.refused, read.detail, read.bytes);
    const sent = read.bytes;
    if (inFlight.has(callId)) return Promise.resolve(record(name, callId, startedAt, failed(ToolErrorCode.BRIDGE, "duplicate call id"), sent, 0));
    // The handler's AbortSignal is made when something asks for it (the handler reading
    // ctx.signal, or the limiter queueing the call): most fast calls never do. Asked for after
    // the call was stopped, it comes already aborted, with the same reason.
    /** @type {AbortController | null} */
    let controller = null;
    /** @type {ToolFailure | null} */
    let stoppedBy = null;
    const signal = () => {
      if (controller === null) {
        controller = new AbortController();
        if (stoppedBy !== null) controller.abort(stoppedBy);
      }
      return controller.signal;
    };
    const admission = limiter.admit(signal);
    if ("denied" in admission) return refuse(name, callId, startedAt, "rate_limited", admission.denied, sent);
    return new Promise((resolve) => {
      let answered = false;
      /** @type {(() => void) | null} */
      let cancelDeadline = null;
      /** @param {import("./index").ToolResult} result */
      const answer = (result) => {
        if (answered) return;
        answered = true;
        inFlight.delete(callId);
        cancelDeadline?.();
        resolve(record(name, callId, startedAt, result, sent, result.ok ? result.bytes : 0));
      };
      /** @param {ToolFailure} failure */
      const stop = (failure) => {
        if (answered) return;
        stoppedBy = failure;
        controller?.abort(failure);
        answer(failed(failure.code, failure.message));
      };
      inFlight.set(callId, stop);
      admission.slot.then((release) => {
        // null: the call was stopped while it waited, and is answered already.
        if (release === null) return;
        if (answered) {
          release();
          return;
        }
        cancelDeadline = deadlines.after(entry.timeoutMs, () => stop(new ToolFailure(ToolErrorCode.TIMEOUT, `no result within ${entry.timeoutMs} ms`)));
        run(entry, name, read.value, callId, signal, release, answer);
      });
    });
  }

  /**
   * `callTool` for Python in the page's realm: a result is its JSON text alone, a refusal or a
   * failure the usual object. A string crosses into Python as a string; an object would become
   * a proxy that Python then reads field by field.
   * @param {unknown} rawId
   * @param {unknown} rawTool
   * @param {unknown} args JSON text
   * @returns {Promise<string | import("./index").ToolResult>}
   */
  function callText(rawId, rawTool, args) {
    return callTool(rawId, rawTool, args).then(textOf);
  }

  /**
   * Run the handler and answer with its result or its exception, unless the call was answered
   * already (a timeout or an abort). The slot stays taken until the handler itself settles, so
   * a handler that ignores its signal still counts against the tool's concurrency.
   * @param {Readonly<import("./tool_grant.mjs").ToolEntry>} entry
   * @param {string} tool
   * @param {Record<string, unknown>} args
   * @param {number} callId
   * @param {() => AbortSignal} signal makes the call's signal on first use
   * @param {() => void} release
   * @param {(result: import("./index").ToolResult) => void} answer
   */
  function run(entry, tool, args, callId, signal, release, answer) {
    /** @type {unknown} */
    let running;
    try {
      running = entry.handler(args, Object.freeze({ get signal() { return signal(); }, tool, callId }));
    } catch (error) {
      release();
      answer(failed(ToolErrorCode.TOOL_ERROR, messageOf(error)));
      return;
    }
    Promise.resolve(running).then((value) => {
      release();
      const text = resultText(value, entry.maxResultBytes);
      answer("invalid" in text ? failed(ToolErrorCode.INVALID_RESULT, text.invalid) : { ok: true, value: text.text, bytes: text.bytes });
    }, (error) => {
      release();
      answer(failed(ToolErrorCode.TOOL_ERROR, messageOf(error)));
    });
  }

  /**
   * Abort one call: its handler's signal fires, and Python gets `aborted` at once.
   * @param {number} callId
   */
  async function abort(callId) {
    const stop = inFlight.get(callId);
    if (!stop) return false;
    stop(new ToolFailure(ToolErrorCode.ABORTED, "cancelled by the caller"));
    return true;
  }

  /** Abort every call in flight (the worker behind them was stopped, or the runtime closed). */
  function abortAll() {
    for (const stop of [...inFlight.values()]) stop(new ToolFailure(ToolErrorCode.ABORTED, "the runtime stopped"));
  }

  return Object.freeze({ call, callTool, callText, abort, abortAll, names: () => [...grant.keys()], inFlightCount: () => inFlight.size });
}

/** @param {import("./index").ToolResult} result */
function textOf(result) {
  return result.ok ? result.value : result;
}

/** @param {string} code @param {string} message @returns {import("./index").ToolResult} */
function failed(code, message) {
  return { ok: false, kind: "error", code, message };
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
