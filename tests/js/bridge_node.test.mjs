// Python's cx.fetch through the real bridge in Node (page isolation), against two loopback
// origins: A is granted, B never is. B's log must stay empty after every denial.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { bundleDir } from "./helpers.mjs";

/** A loopback server that logs every request and can redirect, stall, drip or send a lot. */
function startServer() {
  const log = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const entry = { method: req.method, path: url.pathname, aborted: false };
    log.push(entry);
    res.on("close", () => {
      if (!res.writableFinished) entry.aborted = true;
    });
    const cors = { "access-control-allow-origin": "*" };
    if (url.pathname === "/redirect") {
      res.writeHead(302, { ...cors, location: url.searchParams.get("to") });
      res.end();
    } else if (url.pathname === "/slow") {
      setTimeout(() => res.writeHead(200, cors).end("late"), Number(url.searchParams.get("ms")));
    } else if (url.pathname === "/drip") {
      res.writeHead(200, cors);
      const timer = setInterval(() => res.write("x"), 50);
      res.on("close", () => clearInterval(timer));
    } else if (url.pathname === "/big") {
      res.writeHead(200, cors);
      res.end(Buffer.alloc(Number(url.searchParams.get("bytes")), 120));
    } else {
      let size = 0;
      req.on("data", (chunk) => (size += chunk.length));
      req.on("end", () => res.writeHead(200, { ...cors, "content-type": "application/json" })
        .end(JSON.stringify({ method: req.method, path: url.pathname, body_bytes: size })));
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    resolve({ server, log, origin: `http://127.0.0.1:${server.address().port}` });
  }));
}

const OUTCOME = `
from browser_rt import current_cx
from browser_rt.fetch import FetchDenied, FetchError

async def outcome(url, **kw):
    try:
        r = await current_cx().fetch(url, **kw)
    except FetchDenied as e:
        return {"denied": e.reason}
    except FetchError as e:
        return {"error": e.code}
    return {"status": r.status, "body": await r.text()}
`;

describe("cx.fetch in Node", { timeout: 120_000 }, () => {
  let A;
  let B;
  let rt;
  const events = [];

  before(async () => {
    A = await startServer();
    B = await startServer();
    const { createRuntime } = await import(`${bundleDir()}/js_bridge/index.mjs`);
    rt = await createRuntime({
      isolation: "page",
      indexURL: `${bundleDir()}/pyodide/`,
      fetchAuthority: { origins: [A.origin], methods: ["GET", "POST"], max_response_body_bytes: 4096 },
      diagnostics: { sink: (event) => events.push(event) },
    });
    await rt.runPythonAsync(OUTCOME);
  });

  after(async () => {
    await rt?.close();
    A?.server.closeAllConnections();
    B?.server.closeAllConnections();
    A?.server.close();
    B?.server.close();
  });

  test("allowed GET and POST reach A", async () => {
    const [get, post] = await rt.runPythonAsync(
      `[await outcome("${A.origin}/items"), await outcome("${A.origin}/items", method="POST", body=b"abc")]`,
    );
    assert.equal(get.status, 200);
    assert.deepEqual(JSON.parse(post.body), { method: "POST", path: "/items", body_bytes: 3 });
    assert.deepEqual(A.log.slice(-2).map((e) => e.method), ["GET", "POST"]);
  });

  test("denials raise FetchDenied and B sees nothing", async () => {
    const outcomes = await rt.runPythonAsync(`[
      await outcome("${B.origin}/x"),
      await outcome("${A.origin}/x", method="PUT", body="x"),
      await outcome("${A.origin}/x", credentials="include"),
      await outcome("${A.origin}/x", headers={"x-http-method-override": "DELETE"}),
    ]`);
    assert.deepEqual(outcomes.map((o) => o.denied), ["origin_denied", "method_denied", "credentials_denied", "forbidden_header"]);
    assert.equal(B.log.length, 0);
    const denials = events.filter((e) => e.type === "fetch.decision" && e.decision === "deny");
    assert.ok(denials.length >= 4);
  });

  test("redirect to B, timeout, cap and cancellation", async () => {
    const before = A.log.length;
    const [redirect, timeout, big, cancelled] = await rt.runPythonAsync(`
import asyncio
redirect = await outcome("${A.origin}/redirect?to=${encodeURIComponent(`${B.origin}/landing`)}")
timeout = await outcome("${A.origin}/slow?ms=2000", timeout=0.3)
big = await outcome("${A.origin}/big?bytes=10000")
task = asyncio.ensure_future(outcome("${A.origin}/drip"))
await asyncio.sleep(0.3)
task.cancel()
try:
    await task
    cancelled = False
except asyncio.CancelledError:
    cancelled = True
[redirect, timeout, big, cancelled]`);
    assert.deepEqual(redirect, { error: "redirect_denied" });
    assert.deepEqual(timeout, { error: "timeout" });
    assert.deepEqual(big, { error: "response_too_large" });
    assert.equal(cancelled, true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const drip = A.log.slice(before).find((e) => e.path === "/drip");
    assert.equal(drip.aborted, true);
    assert.equal(B.log.length, 0);
  });
});
