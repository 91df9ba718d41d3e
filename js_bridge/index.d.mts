// Types for index.mjs, for TypeScript's NodeNext resolution (it looks beside the .mjs file).
export * from "./index.js";
