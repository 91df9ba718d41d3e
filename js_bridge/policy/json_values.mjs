// @ts-check
/**
 * Which JSON type a policy value has, where JavaScript alone cannot tell: a number written with
 * a fraction or an exponent (`2.0`, `1e1`) is a float and never an integer, as in Python, so
 * the strict JSON parser keeps it as a `JsonFloat`; and only a plain object is a JSON object.
 * JS-only: Python's `json` module and `isinstance` give both answers there.
 */

/** A JSON number written with a fraction or an exponent: a float, never an integer. */
export class JsonFloat {
  /** @param {number} value */
  constructor(value) {
    this.value = value;
    Object.freeze(this);
  }
}
Object.freeze(JsonFloat.prototype);
Object.freeze(JsonFloat);

/**
 * A JSON object: a plain object (or one without a prototype), not an array, a class instance
 * or a `JsonFloat`.
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isMapping(value) {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof JsonFloat) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}
