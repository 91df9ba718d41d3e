// The routing floor of worker mode, in JS only: the same GET, done by this worker itself or
// asked of the page (which fetches and posts the body back), in chunks that alternate. No
// Python and no policy: what is left is the cost of sending the work through the page's thread.
self.onmessage = async ({ data }) => {
  const { url, perChunk, chunks } = data;
  /** @type {((value: unknown) => void)[]} */
  const waiting = [];
  self.onmessage = ({ data: reply }) => waiting.shift()?.(reply);
  const own = [];
  const viaPage = [];
  for (let chunk = 0; chunk < chunks; chunk++) {
    for (let i = 0; i < perChunk; i++) {
      const start = performance.now();
      const response = await fetch(url, { cache: "no-store" });
      await response.arrayBuffer();
      own.push(performance.now() - start);
    }
    for (let i = 0; i < perChunk; i++) {
      const start = performance.now();
      await new Promise((resolve) => {
        waiting.push(resolve);
        self.postMessage({ type: "fetch", url });
      });
      viaPage.push(performance.now() - start);
    }
  }
  self.postMessage({ type: "done", own_ms: own, via_page_ms: viaPage });
};
