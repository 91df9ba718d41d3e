// @ts-check
/** Public entry point of the browser_rt embedding API. */
export { createRuntime } from "./runtime.mjs";
