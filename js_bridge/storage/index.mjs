// @ts-check
/**
 * What the page needs of storage (runtime.mjs, worker_host.mjs): open the granted namespace, or
 * nothing without a grant. The Python side of it is restore.mjs, which a worker loads alone.
 */
import { checkStorageGrant } from "./grant.mjs";
import { openNamespaceStore } from "./store.mjs";

export { checkStorageGrant, StorageGrantError } from "./grant.mjs";

/**
 * Check the grant first (it is frozen before anything starts), then open its namespace.
 * @param {unknown} option createRuntime's `storageAuthority`
 * @param {{deliverRecord: (entry: Record<string, unknown>, type?: string) => void}} events
 * @param {{mode: string}} diagnostics
 * @returns {Promise<import("./store.mjs").NamespaceStore | null>}
 */
export async function openGrantedStorage(option, events, diagnostics) {
  if (option === undefined) return null;
  const grant = checkStorageGrant(option);
  return openNamespaceStore(grant, {
    onRecord: (entry) => events.deliverRecord(entry, "storage.flush"),
    namesAllowed: diagnostics.mode === "none",
  });
}
