// Exposes createRuntime to Playwright specs, which drive it with page.evaluate.
import { createRuntime } from "/js_bridge/index.mjs";

const config = await (await fetch("/config.json")).json();
window.harness = { createRuntime, config, runtimes: {} };
document.getElementById("status").value = "ready";
