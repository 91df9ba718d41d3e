// @ts-check
/** Validation of createRuntime's `diagnostics` option, and the warning unredacted mode prints. */

const MODES = Object.freeze(["metadata_only", "strict", "none"]);
const KEYS = Object.freeze(["mode", "sink", "allowUnredacted"]);

/**
 * @param {unknown} value
 * @returns {{mode: string, sink: ((event: Record<string, unknown>) => void) | undefined, allowUnredacted: boolean, ci: boolean}}
 */
export function checkDiagnostics(value) {
  const options = /** @type {Record<string, unknown>} */ (value ?? {});
  if (typeof options !== "object") throw new TypeError("createRuntime: diagnostics must be an object");
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new TypeError(`createRuntime: unknown diagnostics option ${JSON.stringify(key)}`);
  }
  const mode = options.mode ?? "metadata_only";
  if (typeof mode !== "string" || !MODES.includes(mode)) {
    throw new TypeError(`createRuntime: diagnostics.mode must be one of ${MODES.join(", ")}, got ${String(mode)}`);
  }
  if (options.sink !== undefined && typeof options.sink !== "function") {
    throw new TypeError("createRuntime: diagnostics.sink must be a function");
  }
  const allowUnredacted = options.allowUnredacted === true;
  if (mode === "none" && !allowUnredacted) {
    throw new TypeError("createRuntime: diagnostics.mode 'none' keeps secrets in events; it needs allowUnredacted: true");
  }
  const ci = isCI();
  if (mode === "none" && ci) throw new TypeError("createRuntime: diagnostics.mode 'none' is refused when CI is set");
  return { mode, sink: /** @type {any} */ (options.sink), allowUnredacted, ci };
}

function isCI() {
  const value = globalThis.process?.env?.CI;
  return Boolean(value) && !["0", "false", "no", ""].includes(String(value).toLowerCase());
}

/** @param {Pick<Console, "warn">} out */
export function createConsoleWarning(out) {
  out.warn(
    "[browser_rt] WARNING: diagnostics.mode is 'none': events are NOT redacted and may contain " +
      "secrets (headers, bodies, URLs). Use it for local debugging only.",
  );
}

/**
 * The part of the diagnostics options Python needs (the sink stays on the page).
 * @param {ReturnType<typeof checkDiagnostics>} diagnostics
 */
export function diagnosticsForPython(diagnostics) {
  return { mode: diagnostics.mode, allowUnredacted: diagnostics.allowUnredacted, ci: diagnostics.ci };
}
