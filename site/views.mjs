// The demo's two event views and the page's CSP reports. Every value comes from a redacted
// browser-rt-event-v1 record (or the browser's own violation report) and is written as text.

const MAX_ROWS = 500;

/** @param {unknown} ts seconds since the epoch */
export function clock(ts) {
  const ms = typeof ts === "number" && Number.isFinite(ts) ? ts * 1000 : Date.now();
  const d = new Date(ms);
  const pad = (/** @type {number} */ n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * @param {string} tag
 * @param {string} [text]
 * @param {string} [className]
 */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** @param {HTMLElement} scroller */
function nearBottom(scroller) {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
}

/**
 * Add a row, keep the table bounded, and follow the newest row if the reader was at the bottom.
 * @param {HTMLElement} tbody
 * @param {HTMLElement} scroller
 * @param {HTMLElement} row
 */
function appendRow(tbody, scroller, row) {
  const stick = nearBottom(scroller);
  tbody.append(row);
  trim(tbody);
  if (stick) scroller.scrollTop = scroller.scrollHeight;
}

/** @param {Element} list */
function trim(list) {
  while (list.childElementCount > MAX_ROWS) list.firstElementChild?.remove();
}

/**
 * The decision log: one row per fetch.decision, as Python reported it (stamped `worker` or
 * `python` by the page). The outcome column is filled from the fetch.complete / fetch.error that
 * follows an allowed request with the same origin and method. What the bridge itself did is in
 * the BridgeRecord beside it.
 */
export class DecisionLog {
  /** @param {HTMLTableSectionElement} tbody */
  constructor(tbody) {
    this.tbody = tbody;
    this.scroller = /** @type {HTMLElement} */ (tbody.closest(".table-wrap"));
    /** @type {{origin: string, method: string, cell: HTMLElement}[]} */
    this.waiting = [];
  }

  /** @param {string} text */
  marker(text) {
    const row = el("tr", undefined, "marker");
    const cell = el("td", text);
    cell.setAttribute("colspan", "7");
    row.append(cell);
    this.append(row);
    this.waiting = [];
  }

  /**
   * @param {Record<string, any>} event
   * @param {string} run
   */
  add(event, run) {
    if (event.type === "fetch.decision") {
      const decision = String(event.decision ?? "?");
      const row = el("tr", undefined, `decision-${decision === "allow" ? "allow" : "deny"}`);
      row.dataset.run = run;
      row.dataset.decision = decision;
      row.dataset.reason = event.reason ?? "";
      const outcome = el("td", decision === "allow" ? "…" : "not sent", "outcome");
      const reason = event.reason ?? "–";
      row.append(
        el("td", run),
        el("td", clock(event.ts), "time"),
        el("td", decision, "decision"),
        el("td", reason, "reason"),
        el("td", event.origin ?? "–", "origin"),
        el("td", event.method ?? "–", "method"),
        outcome,
      );
      if (event.detail) row.title = String(event.detail);
      this.append(row);
      if (decision === "allow") this.waiting.push({ origin: event.origin, method: String(event.method ?? "").toUpperCase(), cell: outcome });
      return;
    }
    if (event.type === "tool.decision" || event.type === "tool.call") {
      this.addTool(event, run);
      return;
    }
    if (event.type === "fetch.complete" || event.type === "fetch.error") {
      const method = String(event.method ?? "").toUpperCase();
      const index = this.waiting.findIndex((w) => w.origin === event.origin && w.method === method);
      if (index < 0) return;
      const [{ cell }] = this.waiting.splice(index, 1);
      const stick = nearBottom(this.scroller);
      cell.textContent = event.type === "fetch.complete" ? `HTTP ${event.status}` : `failed: ${event.code}`;
      cell.parentElement?.setAttribute("data-outcome", cell.textContent);
      if (stick) this.scroller.scrollTop = this.scroller.scrollHeight;
    }
  }

  /**
   * A tool call: Python's decision is a row (origin column: the tool), and the page's own
   * record of the call (`tool.call`) fills in its outcome.
   * @param {Record<string, any>} event
   * @param {string} run
   */
  addTool(event, run) {
    const where = `tool: ${event.tool}`;
    if (event.type === "tool.call") {
      const index = this.waiting.findIndex((w) => w.origin === where && w.method === "CALL");
      if (index < 0) return;
      const [{ cell }] = this.waiting.splice(index, 1);
      cell.textContent = event.outcome === "performed" ? "done" : `${event.outcome}: ${event.code ?? event.reason}`;
      cell.parentElement?.setAttribute("data-outcome", cell.textContent);
      return;
    }
    const decision = String(event.decision ?? "?");
    const row = el("tr", undefined, `decision-${decision === "allow" ? "allow" : "deny"}`);
    row.dataset.run = run;
    row.dataset.decision = decision;
    row.dataset.reason = event.reason ?? "";
    const outcome = el("td", decision === "allow" ? "…" : "not called", "outcome");
    row.append(el("td", run), el("td", clock(event.ts), "time"), el("td", decision, "decision"),
      el("td", event.reason ?? "–", "reason"), el("td", where, "origin"), el("td", "call", "method"), outcome);
    this.append(row);
    if (decision === "allow") this.waiting.push({ origin: where, method: "CALL", cell: outcome });
  }

  /** @param {HTMLElement} row */
  append(row) {
    appendRow(this.tbody, this.scroller, row);
  }

  clear() {
    this.tbody.replaceChildren();
    this.waiting = [];
  }
}

/**
 * The bridge's own record: one row per request the page's bridge performed or refused, from
 * its `bridge.request` events. These are the page's words, not the worker's: set beside the
 * decision log, they show which side said what.
 */
export class BridgeRecord {
  /** @param {HTMLTableSectionElement} tbody */
  constructor(tbody) {
    this.tbody = tbody;
    this.scroller = /** @type {HTMLElement} */ (tbody.closest(".table-wrap"));
  }

  /**
   * @param {Record<string, any>} event
   * @param {string} run
   */
  add(event, run) {
    if (event.type === "storage.flush" && event.source === "bridge") return this.addFlush(event, run);
    if (event.type !== "bridge.request" || event.source !== "bridge") return;
    const outcome = String(event.outcome ?? "?");
    const detail = outcome === "performed" ? `HTTP ${event.status}` : String(event.reason ?? event.code ?? "–");
    const row = el("tr", undefined, `record-${outcome}`);
    row.dataset.run = run;
    row.dataset.outcome = outcome;
    row.append(
      el("td", run),
      el("td", clock(event.ts), "time"),
      el("td", outcome, "outcome"),
      el("td", detail, "detail"),
      el("td", event.origin ?? "–", "origin"),
      el("td", event.method ?? "–", "method"),
      el("td", `${event.bytes_sent ?? 0} / ${event.bytes_received ?? 0}`, "bytes"),
      el("td", `${event.duration_ms ?? 0} ms`, "duration"),
    );
    appendRow(this.tbody, this.scroller, row);
  }

  /**
   * A flush the page's storage writer committed or refused: counts and bytes, never contents.
   * @param {Record<string, any>} event
   * @param {string} run
   */
  addFlush(event, run) {
    const outcome = String(event.outcome ?? "?");
    const row = el("tr", undefined, `record-${outcome}`);
    row.dataset.run = run;
    row.dataset.outcome = outcome;
    row.append(
      el("td", run),
      el("td", clock(event.ts), "time"),
      el("td", outcome, "outcome"),
      el("td", outcome === "committed" ? `${event.files} files` : String(event.reason ?? "–"), "detail"),
      el("td", `storage:${event.namespace}`, "origin"),
      el("td", "flush", "method"),
      el("td", `${event.bytes ?? 0} / 0`, "bytes"),
      el("td", `${event.duration_ms ?? 0} ms`, "duration"),
    );
    appendRow(this.tbody, this.scroller, row);
  }

  clear() {
    this.tbody.replaceChildren();
  }
}

/** Every record the console host delivered, as the JSON it is. */
export class DiagnosticsView {
  /** @param {HTMLOListElement} list */
  constructor(list) {
    this.list = list;
    this.mode = "all";
  }

  /** @param {string} text */
  marker(text) {
    const li = el("li", `── ${text} ──`, "marker");
    this.append(li);
  }

  /**
   * @param {Record<string, any>} event
   * @param {string} run
   */
  add(event, run) {
    const severity = String(event.severity ?? "info");
    const li = el("li", undefined, `sev-${severity}`);
    li.dataset.type = String(event.type ?? "");
    li.dataset.severity = severity;
    li.dataset.run = run;
    li.append(el("span", clock(event.ts), "time"), " ", el("span", severity, "sev"), " ", el("code", JSON.stringify(event)));
    li.hidden = !this.matches(li);
    this.append(li);
  }

  /** @param {HTMLElement} li */
  matches(li) {
    if (li.classList.contains("marker")) return true;
    if (this.mode === "warn") return li.dataset.severity === "warn" || li.dataset.severity === "error";
    if (this.mode === "fetch") return (li.dataset.type ?? "").startsWith("fetch.");
    return true;
  }

  /** @param {string} mode */
  filter(mode) {
    this.mode = ["all", "warn", "fetch"].includes(mode) ? mode : "all";
    for (const li of /** @type {HTMLElement[]} */ ([...this.list.children])) li.hidden = !this.matches(li);
  }

  /** @param {HTMLElement} li */
  append(li) {
    const stick = nearBottom(this.list);
    this.list.append(li);
    trim(this.list);
    if (stick) this.list.scrollTop = this.list.scrollHeight;
  }

  clear() {
    this.list.replaceChildren();
  }
}

/** The browser's securitypolicyviolation reports in this page, reduced to directive and origin. */
export class CspReports {
  /** @param {HTMLOListElement} list */
  constructor(list) {
    this.list = list;
    this.empty();
  }

  empty() {
    this.list.replaceChildren(el("li", "none so far", "none"));
  }

  /** @param {SecurityPolicyViolationEvent} event */
  add(event) {
    this.list.querySelector(".none")?.remove();
    let blocked = String(event.blockedURI || "");
    try {
      blocked = new URL(blocked).origin;
    } catch {
      // "eval", "inline" and similar keywords are shown as they are.
    }
    const li = el("li", `${clock(undefined)} ${event.effectiveDirective}: refused ${blocked}`);
    li.dataset.directive = event.effectiveDirective;
    li.dataset.blocked = blocked;
    this.list.append(li);
    trim(this.list);
  }

  clear() {
    this.empty();
  }
}
