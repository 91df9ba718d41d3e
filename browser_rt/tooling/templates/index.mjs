// The bundle's own page: starts browser_rt in worker mode under the bundle's policy.json.
import { createRuntime } from "./js_bridge/index.mjs";

const status = document.getElementById("status");
try {
  const policy = await (await fetch("./policy.json")).json();
  const rt = await createRuntime({
    indexURL: "./pyodide/",
    fetchAuthority: policy,
    onProgress: (stage, fraction) => { status.value = `${stage} ${Math.round(fraction * 100)}%`; },
  });
  const out = await rt.runPythonAsync("import sys, browser_rt\nf'{sys.platform} browser_rt {browser_rt.__version__}'");
  document.getElementById("result").value = out;
  status.value = "ready";
  document.body.dataset.state = "ready";
} catch (err) {
  status.value = `error: ${err}`;
  document.body.dataset.state = "error";
}
