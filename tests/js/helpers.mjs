// Shared helpers for the node --test suites.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The offline bundle the suites run against (BROWSER_RT_BUNDLE overrides build/bundle). */
export function bundleDir() {
  return path.resolve(repoRoot, process.env.BROWSER_RT_BUNDLE ?? "build/bundle");
}
