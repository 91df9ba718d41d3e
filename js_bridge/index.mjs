// @ts-check
/** Public entry point of the browser_rt embedding API. */
export { createRuntime, WorkerIsolationError } from "./runtime.mjs";
export { createFetchBridge, FetchErrorCode } from "./fetch_bridge.mjs";
export * from "./policy.mjs";
