"""The security release gate: runs the tests behind each adversarial claim and checks the release.

`browser-rt gate` reads `security/policy.json`, runs every mapped test in the runtimes it names
(host CPython, Pyodide in Node and Chromium, `node --test`, Playwright), and checks the protocol
bounds, the dependency allowlist, the artifact integrity manifest and the redaction guard. A
check passes only on evidence: a test that did not run, or was skipped, fails its scenario.
`browser-rt gate --self-test` breaks each check on purpose and asserts that the gate notices.
"""

from __future__ import annotations

from browser_rt.gate.config import GateConfig, GateConfigError, load_config

__all__ = ["GateConfig", "GateConfigError", "load_config"]
