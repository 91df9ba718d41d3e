// Flushing through the StorageAuthority against its peer, the page writing the same bytes to
// OPFS itself (one createWritable per file, one file after another), in the same browser and
// run. The store writes a flush's files up to eight at a time. The flush is timed
// inside Python, from the walk of /data to the page's commit answer: Python reads the files,
// they cross to the page, the page checks them and writes them with a manifest.
import { createRuntime } from "/js_bridge/index.mjs";

const ROUNDS = Number(new URLSearchParams(location.search).get("rounds") ?? 7);
const WORKLOADS = [
  { name: "100 files of 10 KB", count: 100, size: 10 * 1024 },
  { name: "one 10 MB file", count: 1, size: 10 * 1024 * 1024 },
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function direct(folder, { count, size }, fill) {
  const bytes = new Uint8Array(size).fill(fill);
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const writable = await (await folder.getFileHandle(`f${i}.bin`, { create: true })).createWritable();
    await writable.write(bytes);
    await writable.close();
  }
  return performance.now() - started;
}

const results = [];
const root = await navigator.storage.getDirectory();
for (const workload of WORKLOADS) {
  const namespace = `bench-${Date.now().toString(36)}-${workload.count}`;
  const rt = await createRuntime({
    indexURL: "/pyodide/", isolation: "worker",
    storageAuthority: { namespace, quota_bytes: 32 << 20, max_file_bytes: 16 << 20 },
  });
  await rt.runPythonAsync(`
import time, browser_rt.storage as s
async def timed_flush(fill):
    data = bytes([fill]) * ${workload.size}
    for i in range(${workload.count}):
        with open(f"/data/f{i}.bin", "wb") as f:
            f.write(data)
    started = time.perf_counter()
    report = await s.flush()
    assert report is not None and report.written == ${workload.count}, report
    return (time.perf_counter() - started) * 1000
`);
  const folder = await root.getDirectoryHandle(`${namespace}-direct`, { create: true });
  const flushMs = [];
  const directMs = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    flushMs.push(await rt.runPythonAsync(`await timed_flush(${round % 250})`));
    directMs.push(await direct(folder, workload, round % 250));
  }
  await rt.close();
  await root.removeEntry(folder.name, { recursive: true });
  const flush = median(flushMs);
  const peer = median(directMs);
  results.push({ workload: workload.name, rounds: ROUNDS, flush_ms: flush, direct_opfs_ms: peer, ratio: flush / peer, flushMs, directMs });
}
const out = document.getElementById("results");
out.textContent = JSON.stringify({ userAgent: navigator.userAgent, results });
out.dataset.state = "done";
