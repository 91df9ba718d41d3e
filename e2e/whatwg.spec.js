// @ts-check
// The WHATWG differential in every engine: Python's origin for each URL of tests/url_corpus.py
// (seeded generated URLs, the shared vectors, the URL Standard's urltestdata) against the
// engine's own `new URL(url, base).origin`. Wherever Python names an origin, every engine must
// name the same one. Disagreements between engines are written to artifacts/ for the docs.
const { test, expect } = require("@playwright/test");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { launchEngine } = require("./engines");
const { startPlainStaticHost, ROOT } = require("./static-host");

const ARTIFACTS = path.join(ROOT, "artifacts", "whatwg");

test("every origin Python names is the engine's own WHATWG origin", async ({}, testInfo) => {
  test.setTimeout(180_000);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const corpusFile = path.join(ARTIFACTS, "corpus.json");
  execFileSync(path.join(ROOT, ".venv", "bin", "python"), ["url_corpus.py", corpusFile], { cwd: path.join(ROOT, "tests"), stdio: "inherit" });
  const corpus = JSON.parse(fs.readFileSync(corpusFile, "utf8"));
  const host = await startPlainStaticHost({
    files: {
      "whatwg.html": fs.readFileSync(path.join(__dirname, "pages", "whatwg.html")),
      "whatwg-check.mjs": fs.readFileSync(path.join(__dirname, "pages", "whatwg-check.mjs")),
      "corpus.json": fs.readFileSync(corpusFile),
    },
  });
  const engine = await launchEngine(/** @type {any} */ (testInfo.project.name));
  try {
    await engine.open(`${host.origin}/whatwg.html`);
    const { count, origins } = JSON.parse(await engine.waitForText('#results[data-state="done"]', 120_000));
    expect(count).toBe(corpus.length);
    const version = await engine.version();
    fs.writeFileSync(path.join(ARTIFACTS, `${engine.name}.json`), JSON.stringify({ version, origins }));
    const named = corpus.map((entry, i) => ({ ...entry, engine: origins[i] })).filter((entry) => entry.python !== null);
    const mismatches = named.filter((entry) => entry.engine !== entry.python);
    console.log(`[${engine.name}] ${version}: ${named.length} of ${corpus.length} URLs have a Python origin; ${mismatches.length} differ`);
    expect(mismatches.slice(0, 20), `Python's origin differs from ${version}'s`).toEqual([]);
    expect(named.length).toBeGreaterThan(2000);
  } finally {
    await engine.close();
    host.stop();
  }
  writeEngineDisagreements(corpus);
});

/**
 * Where the engines that have run so far disagree with each other: the list docs/policy.md
 * keeps, with what Python does there (it must name no origin, or the test above fails).
 * @param {any[]} corpus
 */
function writeEngineDisagreements(corpus) {
  const answers = ["chromium", "firefox", "webkit"]
    .map((name) => path.join(ARTIFACTS, `${name}.json`))
    .filter((file) => fs.existsSync(file))
    .map((file) => JSON.parse(fs.readFileSync(file, "utf8")));
  if (answers.length < 2) return;
  const disagreements = corpus
    .map((entry, i) => ({ url: entry.url, base: entry.base, source: entry.source, python: entry.python, engines: Object.fromEntries(answers.map((a) => [a.version, a.origins[i]])) }))
    .filter((row) => new Set(Object.values(row.engines)).size > 1);
  fs.writeFileSync(path.join(ARTIFACTS, "disagreements.json"), JSON.stringify(disagreements, null, 1));
}
