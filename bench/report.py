"""bench/report.md (the table) and one PNG per benchmark (matplotlib, host only)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.stats import median


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    magnitude = abs(value)
    if unit in {"req/s", "steps/s"} or magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 0.1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def _verdict(met: bool | None) -> str:
    if met is None:
        return ""
    return "yes" if met else "**MISSED**"


FIGURE_TITLES = {
    "decision": "1. Decision cost: `authorize()` vs a plain dict lookup",
    "bridge": "2. Bridge overhead: `cx.fetch` vs raw `pyodide.http.pyfetch`, headless Chromium",
    "cold_start": "3. Cold start: `createRuntime()` vs bare `loadPyodide()`, to the first Python result",
    "runtime": "4. Runtime: region spawn+join vs `asyncio.TaskGroup`; lab runtime",
    "memory": "5. Memory: 5,000 fetches through `cx.fetch`",
    "http_libraries": "6. HTTP libraries: `requests.get` vs `cx.fetch` through the same bridge",
    "tool_calls": "7. Tool calls: `cx.tools.call` vs the same JS function called directly",
    "plugin": "8. `pytest --run-in-pyodide` vs one bare session in Pyodide, on published suites",
}


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| figure | measure | browser_rt | peer | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        peer = "-" if row["peer"] is None else f"{_fmt(row['peer'], row['unit'])} ({row['peer_name']})"
        ratio_text = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        lines.append(
            f"| {row['figure']} | {row['measure']} | {_fmt(row['subject'], row['unit'])} | {peer} | "
            f"{ratio_text} | {row['target']} | {_verdict(row['met'])} |"
        )
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    rows = results["rows"]
    missed = [row for row in rows if row["met"] is False]
    out = [
        "# browser_rt benchmarks",
        "",
        "Every figure is a **ratio against a peer measured in the same run**, interleaved with it "
        "(chunks alternate, the order flips every round), so machine noise cancels out of the ratio. "
        "Absolute numbers are only meaningful next to the machine they came from.",
        "",
        f"- machine: {machine['cpu_model']}, {machine['cores']} cores; load average at start "
        f"{', '.join(f'{x:.2f}' for x in machine.get('load_average_at_start', []))}",
        f"- host Python {machine['python']}; Pyodide {machine['pyodide']} "
        f"(Python {machine.get('pyodide_python', '?')}); Node {machine['node']}; "
        f"Chromium {machine.get('chromium', '?')}",
        f"- run: {results['started']}, {results['duration_s']:.0f} s"
        + (" (smoke sizes: not representative)" if results["smoke"] else ""),
        f"- targets missed: {len(missed)} of {sum(1 for r in rows if r['met'] is not None)}",
        "",
    ]
    for figure, title in FIGURE_TITLES.items():
        figure_rows = [row for row in rows if row["figure"] == figure]
        if not figure_rows:
            continue
        out += [f"## {title}", "", table(figure_rows), ""]
        note = results.get("notes", {}).get(figure)
        if note:
            out += [note, ""]
    errors = results.get("errors", {})
    if errors:
        out += ["## Benchmarks that failed to run", ""]
        out += [f"- {name}: {message}" for name, message in errors.items()]
        out.append("")
    return "\n".join(out)


# -- plots ------------------------------------------------------------------------------------------


def plots(results: dict[str, Any], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    figures = results["figures"]

    def save(fig: Any, name: str) -> None:
        path = out_dir / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    decision = figures.get("decision")
    if decision:
        medians = decision["medians_us"]
        fig, axes = plt.subplots(1, len(medians), figsize=(6 * len(medians), 4.2), squeeze=False)
        for axis, (runtime, data) in zip(axes[0], medians.items(), strict=True):
            raw = decision[runtime]
            sizes = raw["sizes"]
            for kind in raw["kinds"]:
                axis.plot(
                    sizes,
                    [data[f"{kind}/{s}"]["subject"] for s in sizes],
                    marker="o",
                    label=f"authorize() {kind}",
                )
            axis.plot(
                sizes,
                [data[f"exact/{s}"]["urlsplit_dict"] for s in sizes],
                ls="--",
                marker="s",
                label="peer: urlsplit + dict",
            )
            axis.plot(
                sizes,
                [data[f"exact/{s}"]["dict"] for s in sizes],
                ls=":",
                marker="^",
                label="peer: dict lookup",
            )
            if runtime == "host":
                axis.axhline(5.0, color="red", lw=0.8, label="target 5 us")
            axis.set_xscale("log")
            axis.set_yscale("log")
            axis.set_xlabel("granted origins")
            axis.set_ylabel("median us per decision")
            axis.set_title("CPython" if runtime == "host" else "Pyodide in Node")
            axis.legend(fontsize=7)
        save(fig, "decision")

    bridge = figures.get("bridge")
    if bridge:
        detail = bridge["detail"]
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        labels, med, p95, thr = [], [], [], []
        for mode, by_c in detail.items():
            for concurrency, d in by_c.items():
                labels.append(f"{mode}\nc={concurrency}")
                med.append(d["median_ratio"])
                p95.append(d["p95_ratio"])
                thr.append(d["throughput_ratio"])
        xs = range(len(labels))
        axes[0].bar([x - 0.2 for x in xs], med, width=0.4, label="median latency ratio")
        axes[0].bar([x + 0.2 for x in xs], p95, width=0.4, label="p95 latency ratio")
        axes[0].axhline(1.10, color="orange", lw=0.8, label="page target 1.10")
        axes[0].axhline(1.25, color="red", lw=0.8, label="worker target 1.25")
        axes[0].axhline(1.0, color="black", lw=0.5)
        axes[0].set_xticks(list(xs), labels, fontsize=8)
        axes[0].set_ylabel("cx.fetch / pyfetch")
        axes[0].set_title("latency (lower is better)")
        axes[0].legend(fontsize=7)
        axes[1].bar(list(xs), thr, width=0.5, color="tab:green")
        axes[1].axhline(0.9, color="red", lw=0.8, label="target 0.9")
        axes[1].axhline(1.0, color="black", lw=0.5)
        axes[1].set_xticks(list(xs), labels, fontsize=8)
        axes[1].set_ylabel("cx.fetch / pyfetch")
        axes[1].set_title("throughput (higher is better)")
        axes[1].legend(fontsize=7)
        save(fig, "bridge")

    cold = figures.get("cold_start")
    if cold and "raw" in cold:
        variants = cold["raw"]["variants"]
        fig, axis = plt.subplots(figsize=(8, 4.2))
        names = list(variants)
        for index, name in enumerate(names):
            values = variants[name]["ms"]
            axis.bar(index, median(values), width=0.6, alpha=0.7)
            axis.scatter([index] * len(values), values, color="black", s=10, zorder=3)
        bare = median(variants["bare_pyodide"]["ms"])
        axis.axhline(bare * 1.10, color="red", lw=0.8, label="target: 1.10x bare")
        axis.set_xticks(range(len(names)), [n.replace("_", "\n") for n in names], fontsize=8)
        axis.set_ylabel("ms to first Python result")
        axis.set_title("cold start in Chromium (median bars, samples as dots)")
        axis.legend(fontsize=7)
        save(fig, "cold_start")

    runtime = figures.get("runtime")
    if runtime:
        spawn = runtime["raw"].get("spawn", {})
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        labels, subject, peer = [], [], []
        for name, data in spawn.items():
            labels.append("CPython" if name == "host" else "Pyodide/Node")
            subject.append(median(data["samples"]["subject"]) * 1000)
            peer.append(median(data["samples"]["peer"]) * 1000)
        xs = range(len(labels))
        axes[0].bar([x - 0.2 for x in xs], subject, width=0.4, label="browser_rt region")
        axes[0].bar([x + 0.2 for x in xs], peer, width=0.4, label="asyncio.TaskGroup")
        axes[0].set_xticks(list(xs), labels)
        axes[0].set_ylabel("ms to spawn and join")
        axes[0].set_title("spawn+join (lower is better)")
        axes[0].legend(fontsize=7)
        lab = runtime["raw"].get("lab")
        if lab:
            steps = median([float(s) for s in lab["steps"]])
            rates = [steps / median(lab["samples"]["subject"]), steps / median(lab["samples"]["peer"])]
            axes[1].bar([0, 1], rates, color=["tab:purple", "tab:gray"])
            axes[1].axhline(50_000, color="red", lw=0.8, label="target 50,000/s")
            axes[1].set_xticks([0, 1], ["LabRuntime", "asyncio loop"])
            axes[1].set_ylabel("task steps per second")
            axes[1].set_title("lab runtime on CPython (higher is better)")
            axes[1].legend(fontsize=7)
        save(fig, "runtime")

    memory = figures.get("memory")
    if memory:
        modes = memory["raw"]["modes"]
        fig, axes = plt.subplots(1, len(modes), figsize=(6 * len(modes), 4.2), squeeze=False)
        for axis, (mode, data) in zip(axes[0], modes.items(), strict=True):
            probes = data["probes"]
            xs = [p["fetches"] for p in probes]
            for key in ("page_js_heap_bytes", "worker_js_heap_bytes", "wasm_heap_bytes"):
                if key in probes[0]:
                    axis.plot(
                        xs,
                        [(p[key] - probes[0][key]) / 1024 for p in probes],
                        marker="o",
                        label=f"{key} (KiB)",
                    )
            axis.plot(
                xs,
                [p["python_objects"] - probes[0]["python_objects"] for p in probes],
                marker="s",
                label="Python objects",
            )
            axis.plot(
                xs,
                [p["pyproxies"] - probes[0]["pyproxies"] for p in probes],
                marker="^",
                label="live PyProxies",
            )
            axis.axhline(0, color="black", lw=0.5)
            axis.set_xlabel("fetches after warm-up")
            axis.set_ylabel("growth since the first probe")
            axis.set_title(f"{mode} mode ({'LEAK' if data['leaks'] else 'no leak'})")
            axis.legend(fontsize=7)
        save(fig, "memory")
    return written
