// @ts-check
/**
 * Lengths and well-formedness of JavaScript strings, counted the way Python counts them: code
 * points (a lone surrogate counts as one) and UTF-8 bytes. Every check here stays cheap on a
 * huge string. JS-only: Python's `len`, `str.encode` and `str.isascii` do this there.
 */

const ASCII_ONLY = /^[\0-\x7f]*$/;

/**
 * True when every UTF-16 unit of `text` is ASCII.
 * @param {string} text
 */
export function isAscii(text) {
  return ASCII_ONLY.test(text);
}

/**
 * True when `text` has no lone surrogate.
 * @param {string} text
 */
export function isWellFormed(text) {
  const own = /** @type {any} */ (String.prototype).isWellFormed;
  if (typeof own === "function") return own.call(text);
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/**
 * True when `text` has more than `max` code points; cheap for huge strings.
 * @param {string} text
 * @param {number} max
 */
export function longerThanCodePoints(text, max) {
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    if (++count > max) return true;
  }
  return false;
}

/**
 * Number of code points (a lone surrogate counts as one).
 * @param {string} text
 */
export function codePointCount(text) {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * True when the UTF-8 form of `text` is longer than `limit` bytes, without counting when the
 * answer is clear: every UTF-16 unit takes at least one byte and at most three.
 * @param {string} text
 * @param {number} limit
 */
export function utf8LongerThan(text, limit) {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8ByteLength(text) > limit;
}

/**
 * UTF-8 length of `text` in bytes; a lone surrogate counts as 3 bytes (it goes on the wire as
 * U+FFFD, and Python counts it as 3 bytes too).
 * @param {string} text
 */
export function utf8ByteLength(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
