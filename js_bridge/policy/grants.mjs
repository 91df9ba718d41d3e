// @ts-check
/**
 * Which origins a policy entry grants: an exact origin, or an explicit `scheme://*.suffix[:port]`
 * wildcard, parsed once into canonical form; and whether an origin or a wildcard falls under the
 * wildcards granted. Mirrors browser_rt/policy/grants.py; the messages are the same.
 */
import { PolicyError, typeName } from "./errors.mjs";
import { isSpecialScheme, parseOrigin, stripControlsAndSpace } from "./urls.mjs";

const GRANT_FORM = /^([A-Za-z][A-Za-z0-9+.\-]*):\/\/([^/?#\\]*)([\s\S]*)$/;
const GRANT_UNSAFE = /[\0-\x20\x7f]/;
const IPV4_LIKE = /^(?:[0-9.]+|.*\.(?:0[xX][0-9a-fA-F]*|[0-9]+)\.?)$/;

/**
 * @typedef {{ kind: "exact", origin: string, scheme: string, hostname: string, port: string }} ExactGrant
 * @typedef {{ kind: "wildcard", text: string, scheme: string, suffix: string, port: string }} WildcardGrant
 */

/**
 * Canonicalize one `origins` entry (or `base`); PolicyError messages start with `where`.
 * @param {unknown} entry
 * @param {string} where
 * @returns {ExactGrant | WildcardGrant}
 */
export function parseGrant(entry, where) {
  if (typeof entry !== "string") throw new PolicyError(`${where}: must be a string, got ${typeName(entry)}`);
  if (stripControlsAndSpace(entry) === "*") {
    throw new PolicyError(`${where}: a bare "*" is not allowed; list origins or use https://*.example.com`);
  }
  if (GRANT_UNSAFE.test(entry)) throw new PolicyError(`${where}: contains whitespace or control characters`);
  const match = GRANT_FORM.exec(entry);
  if (match === null) throw new PolicyError(`${where}: not an origin of the form scheme://host[:port]`);
  const scheme = match[1].toLowerCase();
  if (!isSpecialScheme(scheme)) throw new PolicyError(`${where}: only http and https origins can be granted`);
  checkGrantRest(match[3], where);
  const authority = match[2];
  if (authority.includes("@")) throw new PolicyError(`${where}: userinfo not allowed in an origin`);
  if (authority.startsWith("*.")) return parseWildcard(scheme, authority.slice(2), where);
  if (authority.includes("*")) throw new PolicyError(`${where}: "*" is only allowed as a leading "*." label`);
  return parseExact(`${scheme}://${authority}`, where);
}

/**
 * What follows the authority of a grant: nothing, or a single `/`.
 * @param {string} rest
 * @param {string} where
 */
function checkGrantRest(rest, where) {
  if (rest.startsWith("\\")) throw new PolicyError(`${where}: backslash not allowed in an origin`);
  const beforeFragment = rest.split("#", 1)[0];
  const path = beforeFragment.split("?", 1)[0];
  if (path !== "" && path !== "/") throw new PolicyError(`${where}: path not allowed in an origin`);
  if (beforeFragment.includes("?")) throw new PolicyError(`${where}: query not allowed in an origin`);
  if (rest.includes("#")) throw new PolicyError(`${where}: fragment not allowed in an origin`);
}

/**
 * @param {string} text
 * @param {string} where
 * @returns {ExactGrant}
 */
function parseExact(text, where) {
  const parsed = parseOrigin(text, null);
  if (!parsed.ok) throw new PolicyError(`${where}: ${parsed.detail}`);
  return { kind: "exact", origin: parsed.origin, scheme: parsed.scheme, hostname: parsed.hostname, port: parsed.port };
}

/**
 * @param {string} scheme
 * @param {string} rest the authority after `*.`
 * @param {string} where
 * @returns {WildcardGrant}
 */
function parseWildcard(scheme, rest, where) {
  if (rest.includes("*")) throw new PolicyError(`${where}: "*" is only allowed as a leading "*." label`);
  const parsed = parseExact(`${scheme}://${rest}`, where);
  const host = parsed.hostname;
  if (host.startsWith("[") || IPV4_LIKE.test(host)) {
    throw new PolicyError(`${where}: a wildcard needs a domain, not an IP address`);
  }
  let end = host.length;
  while (end > 0 && host[end - 1] === ".") end--;
  const labels = host.slice(0, end).split(".");
  if (labels.length < 2 || labels.some((label) => label === "")) {
    throw new PolicyError(`${where}: a wildcard needs at least two labels after "*."`);
  }
  const port = parsed.port === "" ? "" : `:${parsed.port}`;
  return { kind: "wildcard", text: `${parsed.scheme}://*.${host}${port}`, scheme: parsed.scheme, suffix: host, port: parsed.port };
}

/**
 * True when every host `child` matches is matched by `parent` too.
 * @param {WildcardGrant} parent
 * @param {WildcardGrant} child
 */
export function wildcardCovers(parent, child) {
  return (
    parent.scheme === child.scheme &&
    parent.port === child.port &&
    (child.suffix === parent.suffix || child.suffix.endsWith(`.${parent.suffix}`))
  );
}

/**
 * True when a wildcard of `wildcards` matches `parsed`: its suffix follows one or more
 * non-empty labels of the host, on the same scheme and port. The cost depends on the host, not
 * on how many wildcards are granted (Python's `wildcard_keys` does the same).
 * @param {{ scheme: string, hostname: string, port: string }} parsed
 * @param {ReadonlyMap<string, WildcardGrant>} wildcards keyed by their canonical text
 * @param {ReadonlySet<number>} suffixLengths the lengths of their suffixes, to skip hopeless look-ups
 */
export function matchesWildcard(parsed, wildcards, suffixLengths) {
  const host = parsed.hostname;
  if (wildcards.size === 0 || host.startsWith("[")) return false;
  const port = parsed.port === "" ? "" : `:${parsed.port}`;
  let labelStart = 0;
  for (;;) {
    const dot = host.indexOf(".", labelStart);
    if (dot < 0 || dot === labelStart) return false; // no suffix left, or an empty label
    const suffixStart = dot + 1;
    if (suffixLengths.has(host.length - suffixStart)) {
      if (wildcards.has(`${parsed.scheme}://*.${host.slice(suffixStart)}${port}`)) return true;
    }
    labelStart = suffixStart;
  }
}
