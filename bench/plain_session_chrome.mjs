// One plain pytest.main() inside Pyodide in headless Chromium over a project's files: the
// control that `pytest --run-in-pyodide --rt chrome` is compared with (bench/plugin_session.py).
// The project's folder goes into the page's filesystem at its own path from one zip archive,
// as the plugin's Chromium session does, and the JUnit report comes back to the given file.
// Usage: node bench/plain_session_chrome.mjs <bundle/pyodide dir> <project> <path entry or ""> <junit.xml> [packages, comma-separated]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { chromium } = require("@playwright/test");

const [pyodideDir, root, pathEntry, junit, packages = "pytest,hypothesis"] = process.argv.slice(2);
if (!pyodideDir || !root || pathEntry === undefined || !junit) {
  console.error("usage: node bench/plain_session_chrome.mjs <pyodide dir> <project> <path entry> <junit.xml>");
  process.exit(2);
}
const flags = require("../tests/playwright-chromium-flags.cjs");
const TYPES = { ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html" };

const scratch = mkdtempSync(join(tmpdir(), "bench-plain-chrome-"));
const archive = join(scratch, "project.zip");
// The same pruning as the plugin's archive: no caches, no virtualenvs, no VCS folder.
const ZIP = `
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
pruned = {"__pycache__", ".git", ".venv", ".pytest_cache", ".hypothesis", "node_modules"}
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1, strict_timestamps=False) as archive:
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in pruned)
        for name in sorted(files):
            path = os.path.join(here, name)
            archive.write(path, path.lstrip("/"))
`;
execFileSync("python3", ["-c", ZIP, resolve(root), archive]);

const server = createServer((request, response) => {
  const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
  let file = null;
  if (path === "/") file = null;
  else if (path === "/project.zip") file = archive;
  else if (path.startsWith("/pyodide/") && !path.includes("..")) file = join(pyodideDir, path.slice("/pyodide/".length));
  try {
    const body = file === null ? Buffer.from("<!doctype html><title>plain session</title>") : readFileSync(file);
    response.writeHead(200, { "content-type": file === null ? "text/html" : TYPES[extname(file)] ?? "application/octet-stream" });
    response.end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise((done) => server.listen(0, "127.0.0.1", () => done(undefined)));
const origin = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: flags });
try {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  const report = await page.evaluate(async ([rootPath, entry, junitName, wanted, inside]) => {
    const { loadPyodide } = await import("/pyodide/pyodide.mjs");
    const pyodide = await loadPyodide({ indexURL: "/pyodide/", stdout: () => {}, stderr: () => {} });
    await pyodide.loadPackage(wanted, { messageCallback: () => {} });
    const zip = await (await fetch("/project.zip")).arrayBuffer();
    pyodide.unpackArchive(zip, "zip", { extractDir: "/" });
    pyodide.runPython(inside);
    pyodide.globals.get("run")(rootPath, entry, `/tmp/${junitName}`);
    return pyodide.FS.readFile(`/tmp/${junitName}`, { encoding: "utf8" });
  }, [resolve(root), pathEntry, "plain-session.xml", packages.split(","), readFileSync(new URL("plain_session_inside.py", import.meta.url), "utf8")]);
  writeFileSync(junit, report);
} finally {
  await browser.close();
  server.close();
  rmSync(scratch, { recursive: true, force: true });
}
