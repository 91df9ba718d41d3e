// @ts-check
/**
 * The origin `fetch` would contact for a URL, or why the request is denied at the URL step.
 * Mirrors browser_rt/policy/urls.py, with one difference of method: every origin reported here
 * comes from the platform's own WHATWG `URL` parser, which is what `fetch` uses. Around `URL`
 * this module scans the input itself for what `URL` hides (userinfo, even empty; relative input
 * without a declared base; the scheme before parsing), and hosts.mjs refuses the hosts Python
 * refuses.
 */
import { DenyReason } from "./errors.mjs";
import { hostAcceptedByPolicy } from "./hosts.mjs";
import { isWellFormed, longerThanCodePoints } from "./unicode_text.mjs";

/** Requests whose URL is longer than this many code points are denied as invalid_url. */
export const MAX_URL_LENGTH = 8192;
const SPECIAL_SCHEMES = new Set(["http", "https"]);
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.\-]*:/;
const AUTHORITY_END = /[/\\?#]/;

/**
 * True for the special schemes the policy knows, `http` and `https` (lower-case).
 * @param {string} scheme
 */
export function isSpecialScheme(scheme) {
  return SPECIAL_SCHEMES.has(scheme);
}

/**
 * @typedef {{ scheme: string, origin: string }} BaseOrigin
 * @typedef {{ ok: false, reason: "invalid_url" | "scheme_denied", detail: string }} UrlRejected
 * @typedef {{ ok: true, origin: string, scheme: string, hostname: string, port: string,
 *             userinfo: boolean }} UrlAccepted
 */

/**
 * @param {UrlRejected["reason"]} reason
 * @param {string} detail
 * @returns {UrlRejected}
 */
function urlRejected(reason, detail) {
  return { ok: false, reason, detail };
}

/**
 * Leading and trailing C0 controls and spaces (U+0000-U+0020) removed, as the URL parser's step
 * 1 does; grants are checked for a bare `*` after the same stripping.
 * @param {string} input
 */
export function stripControlsAndSpace(input) {
  let start = 0;
  let end = input.length;
  while (start < end && input.charCodeAt(start) <= 0x20) start++;
  while (end > start && input.charCodeAt(end - 1) <= 0x20) end--;
  return input.slice(start, end);
}

/**
 * Parser step 1: strip leading and trailing C0 controls and spaces, remove tab, LF and CR.
 * @param {string} input
 */
function stripUrl(input) {
  const text = stripControlsAndSpace(input);
  return /[\t\n\r]/.test(text) ? text.replace(/[\t\n\r]/g, "") : text;
}

/** @param {string} text */
function startsWithTwoSlashes(text) {
  return text.length >= 2 && (text[0] === "/" || text[0] === "\\") && (text[1] === "/" || text[1] === "\\");
}

/** @param {string} text */
function skipSlashes(text) {
  let i = 0;
  while (i < text.length && (text[i] === "/" || text[i] === "\\")) i++;
  return text.slice(i);
}

/**
 * Split `host[:port]` at the first `:` outside brackets.
 * @param {string} hostAndPort
 * @returns {[string, string | null]}
 */
function splitPort(hostAndPort) {
  let insideBrackets = false;
  for (let i = 0; i < hostAndPort.length; i++) {
    const ch = hostAndPort[i];
    if (ch === "[") insideBrackets = true;
    else if (ch === "]") insideBrackets = false;
    else if (ch === ":" && !insideBrackets) return [hostAndPort.slice(0, i), hostAndPort.slice(i + 1)];
  }
  return [hostAndPort, null];
}

/**
 * The origin `fetch` would contact for `input`, or why the request is denied at the URL step.
 * @param {string} input
 * @param {BaseOrigin | null} base
 * @returns {UrlRejected | UrlAccepted}
 */
export function parseOrigin(input, base) {
  if (longerThanCodePoints(input, MAX_URL_LENGTH)) {
    return urlRejected(DenyReason.INVALID_URL, `longer than ${MAX_URL_LENGTH} code points`);
  }
  if (!isWellFormed(input)) return urlRejected(DenyReason.INVALID_URL, "contains a lone surrogate");
  const text = stripUrl(input);
  const schemeMatch = URL_SCHEME.exec(text);
  /** @type {string} */
  let scheme;
  /** @type {string | null} the text the authority starts in, or null when the base's origin applies */
  let authorityText = null;
  if (schemeMatch === null) {
    if (base === null) return urlRejected(DenyReason.INVALID_URL, "relative URL and the authority declares no base");
    scheme = base.scheme;
    if (startsWithTwoSlashes(text)) authorityText = skipSlashes(text);
  } else {
    scheme = schemeMatch[0].slice(0, -1).toLowerCase();
    if (!SPECIAL_SCHEMES.has(scheme)) return urlRejected(DenyReason.SCHEME_DENIED, "only http and https URLs may be fetched");
    const rest = text.slice(schemeMatch[0].length);
    const relativeToBase = base !== null && base.scheme === scheme && !startsWithTwoSlashes(rest);
    if (!relativeToBase) authorityText = skipSlashes(rest);
  }

  let userinfo = false;
  /** @type {string | null} */
  let hostText = null;
  if (authorityText !== null) {
    const end = authorityText.search(AUTHORITY_END);
    const authority = end < 0 ? authorityText : authorityText.slice(0, end);
    const at = authority.lastIndexOf("@");
    userinfo = at >= 0;
    const [host, port] = splitPort(authority.slice(at + 1));
    if (host === "") return urlRejected(DenyReason.INVALID_URL, "missing host");
    if (port !== null && port !== "") {
      if (!/^[0-9]+$/.test(port)) return urlRejected(DenyReason.INVALID_URL, "port is not a number");
      if (Number(port) > 65535) return urlRejected(DenyReason.INVALID_URL, "port is out of range");
    }
    hostText = host;
  }

  /** @type {URL} */
  let url;
  try {
    url = base === null ? new URL(input) : new URL(input, base.origin);
  } catch {
    return urlRejected(DenyReason.INVALID_URL, "host is not valid");
  }
  // Cross-checks between the scan above and the platform parser; they agree by construction,
  // and if they ever do not, the URL is refused rather than guessed.
  if (url.protocol !== `${scheme}:`) return urlRejected(DenyReason.INVALID_URL, "scheme is ambiguous");
  if (authorityText === null && url.origin !== /** @type {BaseOrigin} */ (base).origin) {
    return urlRejected(DenyReason.INVALID_URL, "origin is ambiguous");
  }
  if (hostText !== null && !hostAcceptedByPolicy(hostText, url.hostname)) {
    return urlRejected(DenyReason.INVALID_URL, "host is not valid");
  }
  userinfo = userinfo || url.username !== "" || url.password !== "";
  return { ok: true, origin: url.origin, scheme, hostname: url.hostname, port: url.port, userinfo };
}
