// A typed embedding: every call below must match js_bridge/index.d.ts (checked by
// `make test-types` with `tsc --noEmit --strict`). It is compiled, not run.
import {
  createRuntime,
  FetchAuthority,
  PythonError,
  RunInterruptedError,
  WorkerIsolationError,
  type BrowserRuntime,
  type InterruptResult,
} from "../js_bridge/index.mjs";

export async function startApp(output: HTMLElement): Promise<BrowserRuntime> {
  const authority = FetchAuthority.fromJSON({ origins: ["https://api.example.com"], methods: ["GET"] });
  let rt: BrowserRuntime;
  try {
    rt = await createRuntime({
      indexURL: "./pyodide/",
      fetchAuthority: authority.toJSON(),
      isolation: "worker",
      stdout: (line: string) => output.append(`${line}\n`),
      stderr: (line: string) => console.warn(line),
      packages: ["sortedcontainers"],
      files: { "config.json": '{"mode": "demo"}' },
      diagnostics: { mode: "metadata_only", sink: (event) => console.debug(event.type, event.source) },
      onProgress: (stage, fraction) => console.info(stage, Math.round(fraction * 100)),
    });
  } catch (error) {
    if (error instanceof WorkerIsolationError) console.error(error.problems.join("\n"));
    throw error;
  }
  const controller = new AbortController();
  try {
    const greeting: unknown = await rt.runPythonAsync("f'hello {name}'", {
      globals: { name: "world", tags: ["a", "b"], limits: { n: 3 } },
      timeout: 5_000,
      signal: controller.signal,
      filename: "app.py",
    });
    console.log(greeting);
  } catch (error) {
    if (error instanceof PythonError) console.error(error.type, error.traceback.join("\n"));
    else if (error instanceof RunInterruptedError && error.stateLost) console.warn(`restarted: ${error.reason}`);
    else throw error;
  }
  await rt.fs.writeFile("data/in.txt", new TextEncoder().encode("x"));
  const names: string[] = await rt.fs.listdir("data");
  const bytes: Uint8Array = await rt.fs.readFile("data/in.txt");
  const total = await rt.call("__main__:total", [1, 2, 3], { tax: 0.1 });
  const stopped: InterruptResult = await rt.interrupt();
  const dropped: number = rt.outputDropped().stdout;
  const record = rt.bridgeRecord();
  console.log(names, bytes.byteLength, total, stopped.stage, dropped, record.totals.performed, rt.events().length);
  return rt;
}
