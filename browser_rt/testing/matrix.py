"""Run one project's pytest suite once per runtime and say, in one line each, how it went.

Each runtime is its own pytest process, started from the project's folder with the caller's
pytest arguments: plain pytest for `host`, `--run-in-pyodide --rt=node|chrome --dist-dir=...`
for the others (each option one token: pytest takes a separate folder argument for a test path
when it picks the root). A runtime passed only when pytest exited 0 and its JUnit report holds
at least one test; "no tests ran" is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

RUNTIMES = ("host", "node", "chrome")


@dataclass(frozen=True)
class RuntimeResult:
    """One runtime's pytest run: its exit status, the counts from its report, how long it took."""

    runtime: str
    exit_code: int
    counts: Mapping[str, int]
    seconds: float
    junit_xml: str = ""

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and sum(self.counts.values()) > 0

    def line(self) -> str:
        order = ("passed", "failed", "errors", "skipped", "xfailed")
        counts = ", ".join(f"{self.counts[k]} {k}" for k in order if self.counts.get(k)) or "no tests ran"
        verdict = "passed" if self.passed else f"FAILED (pytest exit status {self.exit_code})"
        return f"browser-rt test: {self.runtime:<6} {verdict}: {counts} in {self.seconds:.1f} s"


def pytest_command(runtime: str, pytest_args: Sequence[str], dist_dir: Path | None, junit: Path) -> list[str]:
    command = [sys.executable, "-m", "pytest", *pytest_args, f"--junitxml={junit}"]
    if runtime != "host":
        assert dist_dir is not None
        command += ["--run-in-pyodide", f"--rt={runtime}", f"--dist-dir={dist_dir}"]
    return command


def run_runtime(
    runtime: str,
    project: Path,
    pytest_args: Sequence[str],
    dist_dir: Path | None,
    *,
    env: Mapping[str, str] | None = None,
    quiet: bool = False,
) -> RuntimeResult:
    """Run the suite in one runtime; its output goes to this terminal unless `quiet`."""
    environment = dict(os.environ if env is None else env)
    if runtime == "chrome":
        environment.setdefault("SE_OFFLINE", "true")  # Selenium Manager would reach the network
    with tempfile.TemporaryDirectory(prefix="browser-rt-test-") as scratch:
        junit = Path(scratch) / f"{runtime}.xml"
        started = time.monotonic()
        run = subprocess.run(
            pytest_command(runtime, pytest_args, dist_dir, junit),
            cwd=project,
            env=environment,
            check=False,
            stdout=subprocess.DEVNULL if quiet else None,
            stderr=subprocess.DEVNULL if quiet else None,
        )
        seconds = time.monotonic() - started
        report = junit.read_text(encoding="utf-8") if junit.is_file() else ""
    return RuntimeResult(runtime, run.returncode, count_outcomes(report), seconds, report)


def count_outcomes(junit_xml: str) -> dict[str, int]:
    """passed/failed/errors/skipped/xfailed counts of a host JUnit report (empty if unreadable)."""
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "xfailed": 0}
    try:
        root = ET.fromstring(junit_xml) if junit_xml.strip() else None
    except ET.ParseError:
        return counts
    for case in [] if root is None else root.iter("testcase"):
        skipped = case.find("skipped")
        if case.find("failure") is not None:
            counts["failed"] += 1
        elif case.find("error") is not None:
            counts["errors"] += 1
        elif skipped is not None:
            counts["xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"] += 1
        else:
            counts["passed"] += 1
    return counts


def run_matrix(
    project: Path,
    runtimes: Sequence[str],
    pytest_args: Sequence[str],
    dist_dir: Path | None,
    echo: Callable[[str], None] = print,
) -> int:
    """Run every runtime in turn, then print one summary line each; 1 if any failed."""
    results = []
    for runtime in runtimes:
        echo(f"\n===== browser-rt test: {runtime} =====")
        sys.stdout.flush()
        results.append(run_runtime(runtime, project, pytest_args, dist_dir))
    echo("")
    for result in results:
        echo(result.line())
    return 0 if all(result.passed for result in results) else 1
