// Tools and memoryLimitMB, checked inside the page in whichever engine opened it (the drivers
// in e2e/engines.js only read #results back). For each isolation mode: Python that allocates in
// a loop gets MemoryError below the limit while the page's timer keeps ticking, the runtime is
// usable afterwards; a granted tool answers, an ungranted one is refused, and a tool's timeout
// aborts its signal; cancelling the Python task aborts it too; oversized arguments are refused
// with nothing called; and no argument value reaches an event. Query: `mode` = worker | page.
import { createRuntime } from "/js_bridge/index.mjs";

const LIMIT_MB = 192;
const MODE = new URLSearchParams(location.search).get("mode") ?? "worker";
const status = document.getElementById("status");
const results = document.getElementById("results");
/** @type {{name: string, ok: boolean, detail: unknown}[]} */
const checks = [];

function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), detail });
  status.value = `ran ${checks.length}`;
}

const HOG = `
def hog(step=1 << 20):
    chunks = []
    try:
        while True:
            chunks.append(bytearray(step))
    except MemoryError:
        held = len(chunks) * step >> 20
        chunks.clear()
        return held
hog()
`;

const TOOLS = `
from browser_rt import current_cx
from browser_rt.tools import ToolNotGranted, ToolTimeout
cx = current_cx()
out = [await cx.tools.call("echo", q="x")]
for name in ("nope", "slow"):
    try:
        await cx.tools.call(name)
    except (ToolNotGranted, ToolTimeout) as error:
        out.append(type(error).__name__)
out
`;

/** Cancel a task waiting on a tool; refuse oversized arguments; call once with a secret. */
const TOOLS_MORE = `
import asyncio
from browser_rt import current_cx
from browser_rt.tools import ToolDenied
cx = current_cx()
task = asyncio.ensure_future(cx.tools.call("hang"))
await asyncio.sleep(0.1)
task.cancel()
try:
    await task
except asyncio.CancelledError:
    pass
try:
    await cx.tools.call("echo", x="y" * 70_000)
except ToolDenied as error:
    refused = error.reason
await cx.tools.call("echo", token="ARG-SECRET-4711")
refused
`;

async function main() {
  let ticks = 0;
  const ticker = setInterval(() => { ticks += 1; }, 20);
  const aborted = [];
  const events = [];
  const echoed = [];
  let rt;
  try {
    rt = await createRuntime({
      indexURL: "/pyodide/",
      isolation: MODE,
      memoryLimitMB: LIMIT_MB,
      diagnostics: { sink: (event) => events.push(event) },
      tools: {
        echo: (args) => { echoed.push(JSON.stringify(args).length); return { got: args }; },
        hang: (_args, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", () => { aborted.push(ctx.signal.reason?.code); resolve(null); })),
        slow: { handler: (_args, ctx) => new Promise(() => ctx.signal.addEventListener("abort", () => aborted.push(ctx.signal.reason?.code))), timeoutMs: 200 },
      },
    });
    check("runtime starts with a memory limit", true, { mode: MODE });
  } catch (error) {
    check("runtime starts with a memory limit", false, { threw: String(error?.message ?? error) });
    return;
  }
  try {
    const before = ticks;
    const started = performance.now();
    const held = await rt.runPythonAsync(HOG);
    const ms = performance.now() - started;
    const ticked = ticks - before;
    check("allocating in a loop ends in MemoryError below the limit", typeof held === "number" && held > 16 && held < LIMIT_MB, { held_mb: held, ms: Math.round(ms), ticks: ticked });
    if (MODE === "worker") check("the page's timer ticks while the worker allocates", ticked >= Math.floor(ms / 20 / 4), { ticks: ticked, ms: Math.round(ms) });
    const big = await rt.runPythonAsync(`
try:
    bytearray(${LIMIT_MB + 64} << 20)
    big = "allocated"
except MemoryError:
    big = "MemoryError"
big`);
    check("one block past the limit is MemoryError", big === "MemoryError", { big });
    check("the runtime is usable afterwards", (await rt.runPythonAsync("sum(range(10))")) === 45, {});
  } catch (error) {
    check("allocating in a loop ends in MemoryError below the limit", false, { threw: String(error?.message ?? error).slice(0, 400) });
  }
  try {
    const out = await rt.runPythonAsync(TOOLS);
    const expected = JSON.stringify([{ got: { q: "x" } }, "ToolNotGranted", "ToolTimeout"]);
    check("tools: granted answers, ungranted refused, timeout fires", JSON.stringify(out) === expected, { out });
    check("tools: the timeout aborted the handler's signal", aborted.length === 1 && aborted[0] === "timeout", { aborted: [...aborted] });
  } catch (error) {
    check("tools: granted answers, ungranted refused, timeout fires", false, { threw: String(error?.message ?? error).slice(0, 400) });
  }
  try {
    const refused = await rt.runPythonAsync(TOOLS_MORE);
    check("tools: cancelling the Python task aborts the handler's signal", aborted.includes("aborted"), { aborted: [...aborted] });
    check("tools: oversized arguments are refused and nothing is called", refused === "args_too_large" && echoed.every((size) => size < 1000), { refused, echoed });
    const text = JSON.stringify(events);
    const types = new Set(events.map((event) => event.type));
    check("tools: no argument value appears in the events", !text.includes("ARG-SECRET") && types.has("tool.call") && types.has("tool.decision"), { types: [...types].filter((type) => type.startsWith("tool.")) });
  } catch (error) {
    check("tools: cancelling the Python task aborts the handler's signal", false, { threw: String(error?.message ?? error).slice(0, 400) });
  }
  clearInterval(ticker);
  check("the page's timer ticked", ticks > 0, { ticks });
  await rt.close();
}

main().catch((error) => check("checks ran", false, { threw: String(error?.message ?? error) })).finally(() => {
  results.textContent = JSON.stringify({ mode: MODE, checks });
  results.dataset.state = "done";
});
