// @ts-check
/**
 * A plain static host for the specs: a temporary folder served by Python's own `http.server`,
 * which sends no CSP and no other security header, as a bucket or GitHub Pages would.
 */
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { freePort } = require("./engines");

const ROOT = path.resolve(__dirname, "..");

/**
 * @param {{copy?: string, files?: Record<string, string | Buffer>}} contents a folder to copy
 *   in, and files to write (relative path -> content)
 * @returns {Promise<{origin: string, folder: string, stop: () => void, requests: () => string[]}>}
 *   `requests` lists the paths the host was asked for (GET, HEAD), from its own log
 */
async function startPlainStaticHost({ copy, files = {} }) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "browser-rt-static-"));
  if (copy) fs.cpSync(copy, folder, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    fs.writeFileSync(path.join(folder, name), content);
  }
  const port = await freePort();
  const server = spawn(path.join(ROOT, ".venv", "bin", "python"), ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", folder], { stdio: ["ignore", "ignore", "pipe"] });
  /** @type {string[]} */
  const requests = [];
  let pendingLog = "";
  // http.server logs one line per request on stderr: `... "GET /path HTTP/1.1" 200 -`.
  server.stderr?.setEncoding("utf8").on("data", (/** @type {string} */ chunk) => {
    const lines = (pendingLog + chunk).split("\n");
    pendingLog = lines.pop() ?? "";
    for (const line of lines) {
      const match = /"(?:GET|HEAD) (\S+) HTTP/.exec(line);
      if (match) requests.push(match[1]);
    }
  });
  const origin = `http://127.0.0.1:${port}`;
  const stop = () => {
    server.kill();
    fs.rmSync(folder, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const response = await fetch(`${origin}/`);
      if (!response.headers.has("content-security-policy")) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error("the plain static server did not start");
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { origin, folder, stop, requests: () => requests.slice() };
}

module.exports = { startPlainStaticHost, ROOT };
