import type { FetchAuthority, FetchPolicy } from "./policy.js";

export * from "./policy.js";

/** Stages reported while the runtime starts. */
export type ProgressStage = "loading-pyodide" | "loading-browser-rt" | "starting-runtime" | "ready";

/** A redacted browser-rt-event-v1 record (see docs/diagnostics.md for every field). */
export interface BrowserRtEvent {
  schema: "browser-rt-event-v1";
  type: string;
  severity: "debug" | "info" | "warn" | "error";
  [field: string]: unknown;
}

export interface DiagnosticsOptions {
  /** `metadata_only` (default), `strict`, or `none` (unredacted: needs allowUnredacted, refused under CI). */
  mode?: "metadata_only" | "strict" | "none";
  /** Called with every redacted event, after the console. A sink that throws is ignored. */
  sink?: (event: BrowserRtEvent) => void;
  /** Required for mode `none`; a loud console warning is printed on every start. */
  allowUnredacted?: boolean;
}

export interface RuntimeOptions {
  /** URL (or, in Node, an absolute path) of the bundle's pyodide/ folder; default ../pyodide/ beside js_bridge. */
  indexURL?: string | URL;
  /** The grant, frozen at creation (docs/policy.md). Default: nothing is granted. */
  fetchAuthority?: FetchPolicy | string;
  diagnostics?: DiagnosticsOptions;
  /** `worker` (default, the real boundary) or `page` (not a sandbox; reports its ambient paths). */
  isolation?: "worker" | "page";
  /**
   * Called with a stage name and a fraction in [0, 1], ending with "ready". A worker restarted
   * by `interrupt()`, `timeout` or `signal` reports its stages again, and "ready" again.
   */
  onProgress?: (stage: ProgressStage, fraction: number) => void;
  /**
   * Python's stdout, one line at a time (without the newline), while a run is going on. Default:
   * the page's console. Bounded: a line is cut at 16,384 characters, and past 2,000 lines or
   * 1 MiB a second lines are dropped, counted (`outputDropped()`), and said in the stream.
   */
  stdout?: (line: string) => void;
  /** Python's stderr, as `stdout`. */
  stderr?: (line: string) => void;
  /** Packages of the bundle's pyodide-lock.json to load before user code runs. */
  packages?: string[];
  /** Files to write under /home/pyodide (Python's working directory) before user code runs. */
  files?: Record<string, string | Uint8Array>;
  /**
   * Where worker.mjs is served from, if not beside this module. Worker mode starts only where
   * the worker's realm is provably under a CSP that holds the boundary: either this script is
   * served with the worker CSP header, or the page has a `<meta>` CSP (then the worker starts
   * from a blob: URL and inherits it). Otherwise createRuntime rejects with WorkerIsolationError.
   */
  workerURL?: string | URL;
  /**
   * Host functions Python may call (docs/tools.md), frozen at creation. Without it Python can
   * call none. A name is a letter or `_` and up to 63 letters, digits or `_`, and no prototype key.
   */
  tools?: Record<string, ToolHandler | ToolSpec>;
  /**
   * Cap on Pyodide's Wasm memory, in MiB (docs/tools.md): past it an allocation fails, which
   * Python sees as MemoryError; a run that cannot recover is stopped like a timeout.
   */
  memoryLimitMB?: number;
  /**
   * Persistent files (docs/storage.md), frozen at creation. Python sees them under /data; the
   * page restores them before user code runs and writes them at the end of every run and on
   * `await browser_rt.storage.flush()`. Default: no persistent storage at all.
   */
  storageAuthority?: StorageAuthority;
}

/** A granted host function: JSON object in, JSON value (or a promise of one) out. */
export type ToolHandler = (args: { [key: string]: JSONValue }, ctx: ToolContext) => unknown;

export interface ToolContext {
  /** Aborts when the call times out, when Python cancels it, or when the runtime stops. */
  readonly signal: AbortSignal;
  readonly tool: string;
  readonly callId: number;
}

/** A tool with its own limits; each one left out takes the default shown. */
export interface ToolSpec {
  handler: ToolHandler;
  /** Default 10,000. */
  timeoutMs?: number;
  /** Calls running at once; default 4. */
  maxConcurrent?: number;
  /** Calls waiting for a slot before more are refused `rate_limited`; default 32. */
  maxQueued?: number;
  /** Calls that may start per minute; default 600. */
  perMinute?: number;
  /** UTF-8 bytes of the arguments' JSON; default 65,536. */
  maxArgsBytes?: number;
  /** UTF-8 bytes of the result's JSON; default 1 MiB. */
  maxResultBytes?: number;
}

/** A tool call as Python hands it to the page: the arguments are JSON text the page parses. */
export interface ToolRequest {
  call_id: number;
  tool: string;
  args: string;
}

export type ToolResult =
  | { ok: true; value: string; bytes: number }
  | { ok: false; kind: "denied"; reason: string; detail: string }
  | { ok: false; kind: "error"; code: string; message: string };

/** The bridge's record of one tool call: never an argument or a result, only their sizes. */
export interface ToolRecordEntry {
  kind: "tool";
  /** The tool's name, or `<invalid>` when the request's name was not a tool name at all. */
  tool: string;
  call_id: number | null;
  outcome: "performed" | "denied" | "failed";
  reason?: string;
  code?: string;
  bytes_sent: number;
  bytes_received: number;
  duration_ms: number;
}

export interface ToolBridge {
  /** Check the name, the arguments and the limits, then run the handler. */
  call(request: ToolRequest): Promise<ToolResult>;
  /** The same call with its parts passed apart (Python's road: no object per call). */
  callTool(callId: number, tool: string, args: string): Promise<ToolResult>;
  /** `callTool`, but a result is its JSON text alone (page-mode Python's road). */
  callText(callId: number, tool: string, args: string): Promise<string | ToolResult>;
  /** Abort one call (its handler's signal fires); false if none was running. */
  abort(callId: number): Promise<boolean>;
  /** Abort every call in flight. */
  abortAll(): void;
  names(): string[];
  inFlightCount(): number;
}

/** The grant of one namespace of persistent files. Keys are snake_case, like the fetch policy's. */
export interface StorageAuthority {
  /** 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter or digit. */
  namespace: string;
  /** Bytes all files together may hold (default 10 MiB, at most 1 GiB). */
  quota_bytes?: number;
  /** Bytes one file may hold (default: quota_bytes). */
  max_file_bytes?: number;
  /** Files the namespace may hold (default 1,000, at most 10,000). */
  max_files?: number;
  /** Restore the files, refuse every flush that would change them (default false). */
  read_only?: boolean;
}

/** A storageAuthority the page refused; `field` names the offending key. */
export declare class StorageGrantError extends TypeError {
  readonly name: "StorageGrantError";
  readonly field: string;
}

/** The record entry (and `storage.flush` event) of one flush: metadata only, never contents. */
export interface StorageRecordEntry {
  kind: "storage";
  namespace: string;
  outcome: "committed" | "refused" | "failed";
  /** Why a flush was refused or failed (e.g. `quota_exceeded`, `dot_segment`); null when committed. */
  reason: string | null;
  /** The rule it broke: path, max_files, max_file_bytes, quota_bytes, read_only, malformed or backend. */
  limit?: string;
  /** Files and bytes the namespace would hold after the flush. */
  files: number;
  bytes: number;
  /** Files whose content was sent (the rest were kept as they were). */
  written?: number;
  duration_ms: number;
  /** The written files' paths: only in diagnostics mode `none`. */
  names?: string[];
}

/** Worker mode could not prove its boundary; `problems` names each missing piece. */
export declare class WorkerIsolationError extends Error {
  readonly name: "WorkerIsolationError";
  readonly problems: readonly string[];
}

/** One entry of the bridge's own record: metadata only, never a path, query, header or body. */
export interface BridgeRecordEntry {
  request_id: number | null;
  /** The origin the policy computed (null when the request had none). */
  origin: string | null;
  /** The method, or "other" for anything that is not a standard method. */
  method: string;
  outcome: "performed" | "denied" | "failed";
  /** HTTP status, for performed requests. */
  status?: number;
  /** Deny reason, for denied requests (`rate_limited` past the bridge's limits). */
  reason?: string;
  /** Error code, for failed requests. */
  code?: FetchErrorCodeValue;
  bytes_sent: number;
  bytes_received: number;
  duration_ms: number;
}

export interface BridgeRecord {
  /** The most recent entries, oldest first (bounded); tool calls and storage flushes too, when granted. */
  entries: (BridgeRecordEntry | ToolRecordEntry | StorageRecordEntry)[];
  /** Counts since the runtime started. */
  totals: { performed: number; denied: number; failed: number };
}

export interface RunOptions {
  /** JSON-compatible values bound as Python names for this run only. */
  globals?: Record<string, JSONValue>;
  /** Stop the run after this many milliseconds (see RunInterruptedError for the stages). */
  timeout?: number;
  /** Stop the run when this signal aborts. */
  signal?: AbortSignal;
  /** The name the code has in tracebacks (default `<exec>`). */
  filename?: string;
}

export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/** What `rt.interrupt()` had to do: nothing to stop, or the stage that stopped the runs. */
export interface InterruptResult {
  stage: "none" | "cancel" | "keyboard-interrupt" | "restart";
}

/**
 * Files under /home/pyodide, and under /data when storage is granted; relative paths are
 * relative to /home/pyodide, and nothing outside the two is reachable. A file written to /data
 * here is persisted at the next flush point.
 */
export interface RuntimeFiles {
  writeFile(path: string, data: string | Uint8Array | ArrayBuffer): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** Names in a folder, sorted (default: /home/pyodide). */
  listdir(path?: string): Promise<string[]>;
}

/** The user's Python code raised. */
export declare class PythonError extends Error {
  readonly name: "PythonError";
  /** The Python exception's type name, e.g. `KeyError`. */
  readonly type: string;
  readonly pythonMessage: string;
  /** The frames of the user's own code, outermost first: `File "app.py", line 3, in f` and the source line. */
  readonly traceback: readonly string[];
}

/**
 * A run stopped by `timeout`, `signal` or `interrupt()`. `cancel` and `keyboard-interrupt` keep
 * the runtime and its state; `restart` means a fresh worker with the same authority (`stateLost`).
 */
export declare class RunInterruptedError extends Error {
  readonly name: "RunInterruptedError";
  /** `fatal`: Pyodide failed fatally (e.g. out of memory where no MemoryError could be raised). */
  readonly reason: "timeout" | "signal" | "interrupt" | "close" | "fatal";
  readonly stage: "cancel" | "keyboard-interrupt" | "restart" | "closed";
  readonly stateLost: boolean;
}

export interface BrowserRuntime {
  readonly isolation: "worker" | "page";
  /** The frozen JS authority the bridge re-checks every request against. */
  readonly authority: FetchAuthority;
  /**
   * The most recent events the console host received, oldest first. Each carries `source`,
   * stamped by the page: `worker` or `python` (Python's own reports: untrusted in worker mode),
   * `bridge` (the bridge's record), `page` or `console-host`.
   */
  events(): BrowserRtEvent[];
  /** The bridge's own record of what it performed or refused: the trusted account. */
  bridgeRecord(): BridgeRecord;
  /** Worker mode: messages from the worker that were dropped, counted by reason. */
  droppedMessages?(): Record<string, number>;
  /** Output lines dropped by the bounds so far, per stream. */
  outputDropped(): { stdout: number; stderr: number };
  /**
   * Run Python (top-level await allowed) as a runtime main task, so `current_cx()` works.
   * Resolves with the last expression converted to plain JS (dicts become objects); rejects
   * with PythonError or RunInterruptedError.
   */
  runPythonAsync(code: string, options?: RunOptions): Promise<unknown>;
  /**
   * Call `"module:function"` (`"__main__:f"` for a function a snippet defined) with JSON
   * arguments, as a runtime main task; resolves with its JSON result.
   */
  call(target: string, ...args: JSONValue[]): Promise<JSONValue>;
  /**
   * Stop whatever is running: cancel at the next await, then (cross-origin isolated pages)
   * KeyboardInterrupt, then (worker mode) a fresh worker with the same frozen authority.
   * Page mode can only cancel: a run that never awaits holds the page's own thread.
   */
  interrupt(): Promise<InterruptResult>;
  readonly fs: RuntimeFiles;
  /** Stop the runtime (terminates the worker); later calls reject. */
  close(): Promise<void>;
}

export function createRuntime(options?: RuntimeOptions): Promise<BrowserRuntime>;

/** A request as Python hands it to the bridge; every fetch option is decided by the bridge. */
export interface BridgeRequest {
  request_id: number;
  method: string;
  url: string;
  /** Python's canonical origin; the bridge denies with `origin_mismatch` if WHATWG disagrees. */
  origin: string;
  headers: [string, string][];
  credentials: "omit" | "same-origin" | "include";
  timeout_ms: number;
}

export type BridgeResult =
  | { ok: true; status: number; statusText: string; url: string; redirected: boolean; headers: [string, string][]; body: Uint8Array }
  | { ok: false; kind: "denied"; reason: string; origin: string | null; detail?: string }
  | { ok: false; kind: "error"; code: FetchErrorCodeValue; message: string };

export declare const FetchErrorCode: Readonly<{
  NETWORK: "network";
  TIMEOUT: "timeout";
  ABORTED: "aborted";
  RESPONSE_TOO_LARGE: "response_too_large";
  REDIRECT_DENIED: "redirect_denied";
  BRIDGE: "bridge";
}>;
export type FetchErrorCodeValue = (typeof FetchErrorCode)[keyof typeof FetchErrorCode];

export interface FetchBridge {
  /** Re-check, then fetch with the bridge's own options, reading at most the policy's cap. */
  perform(request: BridgeRequest, body?: Uint8Array | null): Promise<BridgeResult>;
  /** Abort one request; resolves (true) once its fetch has settled, false if none was running. */
  abort(requestId: number): Promise<boolean>;
  inFlightCount(): number;
  /** Requests holding a slot and waiting for one under the policy's concurrency limits. */
  load(): { active: number; waiting: number };
}

export function createFetchBridge(options: {
  authority: FetchAuthority;
  fetchImpl?: typeof fetch;
  /** Receives the bridge's record entry for every request it performed or refused. */
  onRecord?: (entry: BridgeRecordEntry) => void;
  /** Milliseconds, monotonic: for durations and the rate limit. */
  now?: () => number;
}): FetchBridge;
