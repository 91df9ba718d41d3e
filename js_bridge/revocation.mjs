// @ts-check
/**
 * What the worker removes from its own realm before user code runs, and the proof it runs first
 * that the realm's CSP is in force. What stays is listed, with reasons, in realm_allowlist.mjs.
 * browser_rt/host/revocation.py then forgets the Python references to the removed objects.
 */
import { GLOBAL_ALLOWLIST, NAVIGATOR_ALLOWLIST, chainOf, isAllowed, isInert, openMembers } from "./realm_allowlist.mjs";

/** A foreign origin on a port the Fetch standard blocks: a probe import never leaves the machine. */
const FOREIGN_PROBE_URL = "http://127.0.0.1:9/browser-rt-isolation-probe.mjs";
/** How long to wait for the probe's violation report, where the engine sends them. */
const VIOLATION_WAIT_MS = 2000;

/**
 * Close the realm: delete, along the whole prototype chain, every global and every member of
 * `navigator` that realm_allowlist.mjs does not keep, then check that nothing else is left.
 * Whatever an engine adds is removed without being named here. A member that cannot be deleted
 * stops the start, unless it is an inert constant.
 * @param {object} scope the worker's global object
 * @returns {{removed: string[], originals: unknown[]}} the names removed, as Python would have
 *   seen them (`fetch`, `navigator.storage`), and the objects they held, for Python to forget
 */
export function closeRealm(scope) {
  const originals = [];
  const removed = removeUnlisted(scope, GLOBAL_ALLOWLIST, "", originals);
  const navigatorObject = /** @type {any} */ (scope).navigator;
  if (navigatorObject && typeof navigatorObject === "object") {
    removed.push(...removeUnlisted(navigatorObject, NAVIGATOR_ALLOWLIST, "navigator.", originals));
  }
  const left = openMembers(scope);
  if (left.length > 0) throw new Error(`could not remove from the worker scope: ${left.join(", ").slice(0, 2000)}`);
  // What code compiled in this realm would see: nothing the walk missed, such as a binding that
  // is not a property. (Under the realm's CSP the Function constructor itself is blocked.)
  if (scope === globalThis) {
    for (const name of ["fetch", "indexedDB", "caches", "XMLHttpRequest"]) {
      if (reachableThroughFunction(name)) throw new Error(`${name} is still reachable`);
    }
  }
  return { removed: [...new Set(removed)].sort(), originals };
}

/**
 * @param {object} target the object as code sees it: each level of its chain is cleaned, and
 *   getters run against it to capture what they hand out
 * @param {Readonly<Record<string, string>>} allowlist
 * @param {string} prefix @param {unknown[]} originals
 * @returns {string[]}
 */
function removeUnlisted(target, allowlist, prefix, originals) {
  const removed = [];
  for (const level of chainOf(target)) {
    for (const key of Reflect.ownKeys(level)) {
      if (isAllowed(key, allowlist)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(level, key);
      if (isInert(descriptor)) continue;
      const value = readQuietly(target, key);
      if ((typeof value === "object" && value !== null) || typeof value === "function") originals.push(value);
      if (Reflect.deleteProperty(level, key) && typeof key === "string") removed.push(`${prefix}${key}`);
    }
  }
  return removed;
}

/** @param {object} target @param {string | symbol} key */
function readQuietly(target, key) {
  try {
    return /** @type {any} */ (target)[key];
  } catch {
    return undefined; // a getter that throws here (an opaque origin's storage) hands out nothing
  }
}

/**
 * Prove, in this realm and before anything else runs, that the engine enforces a CSP that
 * blocks string evaluation and script loads from data: URLs and foreign origins. The page has
 * already checked the policy's text (worker_policy.mjs); this checks that it is in force here,
 * which is what a blob: worker in an engine that does not inherit the page's policy would fail.
 * Where the engine reports CSP violations in workers (Chromium, Firefox), a foreign import must
 * be reported as one; where it does not (WebKitGTK 2.50), the text check stands for it.
 * @returns {Promise<string[]>} what is not blocked; empty when the realm holds
 */
export async function proveIsolation() {
  /** @type {string[]} */
  const violations = [];
  const onViolation = (/** @type {any} */ event) => violations.push(String(event.blockedURI ?? ""));
  self.addEventListener("securitypolicyviolation", onViolation);
  const problems = [];
  try {
    if (!throwsEvalError(() => new Function("return 1")())) problems.push("the Function constructor evaluates strings");
    if (!throwsEvalError(() => (0, eval)("1"))) problems.push("eval evaluates strings");
    if (await imports("data:text/javascript,export default 1")) problems.push("import() loads data: URLs");
    await imports(FOREIGN_PROBE_URL);
    // Violation events are queued as tasks, and Firefox may queue one after the import has
    // already failed: wait for it a little while, but only where the engine reports them.
    const foreignBlocked = () => violations.some((uri) => uri.startsWith("http://127.0.0.1:9"));
    for (let waited = 0; violations.includes("eval") && !foreignBlocked() && waited < VIOLATION_WAIT_MS; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (violations.includes("eval") && !foreignBlocked()) {
      problems.push("import() of a foreign origin is not blocked by the policy");
    }
  } finally {
    self.removeEventListener("securitypolicyviolation", onViolation);
  }
  return problems;
}

/** @param {() => unknown} action */
function throwsEvalError(action) {
  try {
    action();
    return false;
  } catch (error) {
    return error instanceof EvalError;
  }
}

/** @param {string} url @returns {Promise<boolean>} whether the module loaded */
async function imports(url) {
  try {
    await import(/* webpackIgnore: true */ url);
    return true;
  } catch {
    return false;
  }
}

/**
 * What hostile code would see through the Function constructor. Under a CSP without
 * 'unsafe-eval' the constructor itself is blocked, which closes this path entirely.
 * @param {string} name
 */
function reachableThroughFunction(name) {
  try {
    return new Function(`return typeof ${name}`)() !== "undefined";
  } catch (error) {
    if (error instanceof EvalError) return false;
    throw error;
  }
}
