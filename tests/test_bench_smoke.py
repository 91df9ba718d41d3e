"""The benchmarks at tiny sizes, so that they keep running (`make bench` runs them for real)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "build" / "bundle"


@pytest.mark.host_only(reason="drives Node, Chromium and the bundle from the host")
def test_every_benchmark_runs_at_smoke_size(tmp_path: Path) -> None:
    if not (BUNDLE / "pyodide" / "pyodide.mjs").is_file():
        pytest.skip("no bundle at build/bundle: run `make bundle` first")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--no-plots", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"bench --smoke failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["errors"] == {}
    assert results["leaks"] == []
    benchmarks = {
        "decision",
        "bridge",
        "cold_start",
        "runtime",
        "memory",
        "http_libraries",
        "tool_calls",
        "plugin",
    }
    assert set(results["figures"]) == benchmarks
    assert set(results["figures"]["cold_start"]["raw"]["variants"]) == {
        "bare_pyodide",
        "runtime_worker",
        "runtime_page",
        "runtime_worker_sources",
    }
    engines = results["figures"]["cold_start"]["engines"]
    assert set(engines) == {"chromium", "firefox", "webkit"}
    assert all(data["worker_ms"] and data["bare_ms"] for data in engines.values())
    assert engines["chromium"]["restart_ms"] and engines["firefox"]["restart_ms"]
    figures = {row["figure"] for row in results["rows"]}
    assert figures == benchmarks
    assert all(row["subject"] is not None for row in results["rows"])
    assert "| figure | measure |" in (tmp_path / "report.md").read_text(encoding="utf-8")


@pytest.mark.host_only(reason="drives Node, Chromium and the bundle from the host")
def test_the_tool_call_benchmark_runs_at_smoke_size(tmp_path: Path) -> None:
    if not (BUNDLE / "pyodide" / "pyodide.mjs").is_file():
        pytest.skip("no bundle at build/bundle: run `make bundle` first")
    argv = [
        sys.executable,
        "-m",
        "bench",
        "--smoke",
        "--no-plots",
        "--only",
        "tool_calls",
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (
        f"bench --only tool_calls failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["errors"] == {} and set(results["figures"]) == {"tool_calls"}
    page, worker = results["rows"]
    assert page["target"] == "<= 1.5x" and page["peer"] > 0 and page["subject"] > 0 and page["ratio"] > 0
    assert "worker mode" in worker["measure"] and worker["subject"] > 0
    batches = results["figures"]["tool_calls"]["raw"]["batches_us"]
    assert len(batches["page"]["tool"]) == len(batches["page"]["direct"]) == 4
    assert "## 7. Tool calls" in (tmp_path / "report.md").read_text(encoding="utf-8")


@pytest.mark.host_only(reason="the bench package lives beside the tests on the host only")
def test_a_steady_rise_is_a_leak_and_noise_is_not() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.browser import leak_verdict
    finally:
        sys.path.remove(str(ROOT))
    limits = {"pyproxies": 16, "page_js_heap_bytes": 2 << 20}
    flat = [{"pyproxies": 3, "page_js_heap_bytes": 9_000_000 + (i % 3) * 400_000} for i in range(11)]
    assert leak_verdict(flat, limits)["leaks"] == []
    one_late_spike = [*flat[:-1], {"pyproxies": 3, "page_js_heap_bytes": 12_000_000}]
    assert leak_verdict(one_late_spike, limits)["leaks"] == []
    rising = [{"pyproxies": 3 + 5 * i, "page_js_heap_bytes": 9_000_000 + 500_000 * i} for i in range(11)]
    leaks = leak_verdict(rising, limits)["leaks"]
    assert [leak.split()[0] for leak in leaks] == ["pyproxies", "page_js_heap_bytes"]


@pytest.mark.host_only(reason="the bench package lives beside the tests on the host only")
def test_an_engine_figure_that_measured_something_else_is_refused() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.engines import check_figures
    finally:
        sys.path.remove(str(ROOT))
    good = {
        "engine": "Firefox 153",
        "bare_ms": [3000, 3100],
        "worker_ms": [900, 950],
        "restart_ms": [700, 720],
        "boots": ["restored"],
        "restart_stages": ["restart"],
        "handouts": ["fetched,reused"],
    }
    checked = check_figures("firefox", good, rounds=2, restarts=1)
    assert checked["worker_ms"] == [900.0, 950.0] and checked["version"] == "Firefox 153"
    faults = {
        "a sample missing": {"worker_ms": [900]},
        "a normal boot": {"boots": ["restored", "fallback:hash_mismatch"]},
        "no restart figure": {"restart_ms": [700]},
        "a timeout that did not restart": {"restart_stages": ["cancel"]},
    }
    for fault, change in faults.items():
        with pytest.raises(RuntimeError):
            check_figures("firefox", {**good, **change}, rounds=2, restarts=1)
            pytest.fail(f"{fault} was accepted")


@pytest.mark.host_only(reason="drives Node and pytest from the host")
def test_the_plugin_benchmark_runs_at_smoke_size() -> None:
    if not (BUNDLE / "pyodide" / "pyodide.mjs").is_file():
        pytest.skip("no bundle at build/bundle: run `make bundle` first")
    options = ["--suite", "generated", "--runtime", "node", "--rounds", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.plugin_session", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    figures = json.loads(done.stdout)
    assert figures["tests"] == 10 and figures["outcomes"] == {"passed": 10} and figures["differing"] == []
    assert figures["bare_session_s"][0] > 0 and figures["plugin_s"][0] > 0 and figures["ratio"] > 0
