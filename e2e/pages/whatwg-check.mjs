// This engine's own answer for every URL of corpus.json: `new URL(url, base).origin`, or null
// where the parser throws or the origin is opaque. e2e/whatwg.spec.js compares it with Python's.
const status = document.getElementById("status");
const corpus = await (await fetch("./corpus.json")).json();
const origins = corpus.map(({ url, base }) => {
  try {
    const origin = new URL(url, base ?? undefined).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
});
const results = document.getElementById("results");
results.textContent = JSON.stringify({ count: corpus.length, origins });
results.dataset.state = "done";
status.value = `${corpus.length} URLs`;
