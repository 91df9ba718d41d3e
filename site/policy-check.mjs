// Live validation for the policy editor: FetchAuthority.fromJSON decides, this module only
// finds where in the text the entry its error names sits, so the editor can point at it.
import { FetchAuthority } from "/js_bridge/index.mjs";

/**
 * @typedef {object} PolicyCheck
 * @property {boolean} ok
 * @property {string} [message] the PolicyError message, naming the entry
 * @property {{start: number, end: number, line: number} | null} [where] the offending text
 * @property {Record<string, any>} [policy] the canonical policy (when ok)
 * @property {FetchAuthority} [authority]
 */

/**
 * @param {string} text
 * @returns {PolicyCheck}
 */
export function checkPolicy(text) {
  if (text.trim() === "") {
    return { ok: false, message: "policy: empty; write a JSON object such as {\"origins\": [\"https://api.example.com\"]}", where: null };
  }
  try {
    const authority = FetchAuthority.fromJSON(text);
    return { ok: true, policy: authority.toJSON(), authority };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message, where: locate(text, message) };
  }
}

/**
 * Where the entry a PolicyError names is written. Messages look like
 * `origins[3]: path not allowed in an origin`, `policy: unknown key "bogus"` or
 * `policy: not valid JSON (line 2 column 5: ...)`.
 * @param {string} text
 * @param {string} message
 * @returns {{start: number, end: number, line: number} | null}
 */
export function locate(text, message) {
  const syntax = /not valid JSON \(line (\d+) column (\d+)/.exec(message);
  if (syntax) {
    const offset = offsetOf(text, Number(syntax[1]), Number(syntax[2]));
    return { start: offset, end: Math.min(text.length, offset + 1), line: Number(syntax[1]) };
  }
  let spans;
  try {
    spans = scan(text);
  } catch {
    return null;
  }
  // The key is quoted as a JSON string (docs/policy.md, "Error messages"); a cut one has no closing quote.
  const keyed = /^policy: (?:unknown|duplicate) key ("(?:[^"\\]|\\.)*")/.exec(message);
  if (keyed) {
    const name = JSON.parse(keyed[1]);
    const all = spans.keys.filter((k) => k.name === name);
    const hit = message.includes("duplicate") ? all[all.length - 1] : all[0];
    return hit ? withLine(text, hit) : null;
  }
  const entry = /^([a-z_]+)(?:\[(\d+)\])?:/.exec(message);
  if (!entry || entry[1] === "policy") return null;
  const path = entry[2] === undefined ? entry[1] : `${entry[1]}[${entry[2]}]`;
  const span = spans.values.get(path) ?? spans.values.get(entry[1]);
  return span ? withLine(text, span) : null;
}

/** @param {string} text @param {{start: number, end: number}} span */
function withLine(text, span) {
  return { ...span, line: (text.slice(0, span.start).match(/\n/g) ?? []).length + 1 };
}

/** @param {string} text @param {number} line @param {number} column */
function offsetOf(text, line, column) {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) break;
    offset = next + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

/**
 * A small JSON scanner that records where each top-level value and each item of a top-level
 * list starts and ends. Only used on text that already parsed.
 * @param {string} text
 */
function scan(text) {
  let pos = 0;
  /** @type {{name: string, start: number, end: number}[]} */
  const keys = [];
  /** @type {Map<string, {start: number, end: number}>} */
  const values = new Map();
  const ws = () => {
    while (pos < text.length && " \t\r\n".includes(text[pos])) pos++;
  };
  const string = () => {
    const start = pos++;
    while (pos < text.length && text[pos] !== '"') pos += text[pos] === "\\" ? 2 : 1;
    pos++;
    return JSON.parse(text.slice(start, pos));
  };
  /** @param {string | null} path @param {number} depth */
  const value = (path, depth) => {
    ws();
    const start = pos;
    const c = text[pos];
    if (c === "{") {
      pos++;
      ws();
      while (text[pos] !== "}") {
        if (pos >= text.length) throw new Error("unexpected end");
        ws();
        const keyStart = pos;
        const name = string();
        if (depth === 0) keys.push({ name, start: keyStart, end: pos });
        ws();
        pos++; // colon
        value(depth === 0 ? name : null, depth + 1);
        ws();
        if (text[pos] === ",") pos++;
        ws();
      }
      pos++;
    } else if (c === "[") {
      pos++;
      ws();
      let index = 0;
      while (text[pos] !== "]") {
        if (pos >= text.length) throw new Error("unexpected end");
        value(path !== null && depth === 1 ? `${path}[${index}]` : null, depth + 1);
        index++;
        ws();
        if (text[pos] === ",") pos++;
        ws();
      }
      pos++;
    } else if (c === '"') {
      string();
    } else {
      while (pos < text.length && !",]} \t\r\n".includes(text[pos])) pos++;
    }
    if (pos > text.length) throw new Error("unexpected end");
    if (path !== null) values.set(path, { start, end: pos });
  };
  value(null, 0);
  return { keys, values };
}
