"""Turn raw samples into the table: medians, p95, ratios against the peer, and target checks."""

from __future__ import annotations

from typing import Any

from bench.stats import median, percentile, ratio

FLAT_LIMIT = 1.25
"""A decision curve is flat when the 10,000-origin median is within 25% of the 1-origin one."""


def _row(
    figure: str,
    measure: str,
    subject: float,
    peer: float | None,
    unit: str,
    *,
    value: float | None = None,
    target: str = "",
    met: bool | None = None,
    peer_name: str = "",
) -> dict[str, Any]:
    shown = ratio(subject, peer) if value is None and peer is not None else value
    return {
        "figure": figure,
        "measure": measure,
        "subject": subject,
        "peer": peer,
        "peer_name": peer_name,
        "unit": unit,
        "ratio": shown,
        "target": target,
        "met": met,
    }


def decision_rows(raw: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for runtime, label in (("host", "CPython"), ("pyodide", "Pyodide/Node")):
        data = raw.get(runtime)
        if data is None:
            continue
        sizes = data["sizes"]
        for kind in data["kinds"]:
            medians = {}
            for size in sizes:
                entry = data["samples"][f"{kind}/{size}"]
                subject_us = median(entry["subject"]) * 1e6
                dict_us = median(entry["dict"]) * 1e6
                medians[size] = subject_us
                checked = runtime == "host" and kind != "wildcard_uncached"
                rows.append(
                    _row(
                        "decision",
                        f"{label} authorize() {kind}, {size:,} origins",
                        subject_us,
                        dict_us,
                        "us",
                        target="<= 5 us" if checked else "",
                        met=(subject_us <= 5.0) if checked else None,
                        peer_name="dict lookup",
                    )
                )
            low, high = medians[min(sizes)], medians[max(sizes)]
            flat = ratio(high, low)
            rows.append(
                _row(
                    "decision",
                    f"{label} {kind}: {max(sizes):,} vs {min(sizes):,} origins",
                    high,
                    low,
                    "us",
                    value=flat,
                    target=f"flat (<= {FLAT_LIMIT})",
                    met=flat <= FLAT_LIMIT,
                    peer_name=f"{min(sizes):,} origins",
                )
            )
    return rows


def decision_extra(raw: dict[str, Any]) -> dict[str, Any]:
    """Per-runtime medians (us) for every side, for the report's detail table and the plot."""
    out: dict[str, Any] = {}
    for runtime in ("host", "pyodide"):
        data = raw.get(runtime)
        if data is None:
            continue
        out[runtime] = {
            key: {side: median(values) * 1e6 for side, values in entry.items()}
            for key, entry in data["samples"].items()
        }
    return out


BRIDGE_TARGETS = {"page": 1.10, "worker": 1.25}
THROUGHPUT_TARGET = 0.9


def bridge_summary(raw: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    detail: dict[str, Any] = {}
    for mode, mode_data in raw["modes"].items():
        limit = BRIDGE_TARGETS[mode]
        detail[mode] = {}
        for concurrency, sides in mode_data["concurrency"].items():
            stats: dict[str, dict[str, float]] = {}
            for side, samples in sides.items():
                lat = samples["lat_ms"]
                stats[side] = {
                    "median_ms": median(lat),
                    "p95_ms": percentile(lat, 0.95),
                    "throughput_rps": len(lat) / sum(samples["chunk_wall_s"]),
                    "chunk_rps_median": median(samples["chunk_rps"]),
                    "requests": float(len(lat)),
                }
            subject, peer = stats["subject"], stats["peer"]
            median_ratio = ratio(subject["median_ms"], peer["median_ms"])
            p95_ratio = ratio(subject["p95_ms"], peer["p95_ms"])
            throughput_ratio = ratio(subject["throughput_rps"], peer["throughput_rps"])
            detail[mode][concurrency] = {
                **{f"subject_{k}": v for k, v in subject.items()},
                **{f"peer_{k}": v for k, v in peer.items()},
                "median_ratio": median_ratio,
                "p95_ratio": p95_ratio,
                "throughput_ratio": throughput_ratio,
            }
            name = "pyfetch (page)" if mode == "page" else "pyfetch (bare worker)"
            rows.append(
                _row(
                    "bridge",
                    f"{mode} mode, concurrency {concurrency}: median latency",
                    subject["median_ms"],
                    peer["median_ms"],
                    "ms",
                    target=f"<= {limit:.2f}x",
                    met=median_ratio <= limit,
                    peer_name=name,
                )
            )
            rows.append(
                _row(
                    "bridge",
                    f"{mode} mode, concurrency {concurrency}: p95 latency",
                    subject["p95_ms"],
                    peer["p95_ms"],
                    "ms",
                    peer_name=name,
                )
            )
            rows.append(
                _row(
                    "bridge",
                    f"{mode} mode, concurrency {concurrency}: throughput",
                    subject["throughput_rps"],
                    peer["throughput_rps"],
                    "req/s",
                    target=f">= {THROUGHPUT_TARGET:.2f}x",
                    met=throughput_ratio >= THROUGHPUT_TARGET,
                    peer_name=name,
                )
            )
    floor = raw.get("route_floor")
    if floor:
        via, own = median(floor["via_page_ms"]), median(floor["own_ms"])
        rows.append(
            _row(
                "bridge",
                "worker mode's floor, JS only: a GET asked of the page thread vs done in the worker",
                via,
                own,
                "ms",
                peer_name="fetch in the worker",
            )
        )
    return rows, detail


def http_library_rows(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """`requests.get` against `cx.fetch` in the same runtime: median latency and throughput."""
    rows: list[dict[str, Any]] = []
    for mode, mode_data in raw["modes"].items():
        sides = mode_data["concurrency"]["1"]
        subject, peer = sides["subject"], sides["peer"]
        rows.append(
            _row(
                "http_libraries",
                f"`requests.get` through the bridge, {mode} mode: median latency",
                median(subject["lat_ms"]),
                median(peer["lat_ms"]),
                "ms",
                peer_name="cx.fetch, same runtime",
            )
        )
        rows.append(
            _row(
                "http_libraries",
                f"`requests.get` through the bridge, {mode} mode: throughput",
                len(subject["lat_ms"]) / sum(subject["chunk_wall_s"]),
                len(peer["lat_ms"]) / sum(peer["chunk_wall_s"]),
                "req/s",
                peer_name="cx.fetch, same runtime",
            )
        )
    return rows


TOOL_CALL_TARGET = 1.5


def tool_call_rows(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """A tool call against a direct call of the same JS function, page mode (the goal: at most
    1.5x); worker mode's tool call against the same page-mode direct call."""
    page = raw["batches_us"]["page"]
    batch_ratio = paired_ratio(page["tool"], page["direct"])
    rows = [
        _row(
            "tool_calls",
            "tool call round trip, page mode: median per call",
            median(page["tool"]),
            median(page["direct"]),
            "us",
            value=batch_ratio,
            target=f"<= {TOOL_CALL_TARGET}x",
            met=batch_ratio <= TOOL_CALL_TARGET,
            peer_name="the same JS function called directly from page-mode Python",
        )
    ]
    worker = raw["batches_us"].get("worker")
    if worker:
        rows.append(
            _row(
                "tool_calls",
                "tool call round trip, worker mode: median per call",
                median(worker["tool"]),
                median(page["direct"]),
                "us",
                peer_name="the page-mode direct call; worker mode has none",
            )
        )
    return rows


COLD_TARGET = 0.35
"""createRuntime() to its first result over bare loadPyodide() to its own, in Chromium (the
runtime starts from its memory snapshot, so it must be far faster than a bare boot)."""


def paired_ratio(subject: list[float], peer: list[float]) -> float:
    """Median of per-round ratios: each round measures both sides back to back, so slow phases
    of a noisy machine hit both and cancel out of the round's ratio."""
    return median([ratio(s, p) for s, p in zip(subject, peer, strict=False)])


def browser_rt_share(stages: list[list[list[Any]]]) -> float:
    """Median ms from the `loading-browser-rt` stage to `ready`: browser_rt's own part of a start
    (loading its wheels, importing it, building the runtime)."""
    spans = []
    for sample in stages:
        at = dict((stage, ms) for stage, ms in sample)
        if "loading-browser-rt" in at and "ready" in at:
            spans.append(at["ready"] - at["loading-browser-rt"])
    return median(spans)


def cold_rows(raw: dict[str, Any], sizes: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    variants = raw["variants"]
    bare_samples = variants["bare_pyodide"]["ms"]
    bare = median(bare_samples)
    labels = {
        "runtime_worker": "createRuntime() worker mode (default)",
        "runtime_page": "createRuntime() page mode",
        "runtime_worker_sources": "createRuntime() worker mode, source wheels (--sources)",
    }
    for name, label in labels.items():
        if name not in variants:
            continue
        value = median(variants[name]["ms"])
        checked = name != "runtime_worker_sources"
        paired = paired_ratio(variants[name]["ms"], bare_samples)
        rows.append(
            _row(
                "cold_start",
                f"{label} to first result (ratio: median of per-round ratios)",
                value,
                bare,
                "ms",
                value=paired,
                target=f"<= {COLD_TARGET:.2f}x" if checked else "",
                met=(paired <= COLD_TARGET) if checked else None,
                peer_name="bare loadPyodide()",
            )
        )
    shares = {name: browser_rt_share(data.get("stages", [])) for name, data in variants.items()}
    source = shares.get("runtime_worker_sources")
    for name, label in labels.items():
        if name in shares:
            compare = name == "runtime_worker" and source is not None
            rows.append(
                _row(
                    "cold_start",
                    f"{label}: browser_rt's part once Pyodide is up (import, build the runtime)",
                    shares[name],
                    source if compare else None,
                    "ms",
                    peer_name="source wheels" if compare else "",
                )
            )
    source_wheel = sizes.get("source_wheel_bytes")
    rows.append(
        _row(
            "cold_start",
            "browser_rt wheel size (bytecode)",
            float(sizes["browser_rt_wheel_bytes"]) / 1024,
            None if source_wheel is None else float(source_wheel) / 1024,
            "KiB",
            peer_name="source wheel" if source_wheel is not None else "",
        )
    )
    rows.append(_row("cold_start", "bundle size", float(sizes["bundle_bytes"]) / (1 << 20), None, "MiB"))
    rows.append(
        _row(
            "cold_start",
            "bundle size without test-only wheels",
            float(sizes["bundle_without_test_wheels_bytes"]) / (1 << 20),
            None,
            "MiB",
        )
    )
    return rows


def engine_cold_rows(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """One engine's cold start against bare loadPyodide() in the same browser (bench/engines.py),
    and its restart after a timeout where one was timed."""
    from bench.engines import COLD_TARGETS

    rows: list[dict[str, Any]] = []
    for engine, data in measured.items():
        bare = median(data["bare_ms"])
        paired = paired_ratio(data["worker_ms"], data["bare_ms"])
        target = COLD_TARGETS[engine]
        rows.append(
            _row(
                "cold_start",
                f"{data['version']}: createRuntime() worker mode to first result, warm HTTP cache, "
                f"{data['rounds']} rounds (ratio: median of per-round ratios)",
                median(data["worker_ms"]),
                bare,
                "ms",
                value=paired,
                target=f"<= {target:.2f}x",
                met=paired <= target,
                peer_name="bare loadPyodide(), same browser",
            )
        )
        if data["restart_ms"]:
            rows.append(
                _row(
                    "cold_start",
                    f"{data['version']}: restart after a timeout, to the next result "
                    f"({len(data['restart_ms'])} restarts)",
                    median(data["restart_ms"]),
                    bare,
                    "ms",
                    peer_name="bare loadPyodide(), same browser",
                )
            )
    return rows


def cold_stages(raw: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Median time (ms since createRuntime was called) at which each progress stage was reported."""
    out: dict[str, dict[str, float]] = {}
    for name, data in raw["variants"].items():
        collected: dict[str, list[float]] = {}
        for sample in data.get("stages", []):
            for stage, at in sample:
                collected.setdefault(stage, []).append(at)
        if collected:
            out[name] = {stage: median(values) for stage, values in collected.items()}
    return out


SPAWN_TARGET = 1.5
LAB_TARGET = 50_000.0


def runtime_rows(raw: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for runtime, label in (("host", "CPython"), ("pyodide", "Pyodide/Node")):
        data = raw.get("spawn", {}).get(runtime)
        if data is None:
            continue
        subject = median(data["samples"]["subject"]) * 1000
        peer = median(data["samples"]["peer"]) * 1000
        r = ratio(subject, peer)
        rows.append(
            _row(
                "runtime",
                f"{label}: spawn+join {data['tasks']:,} tasks in a region",
                subject,
                peer,
                "ms",
                target=f"<= {SPAWN_TARGET:.1f}x",
                met=r <= SPAWN_TARGET,
                peer_name="asyncio.TaskGroup",
            )
        )
    lab = raw.get("lab")
    if lab is not None:
        steps = median([float(s) for s in lab["steps"]])
        lab_rate = steps / median(lab["samples"]["subject"])
        asyncio_rate = steps / median(lab["samples"]["peer"])
        rows.append(
            _row(
                "runtime",
                "CPython: lab runtime task steps per second",
                lab_rate,
                asyncio_rate,
                "steps/s",
                target=f">= {LAB_TARGET:,.0f}/s",
                met=lab_rate >= LAB_TARGET,
                peer_name="same program on asyncio's loop",
            )
        )
    return rows


def memory_rows(raw: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for mode, data in raw["modes"].items():
        first, last = data["probes"][0], data["probes"][-1]
        for key, unit, scale in (
            ("pyproxies", "proxies", 1.0),
            ("python_objects", "objects", 1.0),
            ("page_js_heap_bytes", "MiB", 1 / (1 << 20)),
            ("worker_js_heap_bytes", "MiB", 1 / (1 << 20)),
            ("wasm_heap_bytes", "MiB", 1 / (1 << 20)),
        ):
            if key not in first:
                continue
            leaked = any(leak.startswith(key) for leak in data["leaks"])
            rows.append(
                _row(
                    "memory",
                    f"{mode} mode: {key} after {last['fetches']:,} fetches",
                    last[key] * scale,
                    first[key] * scale,
                    unit,
                    target="no growth beyond noise",
                    met=not leaked,
                    peer_name="before (after warm-up)",
                )
            )
    return rows


def plugin_rows(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per suite and runtime: the plugin's wall time against one bare session."""
    return [
        _row(
            "plugin",
            f"{figure['suite']} ({figure['tests']} tests), {figure['runtime']}",
            figure["plugin_median_s"],
            figure["bare_median_s"],
            "s",
            value=figure["ratio"],
            target="≤ 1.3x",
            met=figure["ratio"] <= 1.3,
            peer_name="one bare pytest.main() in Pyodide",
        )
        for figure in raw
    ]
