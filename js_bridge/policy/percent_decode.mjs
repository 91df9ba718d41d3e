// @ts-check
/**
 * Percent-decoding of a URL's host text into bytes, then UTF-8 decoding of those bytes: the
 * WHATWG host parser's first step, before the domain is mapped. A `%` not followed by two hex
 * digits stays as written; bytes that are not UTF-8 fail. JS-only: `decodeURIComponent` throws
 * on such a `%` instead; Python's hosts.py has these steps in `_percent_decode_utf8`.
 */

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Percent-decode a host and decode the bytes as UTF-8; null when they are not UTF-8.
 * @param {string} text
 * @returns {string | null}
 */
export function percentDecodeUtf8(text) {
  if (!text.includes("%")) return text;
  const raw = UTF8_ENCODER.encode(text);
  const out = new Uint8Array(raw.length);
  let j = 0;
  for (let i = 0; i < raw.length; ) {
    if (raw[i] === 0x25 && i + 2 < raw.length && isHexByte(raw[i + 1]) && isHexByte(raw[i + 2])) {
      out[j++] = (hexValue(raw[i + 1]) << 4) | hexValue(raw[i + 2]);
      i += 3;
    } else {
      out[j++] = raw[i++];
    }
  }
  try {
    return UTF8_DECODER.decode(out.subarray(0, j));
  } catch {
    return null;
  }
}

/** @param {number} byte */
function isHexByte(byte) {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** @param {number} byte */
function hexValue(byte) {
  return byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x61 + 10;
}
