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
  /** Called with a stage name and a fraction in [0, 1]. */
  onProgress?: (stage: ProgressStage, fraction: number) => void;
  /**
   * Where worker.mjs is served from, if not beside this module. Worker mode starts only where
   * the worker's realm is provably under a CSP that holds the boundary: either this script is
   * served with the worker CSP header, or the page has a `<meta>` CSP (then the worker starts
   * from a blob: URL and inherits it). Otherwise createRuntime rejects with WorkerIsolationError.
   */
  workerURL?: string | URL;
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
  /** The most recent entries, oldest first (bounded). */
  entries: BridgeRecordEntry[];
  /** Counts since the runtime started. */
  totals: { performed: number; denied: number; failed: number };
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
  /**
   * Run Python (top-level await allowed) as a runtime main task, so `current_cx()` works.
   * Resolves with the last expression converted to plain JS (dicts become objects).
   */
  runPythonAsync(code: string): Promise<unknown>;
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
