"""The redaction check: the unredacted `none` mode is refused whenever CI is set.

Checked by calling the real entry points with `CI=true`, each in a fresh process: Python's
`Diagnostics` and `EmbeddedRuntime` (what the JS host constructs), and the shipped JS bridge's
`checkDiagnostics` and `createRuntime`. Each must refuse `none` even with the explicit opt-in,
and still default to a redacting mode. The demo site and the e2e pages, which CI serves, must
not ask for `none` either.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from browser_rt.gate.report import CheckResult

CI_VALUES = ("true", "1")

_PYTHON_PROBE = r"""
import json
from browser_rt.diagnostics import Diagnostics, DiagnosticsConfigError

out = {"default_mode": Diagnostics().mode}
try:
    Diagnostics(mode="none", allow_unredacted=True)
    out["diagnostics"] = "accepted"
except DiagnosticsConfigError as exc:
    out["diagnostics"] = "refused: " + str(exc)

from browser_rt.host.embed import EmbeddedRuntime

class NoHost:
    async def fetch(self, request):
        raise RuntimeError("no network here")

try:
    EmbeddedRuntime(
        "{}", fetch_host=NoHost(), host_event=None, diagnostics_mode="none", allow_unredacted=True
    )
    out["embedded"] = "accepted"
except DiagnosticsConfigError as exc:
    out["embedded"] = "refused: " + str(exc)
print(json.dumps(out))
"""

_JS_PROBE = r"""
const bridge = process.argv[1];
const { checkDiagnostics } = await import(`${bridge}/diagnostics_options.mjs`);
const { createRuntime } = await import(`${bridge}/index.mjs`);
const out = { default_mode: checkDiagnostics(undefined).mode };
try { checkDiagnostics({ mode: "none", allowUnredacted: true }); out.diagnostics = "accepted"; }
catch (error) { out.diagnostics = `refused: ${error.message}`; }
const none = { mode: "none", allowUnredacted: true };
try {
  const rt = await createRuntime({ isolation: "page", indexURL: "file:///nonexistent/", diagnostics: none });
  out.embedded = "accepted";
  await rt.close();
} catch (error) {
  const message = String(error?.message);
  out.embedded = /CI/.test(message) ? `refused: ${message}` : `failed otherwise: ${message}`;
}
process.stdout.write(JSON.stringify(out));
"""

_CONFIG_NONE = re.compile(
    r"""allowUnredacted\s*:\s*true|allow_unredacted\s*=\s*True|mode\s*[:=]\s*["']none["']"""
)


def probe_python(python: str, ci_value: str, extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Run the Python probe in a fresh interpreter with CI set."""
    env = {**os.environ, **(extra_env or {}), "CI": ci_value}
    done = subprocess.run(
        [python, "-c", _PYTHON_PROBE], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-400:]}
    answer: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def probe_js(node: str, js_bridge: Path, ci_value: str) -> dict[str, str]:
    """Run the JS probe against a js_bridge folder in Node with CI set."""
    env = {**os.environ, "CI": ci_value}
    done = subprocess.run(
        [node, "--input-type=module", "-e", _JS_PROBE, js_bridge.resolve().as_uri()],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-400:]}
    answer: dict[str, str] = json.loads(done.stdout)
    return answer


def check_redaction(
    result: CheckResult,
    *,
    root: Path,
    js_bridge: Path,
    python: str = sys.executable,
    node: str = "node",
    python_env: Mapping[str, str] | None = None,
    scan: tuple[str, ...] = ("site", "e2e"),
) -> None:
    """Every probe must refuse `none` under CI; the pages CI serves must not request it."""
    probes: dict[str, dict[str, str]] = {}
    for value in CI_VALUES:
        probes[f"python CI={value}"] = probe_python(python, value, python_env)
        probes[f"js CI={value}"] = probe_js(node, js_bridge, value)
    for name, answer in probes.items():
        if "error" in answer:
            result.fail("probe_failed", answer["error"], name)
            continue
        if answer.get("default_mode") not in ("metadata_only", "strict"):
            result.fail("default_not_redacting", f"default mode is {answer.get('default_mode')!r}", name)
        for entry in ("diagnostics", "embedded"):
            verdict = answer.get(entry, "")
            if not verdict.startswith("refused: "):
                result.fail(
                    "none_accepted_under_ci", f"{entry}: mode 'none' was {verdict or 'not checked'}", name
                )
    for folder in scan:
        base = root / folder
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            if path.suffix in (".js", ".mjs", ".html", ".json", ".py") and path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                for match in _CONFIG_NONE.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    result.fail(
                        "page_requests_none",
                        f"{match.group(0)!r} at line {line}",
                        path.relative_to(root).as_posix(),
                    )
    result.details["probes"] = probes
    result.details["summary"] = f"{len(probes)} probes with CI set"
