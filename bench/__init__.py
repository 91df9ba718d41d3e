"""browser_rt benchmarks: each figure is a ratio against a peer measured in the same run.

`python -m bench` runs every benchmark and writes bench/results.json, bench/report.md and one
PNG per benchmark; `python -m bench --smoke` runs each at a tiny size. See docs/bench.md.
"""
