// @ts-check
/**
 * The loopback ports of one e2e run, chosen by the kernel so the suite runs beside other local
 * servers and two checkouts can test at once. playwright.config.js is loaded by the runner and
 * again by every worker process: the first load picks the ports and leaves them in the
 * environment, which the workers inherit, so every process agrees on them.
 */
const { execFileSync } = require("node:child_process");

const VARIABLE = "BROWSER_RT_E2E_PORTS";
const NAMES = /** @type {const} */ (["harness", "api", "other", "demo", "demoApi", "demoOther", "isolated", "isolatedApi", "isolatedOther"]);

/** Ask the kernel for `count` ports that are free right now (a child process, so this stays synchronous). */
function freePortsSync(count) {
  const script = `
    const net = require("node:net");
    const servers = [];
    let left = ${count};
    for (let i = 0; i < ${count}; i++) {
      const server = net.createServer();
      servers.push(server);
      server.listen(0, "127.0.0.1", () => { if (--left === 0) {
        console.log(servers.map((s) => s.address().port).join(","));
        servers.forEach((s) => s.close());
      } });
    }`;
  return execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim();
}

if (!process.env[VARIABLE]) process.env[VARIABLE] = freePortsSync(NAMES.length);
const values = String(process.env[VARIABLE]).split(",").map(Number);
if (values.length !== NAMES.length || values.some((port) => !Number.isInteger(port) || port <= 0 || port > 65535)) {
  throw new Error(`${VARIABLE}=${process.env[VARIABLE]}: expected ${NAMES.length} port numbers (${NAMES.join(", ")})`);
}

/** @type {Record<typeof NAMES[number], number>} */
const ports = /** @type {any} */ (Object.fromEntries(NAMES.map((name, i) => [name, values[i]])));
const origin = (/** @type {number} */ port) => `http://127.0.0.1:${port}`;

module.exports = { ports, origin, VARIABLE };
