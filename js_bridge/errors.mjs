// @ts-check
/**
 * The errors a runtime rejects with, so an app can tell them apart with `instanceof` or `name`:
 * the user's Python raised (PythonError), a run was stopped (RunInterruptedError), or worker
 * mode could not prove its boundary (WorkerIsolationError).
 */

/** The user's Python code raised. `type` is the Python exception's type name. */
export class PythonError extends Error {
  /**
   * @param {{type: string, message: string, traceback: string[]}} details
   *   `traceback` holds only the frames of the user's own code, outermost first
   */
  constructor({ type, message, traceback }) {
    super(message ? `${type}: ${message}` : type);
    this.name = "PythonError";
    this.type = type;
    this.pythonMessage = message;
    this.traceback = Object.freeze(traceback.slice());
  }
}

/**
 * A run was stopped by `timeout`, its `signal` or `rt.interrupt()`, or because Pyodide failed
 * fatally (`fatal`: an abort, such as memory running out where no MemoryError could be raised).
 * `stage` says how:
 * - `cancel`: cancelled at its next await; the runtime and its state are intact;
 * - `keyboard-interrupt`: a KeyboardInterrupt through Pyodide's interrupt buffer (the page is
 *   cross-origin isolated); the runtime and its state are intact;
 * - `restart`: the worker was terminated and a fresh one started with the same frozen authority;
 *   `stateLost` is true: globals, files and imported modules of the old one are gone;
 * - `closed`: page mode after a fatal failure: the runtime is closed (`stateLost`).
 */
export class RunInterruptedError extends Error {
  /**
   * @param {"timeout" | "signal" | "interrupt" | "close" | "fatal"} reason
   * @param {"cancel" | "keyboard-interrupt" | "restart" | "closed"} stage
   */
  constructor(reason, stage) {
    const lost = stage === "restart" || stage === "closed";
    super(`run stopped (${reason}) by ${stage}${lost ? ": the runtime was restarted and its state was lost" : ""}`);
    this.name = "RunInterruptedError";
    this.reason = reason;
    this.stage = stage;
    this.stateLost = lost;
  }
}

/**
 * Worker mode refused to start because it could not prove its realm is under a policy that
 * holds the boundary. `problems` lists each missing piece; the message says how to fix it.
 */
export class WorkerIsolationError extends Error {
  /** @param {string[]} problems @param {string} help */
  constructor(problems, help) {
    super(`browser_rt worker isolation cannot be proven: ${problems.join("; ")}. Fix: ${help}`);
    this.name = "WorkerIsolationError";
    this.problems = Object.freeze(problems.slice());
  }
}
