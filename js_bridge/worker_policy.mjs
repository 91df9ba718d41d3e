// @ts-check
/**
 * Decides whether the worker's realm will run under a Content-Security-Policy that holds the
 * boundary, before the worker is started. Revoking globals cannot remove dynamic `import()` (it
 * is syntax) nor every loader a future engine adds, so worker mode rests on the CSP as well: it
 * must block string evaluation, load scripts only from the page's own origin, and let every
 * other load reach only that origin (and, for connections, the granted origins).
 *
 * Two hosting shapes give the worker such a policy:
 * - `header`: the worker is loaded from worker.mjs, and its policy is that response's
 *   Content-Security-Policy header (`browser-rt serve` sends `browser-rt policy csp --target worker`);
 * - `meta`: the page carries the policy in a `<meta http-equiv="Content-Security-Policy">`
 *   (`browser-rt policy csp --target meta`), and the worker is started from a `blob:` URL, which
 *   inherits the document's policy. This is the shape for static hosts that send no headers.
 *
 * The text is checked here; the worker then proves in its own realm that the engine enforces it
 * (worker.mjs `proveIsolation`). Either failing refuses the start, naming what is missing.
 */

/** Keywords that reach nothing outside the page's origin. */
const SAFE_KEYWORDS = new Set(["'self'", "'none'", "'report-sample'", "'unsafe-inline'", "'wasm-unsafe-eval'"]);
const NONCE_OR_HASH = /^'(nonce-|sha256-|sha384-|sha512-)[^']*'$/;

/**
 * Each kind of load a worker realm can start, with the CSP directives that govern it, most
 * specific first (CSP Level 3 fallback lists), and the scheme sources that stay local.
 */
const LOAD_KINDS = Object.freeze([
  { kind: "scripts", chain: ["script-src-elem", "script-src", "default-src"], localSchemes: [] },
  { kind: "connections", chain: ["connect-src", "default-src"], localSchemes: [], granted: true },
  { kind: "fonts", chain: ["font-src", "default-src"], localSchemes: ["data:", "blob:"] },
  { kind: "images", chain: ["img-src", "default-src"], localSchemes: ["data:", "blob:"] },
  { kind: "media", chain: ["media-src", "default-src"], localSchemes: ["data:", "blob:"] },
  { kind: "styles", chain: ["style-src-elem", "style-src", "default-src"], localSchemes: ["data:", "blob:"] },
  { kind: "objects", chain: ["object-src", "default-src"], localSchemes: [] },
  { kind: "frames", chain: ["frame-src", "child-src", "default-src"], localSchemes: [] },
  { kind: "workers", chain: ["worker-src", "child-src", "script-src", "default-src"], localSchemes: ["blob:"] },
  { kind: "manifests", chain: ["manifest-src", "default-src"], localSchemes: [] },
]);

/**
 * Parse Content-Security-Policy text (one header value, comma-joined values, or a meta
 * element's content) into policies: maps from directive name to its source list. The first
 * occurrence of a directive wins, as in the CSP parser.
 * @param {string} text
 * @returns {Map<string, string[]>[]}
 */
export function parsePolicies(text) {
  return String(text).split(",").map((serialized) => {
    /** @type {Map<string, string[]>} */
    const policy = new Map();
    for (const part of serialized.split(";")) {
      const [name, ...sources] = part.trim().split(/[\t\n\f\r ]+/);
      if (!name) continue;
      const directive = name.toLowerCase();
      if (!policy.has(directive)) policy.set(directive, sources.filter(Boolean));
    }
    return policy;
  }).filter((policy) => policy.size > 0);
}

/**
 * What a worker realm under these policies could still do that the boundary forbids. Every
 * policy is enforced at once, so a kind of load is closed when any one policy closes it.
 * @param {Map<string, string[]>[]} policies
 * @param {{selfOrigin: string, granted: string[]}} context the page's origin and the policy's
 *   granted origins (canonical, wildcards as written)
 * @returns {string[]} problems, each naming the directive to fix; empty when the policy holds
 */
export function isolationProblems(policies, { selfOrigin, granted }) {
  if (policies.length === 0) return ["no Content-Security-Policy applies to the worker"];
  const problems = [];
  if (!policies.some((policy) => blocksEval(policy))) {
    problems.push("string evaluation is allowed: script-src (or default-src) must be present and must not contain 'unsafe-eval'");
  }
  for (const { kind, chain, localSchemes, granted: usesGrant } of LOAD_KINDS) {
    const allowed = new Set([selfOrigin.toLowerCase(), ...(usesGrant ? granted.map((o) => o.toLowerCase()) : [])]);
    const verdicts = policies.map((policy) => closes(policy, chain, allowed, localSchemes));
    if (verdicts.some((verdict) => verdict.closed)) continue;
    const reasons = verdicts.map((verdict) => verdict.why).filter(Boolean);
    problems.push(`${kind} can reach other origins: ${reasons[0] ?? `none of ${chain.join(", ")} is set`}`);
  }
  return problems;
}

/** @param {Map<string, string[]>} policy */
function blocksEval(policy) {
  const sources = policy.get("script-src") ?? policy.get("default-src");
  return sources !== undefined && !sources.some((source) => source.toLowerCase() === "'unsafe-eval'");
}

/**
 * @param {Map<string, string[]>} policy
 * @param {string[]} chain
 * @param {Set<string>} allowedOrigins
 * @param {string[]} localSchemes
 * @returns {{closed: boolean, why?: string}}
 */
function closes(policy, chain, allowedOrigins, localSchemes) {
  const directive = chain.find((name) => policy.has(name));
  if (directive === undefined) return { closed: false };
  for (const source of /** @type {string[]} */ (policy.get(directive))) {
    const lower = source.toLowerCase();
    if (SAFE_KEYWORDS.has(lower) || NONCE_OR_HASH.test(source)) continue;
    if (localSchemes.includes(lower)) continue;
    if (allowedOrigins.has(lower.replace(/\/$/, ""))) continue;
    return { closed: false, why: `${directive} allows ${source}` };
  }
  return { closed: true };
}

/**
 * The `<meta>` policies of a document, in order: their content strings.
 * @param {Document} document
 * @returns {string[]}
 */
export function metaPolicies(document) {
  return Array.from(document.querySelectorAll("meta[http-equiv]"))
    .filter((meta) => meta.getAttribute("http-equiv")?.toLowerCase() === "content-security-policy")
    .map((meta) => meta.getAttribute("content") ?? "");
}

/**
 * Fetch the worker script's own CSP header (same origin, so the header is readable).
 * @param {URL} workerURL
 * @param {typeof fetch} fetchImpl
 * @returns {Promise<string | null>}
 */
export async function workerHeaderPolicy(workerURL, fetchImpl) {
  const response = await fetchImpl(workerURL.href, { method: "HEAD", cache: "no-store", credentials: "same-origin" });
  if (!response.ok) throw new Error(`${workerURL.href} answered ${response.status}`);
  return response.headers.get("content-security-policy");
}

/**
 * How to fix a refused start, for the error message.
 * @param {URL} workerURL
 */
export function isolationHelp(workerURL) {
  return "serve " + workerURL.pathname + " with the header from `browser-rt policy csp --target worker POLICY` "
    + "(browser-rt serve does), or put the <meta> from `browser-rt policy csp --target meta POLICY` in the page's <head> "
    + "(the worker then starts from a blob: URL and inherits it); or use isolation: 'page' for trusted code";
}
