// The browser_rt demo page: a policy editor, a Python editor, and three views of what happened
// (the decision log, the redacted diagnostics, the servers' own request counts).
import { createRuntime } from "/js_bridge/index.mjs";
import { EXAMPLES, prelude } from "./examples.mjs";
import { checkPolicy } from "./policy-check.mjs";
import { DEMO_TOOLS } from "./tools.mjs";
import { BridgeRecord, DecisionLog, DiagnosticsView, CspReports } from "./views.mjs";

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));

const ui = {
  banner: $("banner"),
  modeSwitch: $("mode-switch"),
  modeNote: $("mode-note"),
  progress: $("progress"),
  progressText: $("progress-text"),
  example: $("example"),
  exampleNote: $("example-note"),
  code: $("code"),
  prelude: $("prelude"),
  showPrelude: $("show-prelude"),
  run: $("run"),
  stop: $("stop"),
  runState: $("run-state"),
  output: $("output"),
  policy: $("policy"),
  policyStatus: $("policy-status"),
  applyPolicy: $("apply-policy"),
  resetPolicy: $("reset-policy"),
  csp: $("csp"),
  resetCounters: $("reset-counters"),
  countersState: $("counters-state"),
  diagFilter: $("diag-filter"),
  clearLogs: $("clear-logs"),
};

const STAGES = /** @type {Record<string, string>} */ ({
  "loading-pyodide": "Loading Pyodide",
  "loading-browser-rt": "Loading browser_rt",
  "starting-runtime": "Starting the runtime",
  ready: "Ready",
});
const COUNTER_POLL_MS = 500;
const MODES = ["worker", "page"];

const state = {
  /** @type {{api: string, other: string} | null} */
  config: null,
  /** The policy text the server's CSP was derived from (or the fallback). */
  serverPolicyText: "",
  /** The policy text the running runtime was created with. */
  appliedText: "",
  /** @type {string[] | null} connect-src of this page's CSP, or null when there is none */
  connectSrc: null,
  mode: "worker",
  /** @type {import("/js_bridge/index.mjs").BrowserRuntime | null} */
  rt: null,
  /** @type {string[]} the running code's output so far */
  printed: [],
  generation: 0,
  starting: false,
  running: false,
  runNumber: 0,
  /** @type {ReturnType<typeof checkPolicy> | null} */
  check: null,
  /** @type {string[] | null} what page mode reported Python can still reach */
  ambientPaths: /** @type {string[] | null} */ (null),
};

const decisions = new DecisionLog(document.querySelector("#decision-table tbody"));
const bridgeRecord = new BridgeRecord(document.querySelector("#bridge-table tbody"));
const diagnostics = new DiagnosticsView($("diagnostics"));
const cspReports = new CspReports($("csp-reports"));

boot().catch((error) => showBanner(`The demo could not start: ${messageOf(error)}`));

async function boot() {
  const params = new URLSearchParams(location.search);
  const wanted = params.get("mode");
  if (wanted !== null && !MODES.includes(wanted)) {
    showBanner(`Unknown mode "${wanted}" in the address: use ?mode=worker or ?mode=page. Starting in worker mode.`, "warn");
  } else if (wanted) {
    state.mode = wanted;
  }
  setMode(state.mode);
  wireControls();
  fillExamples(params.get("example"));
  document.addEventListener("securitypolicyviolation", (event) => cspReports.add(event));

  state.config = await loadConfig();
  if (!state.config) return;
  ui.prelude.textContent = prelude(state.config);
  state.serverPolicyText = await loadServerPolicy(state.config);
  state.connectSrc = await loadConnectSrc();
  ui.policy.value = state.serverPolicyText;
  state.appliedText = state.serverPolicyText;
  validatePolicy();
  pollCounters();
  await restartRuntime();
}

// ---------------------------------------------------------------------------------------------
// Loading what the server says

async function loadConfig() {
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const config = await response.json();
    if (typeof config?.api !== "string" || typeof config?.other !== "string") throw new Error("it names no api and other origin");
    for (const name of ["api", "other"]) $(`origin-${name}`).textContent = config[name];
    return /** @type {{api: string, other: string}} */ (config);
  } catch (error) {
    showBanner(
      `/config.json is not available (${messageOf(error)}), so there are no API servers to talk to. ` +
        "Serve this site with `make demo`, or `browser-rt serve --site site --policy site/demo-policy.json --api-ports 8001,8002`.",
    );
    setProgress("failed", 0, "no API servers");
    return null;
  }
}

/** @param {{api: string, other: string}} config */
async function loadServerPolicy(config) {
  try {
    const response = await fetch("/policy.json", { cache: "no-store" });
    if (response.ok) return await response.text();
  } catch {
    // Fall through to the built-in policy.
  }
  showBanner(
    "The server was started without --policy, so this page has no CSP: in page mode, Python that goes around cx.fetch " +
      "can reach any origin. Using a built-in policy that grants the api origin.",
    "warn",
  );
  return `${JSON.stringify({ origins: [config.api], methods: ["GET", "POST"], max_header_count: 8, max_request_body_bytes: 4096, max_response_body_bytes: 65536, timeout_ms: 10000 }, null, 2)}\n`;
}

/** The connect-src of the CSP this page was served with, or null when it has none. */
async function loadConnectSrc() {
  try {
    const response = await fetch(location.pathname, { method: "HEAD", cache: "no-store" });
    const csp = response.headers.get("content-security-policy");
    if (!csp) {
      ui.csp.textContent = "(none: the server was started without --policy)";
      return null;
    }
    ui.csp.textContent = csp.split(/;\s*/).join(";\n");
    const directive = csp.split(";").map((d) => d.trim().split(/\s+/)).find((parts) => parts[0] === "connect-src");
    return directive ? directive.slice(1) : null;
  } catch (error) {
    ui.csp.textContent = `(could not read it: ${messageOf(error)})`;
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The runtime

async function restartRuntime() {
  if (!state.config) return;
  const generation = ++state.generation;
  const old = state.rt;
  state.rt = null;
  state.starting = true;
  state.running = false;
  updateControls();
  ui.modeNote.textContent = "";
  state.ambientPaths = null;
  if (old) await old.close().catch(() => {});
  decisions.marker(`Runtime ${generation} starting in ${state.mode} mode`);
  diagnostics.marker(`runtime ${generation} (${state.mode} mode)`);
  setProgress("loading-pyodide", 0);
  const started = performance.now();
  /** @type {import("/js_bridge/index.mjs").BrowserRuntime | null} */
  let rt = null;
  try {
    rt = await createRuntime({
      indexURL: "/pyodide/",
      fetchAuthority: state.appliedText,
      isolation: /** @type {"worker" | "page"} */ (state.mode),
      // The "notes survive a reload" example's files (docs/storage.md).
      storageAuthority: { namespace: "demo-notes", quota_bytes: 1 << 20 },
      diagnostics: { mode: "metadata_only", sink: (event) => onEvent(event, generation) },
      tools: DEMO_TOOLS,
      // Python's output streams into the Output panel while the run goes on.
      stdout: (line) => printLine(line, generation),
      stderr: (line) => printLine(line, generation),
      onProgress: (stage, fraction) => {
        if (generation !== state.generation) return;
        // The first "ready" waits for the prelude below; a later one ends a restart after Stop.
        if (stage !== "ready") setProgress(stage, fraction);
        else if (rt !== null && state.rt === rt) setProgress("ready", 1, `${state.mode} mode, restarted after Stop`);
      },
    });
    if (generation !== state.generation) {
      await rt.close();
      return;
    }
    await rt.runPythonAsync(prelude(/** @type {{api: string, other: string}} */ (state.config)));
    state.rt = rt;
    state.starting = false;
    setProgress("ready", 1, `${state.mode} mode, ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    describeMode();
    hideBanner("runtime");
  } catch (error) {
    if (rt && state.rt !== rt) rt.close().catch(() => {});
    if (generation !== state.generation) return;
    state.starting = false;
    setProgress("failed", 0, "failed to start");
    showBanner(`The runtime did not start: ${messageOf(error)}`, "error", "runtime", { label: "Try again", action: restartRuntime });
  } finally {
    updateControls();
  }
}

/**
 * Every redacted event the console host delivers comes here too.
 * @param {Record<string, any>} event
 * @param {number} generation
 */
function onEvent(event, generation) {
  const run = state.running ? String(state.runNumber) : "start";
  diagnostics.add(event, run);
  decisions.add(event, run);
  bridgeRecord.add(event, run);
  if (event.type === "runtime.ambient_paths" && generation === state.generation) {
    state.ambientPaths = Array.isArray(event.paths) ? event.paths : [];
    describeMode();
  }
}

function describeMode() {
  if (state.mode === "worker") {
    ui.modeNote.textContent = "Worker mode: Python runs in a Worker whose network globals were removed; every request goes through the bridge.";
  } else {
    const paths = state.ambientPaths ?? [];
    ui.modeNote.textContent =
      `Page mode is not a sandbox: Python can reach ${paths.length} network path${paths.length === 1 ? "" : "s"} around the policy` +
      (paths.length ? ` (${paths.slice(0, 4).join(", ")}${paths.length > 4 ? ", …" : ""}).` : ".");
  }
  ui.modeNote.dataset.mode = state.mode;
}

async function run() {
  const rt = state.rt;
  if (state.running) return;
  if (!rt || state.starting) {
    ui.runState.textContent = state.starting
      ? "The runtime is still starting; Run is enabled once it is ready."
      : "There is no runtime to run in (see the message above).";
    return;
  }
  const code = ui.code.value;
  if (code.trim() === "") {
    ui.output.textContent = "Nothing to run: the editor is empty. Pick an example or write some Python.";
    ui.output.dataset.state = "error";
    return;
  }
  state.running = true;
  const runNumber = ++state.runNumber;
  const generation = state.generation;
  updateControls();
  ui.output.textContent = "";
  state.printed = [];
  ui.output.dataset.state = "running";
  ui.runState.textContent = `Run ${runNumber} running…`;
  const started = performance.now();
  /** @type {unknown} */
  let result;
  /** @type {unknown} */
  let failure = null;
  try {
    result = await rt.runPythonAsync(code);
  } catch (error) {
    failure = error;
  }
  if (generation === state.generation && nameOf(failure) === "RunInterruptedError" && /** @type {any} */ (failure).stateLost) {
    // A fresh worker has none of the prelude's names: give them back before the next run.
    await rt.runPythonAsync(prelude(/** @type {{api: string, other: string}} */ (state.config))).catch(() => {});
  }
  if (generation !== state.generation) {
    ui.output.textContent = `Run ${runNumber} stopped: the runtime was replaced.`;
    ui.output.dataset.state = "error";
    ui.output.dataset.run = String(runNumber);
    ui.runState.textContent = `Run ${runNumber} stopped`;
    return;
  }
  const printed = state.printed.join("\n");
  state.printed = [];
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const parts = [];
  if (printed) parts.push(printed.replace(/\n$/, ""));
  if (failure && nameOf(failure) === "RunInterruptedError") {
    const stopped = /** @type {{stage: string, stateLost: boolean}} */ (failure);
    parts.push(stopped.stateLost
      ? `Run ${runNumber} stopped: the worker was restarted, and its state was lost.`
      : `Run ${runNumber} stopped (${stopped.stage}); the runtime kept its state.`);
  } else if (failure) {
    parts.push(`${nameOf(failure)}: ${messageOf(failure)}`);
  } else if (result !== undefined && result !== null) {
    parts.push(`→ ${formatResult(result)}`);
  } else if (!printed) {
    parts.push("(finished, no result)");
  }
  ui.output.textContent = parts.join("\n\n");
  ui.output.dataset.state = failure ? "error" : "done";
  ui.output.dataset.run = String(runNumber);
  ui.runState.textContent = `Run ${runNumber} ${failure ? "raised an error" : "finished"} in ${seconds} s`;
  state.running = false;
  updateControls();
  refreshCounters();
}

async function stop() {
  if (!state.running || !state.rt) return;
  ui.runState.textContent = "Stopping…";
  await state.rt.interrupt();
}

/**
 * One line of the running code's output, shown as it arrives.
 * @param {string} line
 * @param {number} generation the runtime that printed it
 */
function printLine(line, generation) {
  if (generation !== state.generation || !state.running) return;
  if (state.printed.length >= MAX_PRINTED_LINES) return;
  state.printed.push(line);
  ui.output.textContent = state.printed.join("\n");
}

/** Lines of output the panel keeps for one run. */
const MAX_PRINTED_LINES = 2000;

const MAX_RESULT_CHARS = 100_000;

/** @param {unknown} value */
function formatResult(value) {
  let text;
  try {
    text = JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item), 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_RESULT_CHARS
    ? `${text.slice(0, MAX_RESULT_CHARS)}\n[... ${text.length - MAX_RESULT_CHARS} more characters not shown]`
    : text;
}

// ---------------------------------------------------------------------------------------------
// Policy editor

function validatePolicy() {
  const text = ui.policy.value;
  const check = checkPolicy(text);
  state.check = check;
  const status = ui.policyStatus;
  status.replaceChildren();
  ui.policy.setAttribute("aria-invalid", String(!check.ok));
  if (!check.ok) {
    status.dataset.state = "error";
    const p = document.createElement("p");
    p.className = "error";
    p.id = "policy-error";
    const where = check.where ? `line ${check.where.line}: ` : "";
    p.append(strong("Invalid policy. "), `${where}${check.message}`);
    status.append(p);
    if (check.where) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "linklike";
      button.textContent = "Select it in the editor";
      const { start, end } = check.where;
      const line = check.where.line;
      button.addEventListener("click", () => {
        ui.policy.focus();
        ui.policy.setSelectionRange(start, Math.max(end, start + 1));
        const lineHeight = parseFloat(getComputedStyle(ui.policy).lineHeight) || 18;
        ui.policy.scrollTop = Math.max(0, (line - 3) * lineHeight);
      });
      p.append(" ", button);
    }
    updateControls();
    return;
  }
  status.dataset.state = "ok";
  const policy = /** @type {Record<string, any>} */ (check.policy);
  const p = document.createElement("p");
  p.className = "ok";
  const applied = checkPolicy(state.appliedText);
  const same = applied.ok && JSON.stringify(applied.policy) === JSON.stringify(policy);
  p.append(
    strong("Valid. "),
    `Grants ${policy.origins.length ? policy.origins.join(", ") : "no origin (deny all)"}; ` +
      `methods ${policy.methods.join(", ") || "none"}; credentials ${policy.credentials}; ` +
      `at most ${policy.max_header_count} headers; redirect ${policy.redirect}; timeout ${policy.timeout_ms} ms. `,
    same ? "The runtime is using this policy." : "Not applied yet: Apply restarts the runtime with it.",
  );
  status.append(p);
  if (state.connectSrc) {
    const outside = policy.origins.filter((/** @type {string} */ origin) => !state.connectSrc?.includes(origin));
    if (outside.length) {
      const warn = document.createElement("p");
      warn.className = "warn";
      warn.textContent =
        `This page's CSP (connect-src) does not list ${outside.join(", ")}: the browser will refuse those requests ` +
        "(a network error) even though the policy allows them. The CSP comes from the server's --policy file.";
      status.append(warn);
    }
  }
  updateControls();
}

async function applyPolicy() {
  if (!state.check?.ok || state.running) return;
  state.appliedText = ui.policy.value;
  validatePolicy();
  await restartRuntime();
}

// ---------------------------------------------------------------------------------------------
// Counters: read through this page's own origin, so the CSP can stay as strict as the policy.

let countersTimer = 0;

async function refreshCounters() {
  try {
    const response = await fetch("/api-counts.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const counts = await response.json();
    for (const name of ["api", "other"]) renderCounter(name, counts[name]);
    ui.countersState.textContent = "";
  } catch (error) {
    ui.countersState.textContent = `Counts unavailable (${messageOf(error)}); retrying.`;
  }
}

function pollCounters() {
  clearTimeout(countersTimer);
  const tick = async () => {
    if (!document.hidden) await refreshCounters();
    countersTimer = window.setTimeout(tick, COUNTER_POLL_MS);
  };
  tick();
}

/**
 * @param {string} name
 * @param {{count: number, origin: string, recent: {method: string, path: string, aborted: boolean}[]} | undefined} data
 */
function renderCounter(name, data) {
  const box = $(`counter-${name}`);
  const output = $(`count-${name}`);
  if (!data) {
    output.textContent = "–";
    return;
  }
  const text = String(data.count);
  if (output.textContent !== text) output.textContent = text;
  box.dataset.reached = String(data.count > 0);
  const list = $(`recent-${name}`);
  const items = data.recent.map((r) => `${r.method} ${r.path}${r.aborted ? " (client aborted)" : ""}`).reverse();
  if (list.dataset.items !== JSON.stringify(items)) {
    list.dataset.items = JSON.stringify(items);
    list.replaceChildren(
      ...items.map((item) => {
        const li = document.createElement("li");
        li.textContent = item;
        return li;
      }),
    );
  }
  renderGrant(name, data.origin);
}

/** @param {string} name @param {string} origin */
function renderGrant(name, origin) {
  const grant = $(`grant-${name}`);
  const authority = state.rt?.authority;
  if (!authority) {
    grant.textContent = "";
    return;
  }
  const decision = authority.authorize({ method: "GET", url: `${origin}/`, headers: [], credentials: "omit", body: null });
  const granted = decision.reason !== "origin_denied";
  grant.textContent = granted ? "granted by the running policy" : "not granted";
  grant.dataset.granted = String(granted);
}

async function resetCounters() {
  try {
    const response = await fetch("/api-reset.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await refreshCounters();
  } catch (error) {
    ui.countersState.textContent = `Could not reset the counters: ${messageOf(error)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Controls

function wireControls() {
  ui.run.addEventListener("click", run);
  ui.stop.addEventListener("click", stop);
  ui.applyPolicy.addEventListener("click", applyPolicy);
  ui.resetPolicy.addEventListener("click", () => {
    ui.policy.value = state.serverPolicyText;
    validatePolicy();
  });
  let pending = 0;
  ui.policy.addEventListener("input", () => {
    clearTimeout(pending);
    pending = window.setTimeout(validatePolicy, 120);
  });
  ui.resetCounters.addEventListener("click", resetCounters);
  ui.clearLogs.addEventListener("click", () => {
    decisions.clear();
    bridgeRecord.clear();
    diagnostics.clear();
    cspReports.clear();
  });
  ui.diagFilter.addEventListener("change", () => diagnostics.filter(ui.diagFilter.value));
  ui.example.addEventListener("change", () => loadExample(ui.example.value));
  ui.showPrelude.addEventListener("click", () => {
    const open = ui.prelude.hidden;
    ui.prelude.hidden = !open;
    ui.showPrelude.setAttribute("aria-expanded", String(open));
    ui.showPrelude.textContent = open ? "hide" : "show";
  });
  for (const radio of ui.modeSwitch.querySelectorAll("input[name=isolation]")) {
    radio.addEventListener("change", () => {
      if (!radio.checked || radio.value === state.mode) return;
      setMode(radio.value);
      restartRuntime();
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    if (event.target === ui.policy) applyPolicy();
    else run();
  });
}

/** @param {string} mode */
function setMode(mode) {
  state.mode = mode;
  for (const radio of ui.modeSwitch.querySelectorAll("input[name=isolation]")) radio.checked = radio.value === mode;
  document.body.dataset.mode = mode;
  const url = new URL(location.href);
  url.searchParams.set("mode", mode);
  history.replaceState(null, "", url);
}

/** @param {string | null} wanted */
function fillExamples(wanted) {
  for (const example of EXAMPLES) {
    const option = document.createElement("option");
    option.value = example.id;
    option.textContent = example.title;
    ui.example.append(option);
  }
  if (wanted !== null && !EXAMPLES.some((e) => e.id === wanted)) {
    showBanner(`Unknown example "${wanted}" in the address; showing "${EXAMPLES[0].title}".`, "warn");
    wanted = null;
  }
  loadExample(wanted ?? EXAMPLES[0].id);
}

/** @param {string} id */
function loadExample(id) {
  const example = EXAMPLES.find((e) => e.id === id) ?? EXAMPLES[0];
  ui.example.value = example.id;
  ui.code.value = example.code;
  ui.exampleNote.textContent = example.note;
}

function updateControls() {
  const busy = state.starting || state.running;
  ui.run.disabled = !state.rt || busy;
  ui.run.textContent = state.running ? "Running…" : "Run";
  ui.stop.disabled = !state.running;
  ui.stop.title = state.mode === "worker"
    ? "rt.interrupt(): cancel, then KeyboardInterrupt (cross-origin isolated pages), then a fresh worker"
    : "rt.interrupt(): page mode can cancel a run at its next await, never a loop that holds the page";
  for (const radio of ui.modeSwitch.querySelectorAll("input")) radio.disabled = busy;
  const policyOk = Boolean(state.check?.ok);
  const applied = checkPolicy(state.appliedText);
  const changed = !applied.ok || JSON.stringify(applied.policy) !== JSON.stringify(state.check?.policy);
  ui.applyPolicy.disabled = busy || !policyOk || !changed || !state.config;
  ui.applyPolicy.title = !policyOk ? "Fix the policy first" : changed ? "" : "The runtime already uses this policy";
  if (state.starting) ui.runState.textContent = "Waiting for the runtime…";
  else if (!state.running && ui.runState.textContent.startsWith("Waiting")) ui.runState.textContent = "";
}

/**
 * @param {string} stage
 * @param {number} fraction
 * @param {string} [text]
 */
function setProgress(stage, fraction, text) {
  const pct = Math.round(Math.max(0, Math.min(1, Number(fraction) || 0)) * 100);
  ui.progress.value = pct;
  ui.progress.dataset.stage = stage;
  ui.progressText.textContent = text ?? `${STAGES[stage] ?? stage} ${pct}%`;
  ui.progressText.dataset.stage = stage;
}

// ---------------------------------------------------------------------------------------------
// Messages

/**
 * Add a message to the banner above the panels.
 * @param {string} text
 * @param {"error" | "warn"} [level]
 * @param {string} [key] lets a later success remove this message
 * @param {{label: string, action: () => void}} [button]
 */
function showBanner(text, level = "error", key = "", button) {
  if (key) hideBanner(key);
  const p = document.createElement("p");
  p.dataset.level = level;
  p.dataset.key = key;
  p.textContent = text;
  if (button) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = button.label;
    b.addEventListener("click", () => {
      hideBanner(key);
      button.action();
    });
    p.append(" ", b);
  }
  ui.banner.append(p);
  ui.banner.hidden = false;
}

/** @param {string} key */
function hideBanner(key) {
  for (const p of ui.banner.querySelectorAll("p")) if (p.dataset.key === key) p.remove();
  ui.banner.hidden = ui.banner.childElementCount === 0;
}

/** @param {string} text */
function strong(text) {
  const s = document.createElement("strong");
  s.textContent = text;
  return s;
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/** @param {unknown} error */
function nameOf(error) {
  return error instanceof Error ? error.name : "Error";
}
