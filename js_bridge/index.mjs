// @ts-check
/** Public entry point of the browser_rt embedding API. */
export { createRuntime } from "./runtime.mjs";
export { PythonError, RunInterruptedError, WorkerIsolationError } from "./errors.mjs";
export { createFetchBridge, FetchErrorCode } from "./fetch_bridge.mjs";
export * from "./policy.mjs";
export { StorageGrantError } from "./storage/grant.mjs";
