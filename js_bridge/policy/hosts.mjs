// @ts-check
/**
 * Which hosts the policy accepts, on top of what the platform's WHATWG parser accepts: the
 * internationalized hosts Python's parser refuses (browser_rt/policy/hosts.py) are refused here
 * too, so that both implementations deny the same requests. The host itself, as `fetch` will
 * contact it, always comes from `new URL`; this module only says no.
 *
 * Punycode comes from the vendored `punycode` package (../vendor/README.md). UTS-46 mapping is
 * the platform's own, through `new URL`.
 */
import { decode as punycodeDecode, encode as punycodeEncode } from "../vendor/punycode.mjs";
import { percentDecodeUtf8 } from "./percent_decode.mjs";
import { isRightToLeft } from "./right_to_left.mjs";
import { codePointCount, isAscii, isWellFormed } from "./unicode_text.mjs";

/** UTS-46 mapping input limit of the Python side (the `idna` package): longer domains fail. */
const IDNA_MAX_INPUT = 1024;

/**
 * The validity rules both sides apply to a non-ASCII label (after UTS-46 mapping): NFC, no
 * leading combining mark, and, refused outright rather than judged, joiners and right-to-left
 * characters.
 * @param {string} label
 */
function unicodeLabelAccepted(label) {
  if (label.normalize("NFC") !== label) return false;
  if (/^\p{M}/u.test(label)) return false;
  if (/[\u200c\u200d]/.test(label)) return false;
  for (const ch of label) {
    if (isRightToLeft(/** @type {number} */ (ch.codePointAt(0)))) return false;
  }
  return true;
}

/**
 * The Unicode label an `xn--` label encodes, or null when it is not valid Punycode.
 * @param {string} encoded the label without `xn--`
 * @returns {string | null}
 */
function decodePunycode(encoded) {
  try {
    return punycodeDecode(encoded);
  } catch {
    return null; // RangeError: invalid input, overflow, or a code point past U+10FFFF
  }
}

/**
 * An `xn--` label of the WHATWG host: it must be the canonical Punycode of a non-ASCII label in
 * UTS-46 mapped form that passes `unicodeLabelAccepted`.
 * @param {string} label lower-case ASCII, starting with `xn--`
 */
function aceLabelAccepted(label) {
  const encoded = label.slice(4);
  const decoded = decodePunycode(encoded);
  if (decoded === null || decoded === "" || isAscii(decoded) || !isWellFormed(decoded)) return false;
  try {
    if (punycodeEncode(decoded) !== encoded) return false;
  } catch {
    return false;
  }
  if (!unicodeLabelAccepted(decoded)) return false;
  // Mapped form: the platform's UTS-46 mapping must leave the decoded label as it is.
  try {
    return new URL(`http://${encodeURIComponent(decoded)}/`).hostname === label;
  } catch {
    return false;
  }
}

/**
 * True when the Python parser accepts the host that WHATWG serialized as `asciiHost`.
 * @param {string} hostText the host as written in the URL (before percent-decoding)
 * @param {string} asciiHost `new URL(...).hostname`
 */
export function hostAcceptedByPolicy(hostText, asciiHost) {
  if (hostText.startsWith("[")) return true;
  const domain = percentDecodeUtf8(hostText);
  if (domain === null) return false;
  // The URL Standard keeps a "*" in a host (so do WebKit and Node); Chromium and Firefox write
  // %2A. Where engines disagree on the origin, the policy denies (docs/policy.md).
  if (domain.includes("*") || /\*|%2a/i.test(asciiHost)) return false;
  if (isAscii(domain) && !domain.toLowerCase().includes("xn--")) return true;
  if (codePointCount(domain) > IDNA_MAX_INPUT) return false;
  for (const label of asciiHost.split(".")) {
    if (label.startsWith("xn--") && !aceLabelAccepted(label)) return false;
  }
  return true;
}
