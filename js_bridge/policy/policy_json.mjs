// @ts-check
/**
 * How a policy JSON text becomes a document: strictly, as Python's `json.loads` with the hooks
 * browser_rt/policy/authority.py installs. Duplicate keys are refused; nesting deeper than 32
 * levels is refused before it is recursed into; a number written with a fraction or an
 * exponent stays a float (`JsonFloat`), and an integer too large for a double stays exact (a
 * BigInt); NaN and Infinity parse as Python parses them; a syntax error names its line and
 * column, in the words Python's decoder uses. JS-only: `JSON.parse` keeps the last of two
 * duplicate keys and cannot tell `2.0` from `2`.
 */
import { PolicyError, quoted } from "./errors.mjs";
import { JsonFloat } from "./json_values.mjs";

/** Nesting beyond this in a policy JSON text is refused rather than recursed into. */
export const MAX_JSON_DEPTH = 32;

/**
 * Parse a policy JSON text strictly (RFC 8259 plus the NaN/Infinity literals Python accepts):
 * duplicate keys are refused, and numbers written with a fraction or exponent stay floats.
 * @param {string} text
 * @returns {unknown}
 */
export function parsePolicyText(text) {
  let pos = 0;
  const n = text.length;
  /** @param {string} message */
  const syntaxError = (message) => {
    const before = text.slice(0, pos);
    const line = (before.match(/\n/g) ?? []).length + 1;
    const column = pos - before.lastIndexOf("\n");
    return new PolicyError(`policy: not valid JSON (line ${line} column ${column}: ${message})`);
  };
  const skipWhitespace = () => {
    while (pos < n) {
      const unit = text.charCodeAt(pos);
      if (unit === 0x20 || unit === 0x09 || unit === 0x0a || unit === 0x0d) pos++;
      else break;
    }
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

  /** @returns {string} */
  const parseString = () => {
    pos++; // opening quote
    let out = "";
    let chunk = pos;
    for (;;) {
      if (pos >= n) throw syntaxError("Unterminated string");
      const unit = text.charCodeAt(pos);
      if (unit === 0x22) {
        out += text.slice(chunk, pos);
        pos++;
        return out;
      }
      if (unit < 0x20) throw syntaxError("Invalid control character");
      if (unit !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(chunk, pos);
      const escape = text[pos + 1];
      switch (escape) {
        case '"':
        case "\\":
        case "/":
          out += escape;
          pos += 2;
          break;
        case "b":
          out += "\b";
          pos += 2;
          break;
        case "f":
          out += "\f";
          pos += 2;
          break;
        case "n":
          out += "\n";
          pos += 2;
          break;
        case "r":
          out += "\r";
          pos += 2;
          break;
        case "t":
          out += "\t";
          pos += 2;
          break;
        case "u": {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw syntaxError("Invalid \\uXXXX escape");
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
          break;
        }
        default:
          throw syntaxError("Invalid \\escape");
      }
      chunk = pos;
    }
  };

  /**
   * @param {number} depth
   * @returns {unknown}
   */
  const parseValue = (depth) => {
    if (depth > MAX_JSON_DEPTH) throw new PolicyError(`policy: JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
    skipWhitespace();
    if (pos >= n) throw syntaxError("Expecting value");
    const ch = text[pos];
    if (ch === "{") {
      pos++;
      /** @type {Record<string, unknown>} */
      const object = Object.create(null);
      skipWhitespace();
      if (text[pos] === "}") {
        pos++;
        return object;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') throw syntaxError("Expecting property name enclosed in double quotes");
        const key = parseString();
        skipWhitespace();
        if (text[pos] !== ":") throw syntaxError("Expecting ':' delimiter");
        pos++;
        const value = parseValue(depth + 1);
        if (Object.prototype.hasOwnProperty.call(object, key)) {
          throw new PolicyError(`policy: duplicate key ${quoted(key)}`);
        }
        Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return object;
        }
        throw syntaxError("Expecting ',' delimiter");
      }
    }
    if (ch === "[") {
      pos++;
      /** @type {unknown[]} */
      const array = [];
      skipWhitespace();
      if (text[pos] === "]") {
        pos++;
        return array;
      }
      for (;;) {
        array.push(parseValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return array;
        }
        throw syntaxError("Expecting ',' delimiter");
      }
    }
    if (ch === '"') return parseString();
    /** @type {Array<[string, unknown]>} */
    const literals = [
      ["true", true],
      ["false", false],
      ["null", null],
      ["NaN", new JsonFloat(NaN)],
      ["Infinity", new JsonFloat(Infinity)],
      ["-Infinity", new JsonFloat(-Infinity)],
    ];
    for (const [word, value] of literals) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = pos;
    const number = NUMBER.exec(text);
    if (number === null) throw syntaxError("Expecting value");
    pos += number[0].length;
    const value = Number(number[0]);
    if (number[1] !== undefined || number[2] !== undefined) return new JsonFloat(value);
    // An integer past 2**53 keeps every digit, as Python's int does (messages print it whole).
    return Number.isSafeInteger(value) ? value : BigInt(number[0]);
  };

  const document = parseValue(0);
  skipWhitespace();
  if (pos < n) throw syntaxError("Extra data");
  return document;
}
