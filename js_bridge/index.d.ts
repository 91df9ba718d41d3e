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
  /** Where worker.mjs is served from, if not beside this module (it must carry the worker CSP). */
  workerURL?: string | URL;
}

export interface BrowserRuntime {
  readonly isolation: "worker" | "page";
  /** The frozen JS authority the bridge re-checks every request against. */
  readonly authority: FetchAuthority;
  /** The most recent events the console host received, oldest first. */
  events(): BrowserRtEvent[];
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
  | { ok: false; kind: "denied"; reason: string; origin: string | null }
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
}

export function createFetchBridge(options: {
  authority: FetchAuthority;
  fetchImpl?: typeof fetch;
  onEvent?: (event: Record<string, unknown>) => void;
}): FetchBridge;
