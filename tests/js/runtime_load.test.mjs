// Loads Pyodide from the offline bundle in Node and imports browser_rt there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bundleDir } from "./helpers.mjs";

test("createRuntime loads Pyodide and browser_rt from the bundle", { timeout: 120_000 }, async () => {
  const { createRuntime } = await import(`${bundleDir()}/js_bridge/index.mjs`);
  const stages = [];
  const rt = await createRuntime({
    indexURL: `${bundleDir()}/pyodide/`,
    isolation: "page",
    onProgress: (stage, fraction) => stages.push([stage, fraction]),
  });
  const out = await rt.runPythonAsync(
    "import sys, browser_rt\n(sys.platform, browser_rt.__version__, browser_rt.__file__)",
  );
  const [platform, version, file] = out;
  assert.equal(platform, "emscripten");
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.match(file, /site-packages\/browser_rt\/__init__\.pyc$/, "the bundle ships browser_rt as bytecode");
  assert.deepEqual(stages.at(-1), ["ready", 1]);
  await rt.close();
  await assert.rejects(rt.runPythonAsync("1"), /runtime is closed/);
});

test("createRuntime rejects an unknown isolation mode by name", async () => {
  const { createRuntime } = await import(`${bundleDir()}/js_bridge/index.mjs`);
  await assert.rejects(createRuntime({ isolation: "iframe" }), /isolation must be one of .*got iframe/);
  await assert.rejects(createRuntime({ isolaton: "page" }), /unknown option "isolaton"/);
  await assert.rejects(createRuntime({ isolation: "worker" }), /needs module Workers/);
  await assert.rejects(createRuntime({ fetchAuthority: { origins: ["https://a.example/x"] } }), /origins\[0\]: path not allowed/);
  await assert.rejects(createRuntime({ diagnostics: { mode: "none" } }), /allowUnredacted: true/);
});
