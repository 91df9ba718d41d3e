/** Stages reported while the runtime starts. */
export type ProgressStage = "loading-pyodide" | "loading-browser-rt" | "ready";

export interface RuntimeOptions {
  /** URL (or, in Node, absolute path) of the bundle's pyodide/ folder. */
  indexURL?: string | URL;
  /** Where Python runs. */
  isolation?: "page";
  /** Called with a stage name and a fraction in [0, 1]. */
  onProgress?: (stage: ProgressStage, fraction: number) => void;
}

export interface BrowserRuntime {
  readonly isolation: "page";
  /** Run Python source and resolve with its last expression. */
  runPythonAsync(code: string): Promise<unknown>;
  /** Release the runtime; later calls reject. */
  close(): Promise<void>;
}

export function createRuntime(options?: RuntimeOptions): Promise<BrowserRuntime>;
