// The tools the demo page grants to Python (docs/tools.md): one, "search", over a small
// catalogue held by the page. Python reaches it only as `await cx.tools.call("search", ...)`;
// any other name, such as the agent example's "send_email", is refused.

const CATALOGUE = Object.freeze([
  "Pyodide runs CPython in WebAssembly",
  "A FetchAuthority grants origins, methods and limits",
  "Worker isolation removes the network from the worker's realm",
  "Every decision is an audited, redacted event",
  "Tools are host functions the page grants by name",
]);

/** @type {import("/js_bridge/index.mjs").RuntimeOptions["tools"]} */
export const DEMO_TOOLS = Object.freeze({
  search: {
    /** @param {{query?: unknown, limit?: unknown}} args */
    handler: async ({ query, limit = 3 }) => {
      if (typeof query !== "string" || query.length === 0) throw new Error("search: query must be a non-empty string");
      const words = query.toLowerCase().split(/\s+/);
      const hits = CATALOGUE.filter((line) => words.some((word) => line.toLowerCase().includes(word)));
      return hits.slice(0, Math.max(1, Math.min(10, Number(limit) || 3)));
    },
    timeoutMs: 2000,
    perMinute: 60,
  },
});
