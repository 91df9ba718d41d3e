"""The cold start in each engine: Chromium, Firefox ESR and WebKitGTK, through e2e/engines.js.

bench/snapshot_start.mjs drives one engine per run the way the cross-engine suites do (Playwright
for Chromium, puppeteer over WebDriver BiDi for Firefox, WebKitWebDriver for WebKitGTK, which
needs an X display: it runs under `xvfb-run -a` where there is none). Each round opens a fresh
page twice in one browser, in alternating order: a bare `loadPyodide()` to its first result, and
`createRuntime()` in worker mode to its first result, then the given number of restarts forced
by a timeout on a busy loop, each timed to the next result. The bundle is served by
`browser-rt serve`, which sends the worker's CSP. Unlike the Chromium figure of bench/browser.py
(a fresh browser context per sample), the HTTP cache is warm here, for both sides alike.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.stats import ROOT

ENGINES = ("chromium", "firefox", "webkit")
COLD_TARGETS = {"chromium": 0.35, "firefox": 0.5, "webkit": 0.5}
"""The goals: createRuntime() in worker mode over bare loadPyodide(), same engine."""
DRIVER = ROOT / "bench" / "snapshot_start.mjs"


def cold_start_in(
    engine: str, bundle: Path, *, rounds: int, restarts: int, warmup: bool, timeout_s: float = 900
) -> dict[str, Any]:
    """One engine's samples: bare and worker-mode first results, paired by round, and restarts."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    argv = ["node", str(DRIVER), engine, str(rounds), str(bundle), f"restart={restarts}", "--no-transfer"]
    if not warmup:
        argv.append("--no-warmup")
    if engine == "webkit" and not os.environ.get("DISPLAY"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            raise RuntimeError("WebKitGTK's MiniBrowser needs an X display, and xvfb-run is not installed")
        argv = [xvfb, "-a", *argv]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{engine}: snapshot_start.mjs exited {done.returncode}: {done.stderr.strip()[-1500:]}"
        )
    try:
        figures: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(f"{engine}: unreadable output ({error}): {done.stdout[-500:]!r}") from None
    return check_figures(engine, figures, rounds=rounds, restarts=restarts)


def check_figures(engine: str, figures: dict[str, Any], *, rounds: int, restarts: int) -> dict[str, Any]:
    """Refuse a run that measured something else: a sample missing, a worker that booted the
    normal way (the figure is the snapshot's), or a restart that was not one."""
    bare, worker, restart = figures.get("bare_ms"), figures.get("worker_ms"), figures.get("restart_ms")
    if not (isinstance(bare, list) and isinstance(worker, list) and len(bare) == len(worker) == rounds):
        raise RuntimeError(f"{engine}: expected {rounds} samples per side, got {figures!r}"[:600])
    if figures.get("boots") != ["restored"]:
        raise RuntimeError(
            f"{engine}: the worker did not restore the snapshot every time: {figures.get('boots')}"
        )
    if not isinstance(restart, list) or len(restart) != rounds * restarts:
        raise RuntimeError(f"{engine}: expected {rounds * restarts} restart figures, got {restart!r}")
    if restarts and figures.get("restart_stages") != ["restart"]:
        raise RuntimeError(f"{engine}: a timeout did not restart the worker: {figures.get('restart_stages')}")
    return {
        "engine": engine,
        "version": str(figures.get("engine", engine)),
        "rounds": rounds,
        "restarts_per_round": restarts,
        "bare_ms": [float(x) for x in bare],
        "worker_ms": [float(x) for x in worker],
        "restart_ms": [float(x) for x in restart],
        "handouts": figures.get("handouts", []),
    }
