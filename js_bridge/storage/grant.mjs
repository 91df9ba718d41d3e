// @ts-check
/**
 * The StorageAuthority: the page's grant of persistent files, checked once and frozen. Without
 * it Python has no persistent storage. Its fields mirror browser_rt.storage.grant (Python) and
 * both sides pass the same vectors (tests/vectors/storage_authority.json), so a grant one side
 * accepts the other accepts too, with the same canonical values.
 */

/** Keys of the grant, snake_case like the fetch policy document. */
const KEYS = Object.freeze(["namespace", "quota_bytes", "max_file_bytes", "max_files", "read_only"]);
const NAMESPACE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Defaults and ceilings of the grant's numbers. */
export const GRANT_LIMITS = Object.freeze({
  defaultQuotaBytes: 10 * 1024 * 1024,
  maxQuotaBytes: 1024 * 1024 * 1024,
  defaultMaxFiles: 1000,
  maxMaxFiles: 10_000,
});

/** A grant the page refuses: `field` names the offending key. */
export class StorageGrantError extends TypeError {
  /** @param {string} field @param {string} problem */
  constructor(field, problem) {
    super(`storageAuthority.${field}: ${problem}`);
    this.name = "StorageGrantError";
    this.field = field;
  }
}

/**
 * @typedef {Readonly<{namespace: string, quota_bytes: number, max_file_bytes: number, max_files: number, read_only: boolean}>} StorageGrant
 */

/**
 * Check a grant and return its canonical, frozen form (every default filled in).
 * @param {unknown} value createRuntime's `storageAuthority` option
 * @returns {StorageGrant}
 */
export function checkStorageGrant(value) {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new StorageGrantError("(grant)", "must be an object such as {namespace: \"notes\"}");
  }
  const given = /** @type {Record<string, unknown>} */ (value);
  for (const key of Object.keys(given)) {
    if (!KEYS.includes(key)) throw new StorageGrantError(key, `unknown key (known: ${KEYS.join(", ")})`);
  }
  const { namespace } = given;
  if (typeof namespace !== "string" || !NAMESPACE.test(namespace)) {
    throw new StorageGrantError("namespace", "must be 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter or digit");
  }
  const quota = count(given.quota_bytes, "quota_bytes", GRANT_LIMITS.defaultQuotaBytes, GRANT_LIMITS.maxQuotaBytes);
  const maxFileBytes = count(given.max_file_bytes, "max_file_bytes", quota, GRANT_LIMITS.maxQuotaBytes);
  if (maxFileBytes > quota) throw new StorageGrantError("max_file_bytes", `${maxFileBytes} is more than quota_bytes (${quota})`);
  const maxFiles = count(given.max_files, "max_files", GRANT_LIMITS.defaultMaxFiles, GRANT_LIMITS.maxMaxFiles);
  const readOnly = given.read_only ?? false;
  if (typeof readOnly !== "boolean") throw new StorageGrantError("read_only", "must be true or false");
  return Object.freeze({ namespace, quota_bytes: quota, max_file_bytes: maxFileBytes, max_files: maxFiles, read_only: readOnly });
}

/**
 * @param {unknown} value
 * @param {string} field
 * @param {number} fallback
 * @param {number} ceiling
 */
function count(value, field, fallback, ceiling) {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > ceiling) {
    throw new StorageGrantError(field, `must be a whole number from 1 to ${ceiling}`);
  }
  return value;
}
