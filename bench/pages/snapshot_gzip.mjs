// One sample of the snapshot transfer benchmark (bench/snapshot_gzip.mjs opens this page in each
// engine): ?variant=gzip reads the bundle's snapshot file and unpacks it in the page with
// DecompressionStream; ?variant=raw reads an unpacked copy of it as it is. Both skip the HTTP cache and end with the
// sha256 the start checks, so the figures are the whole cost of getting verified bytes.
const params = new URLSearchParams(location.search);
const variant = params.get("variant");
const result = document.getElementById("result");

async function read() {
  if (variant === "raw") return new Uint8Array(await (await fetch("/raw/browser_rt.snapshot", { cache: "no-store" })).arrayBuffer());
  const response = await fetch("/pyodide/browser_rt.snapshot.gz", { cache: "no-store" });
  const unpacked = response.body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(unpacked).arrayBuffer());
}

try {
  const start = performance.now();
  const bytes = await read();
  const read_ms = performance.now() - start;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const ms = performance.now() - start;
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  result.textContent = JSON.stringify({ ok: true, ms, read_ms, hash_ms: ms - read_ms, bytes: bytes.length, sha256 });
} catch (error) {
  result.textContent = JSON.stringify({ ok: false, message: String(error?.message ?? error) });
}
result.dataset.state = "done";
