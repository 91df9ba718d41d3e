"""`browser-rt test --self-test`: turn off each of the plugin's fixes and show results go wrong.

In the spirit of `browser-rt gate --self-test`: the sample project (`browser_rt.testing.sample`)
runs once with every fix on, where each test must end exactly as `sample.EXPECTED` says (the
control), then once per fix with that fix turned off through `BROWSER_RT_TESTING_UNFIX`, where
at least one test must end differently (the planted fault is noticed). A fix whose removal
changes nothing is reported as unproven, and the self-test fails; so does a wrong control.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from browser_rt.testing.fixes import FIXES, UNFIX_VARIABLE
from browser_rt.testing.matrix import run_runtime
from browser_rt.testing.sample import HOST, PYODIDE, expected, outcomes_from_junit, write_sample

TRIAL_TIMEOUT_S = 30
"""Per-test timeout in the trials: with the crash fix off, the sample's crash would otherwise
hang each later test for the default two minutes."""


@dataclass
class Trial:
    """One run of the sample: which fix was off (none for a control) and what differed."""

    runtime: str
    fix: str | None
    differences: dict[str, tuple[str, str]] = field(default_factory=dict)
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences if self.fix is None else bool(self.differences)

    def line(self) -> str:
        name = (
            f"control (every fix on) in {self.runtime}"
            if self.fix is None
            else f"without {self.fix!r} in {self.runtime}"
        )
        if self.ok and self.fix is None:
            return f"ok      {name}: every test as expected"
        shown = "; ".join(
            f"{test}: {got} (expected {want})" for test, (want, got) in sorted(self.differences.items())[:4]
        )
        more = f" and {len(self.differences) - 4} more" if len(self.differences) > 4 else ""
        if self.ok:
            return f"ok      {name}: results went wrong, as they must: {shown}{more}"
        if self.fix is None:
            return f"FAILED  {name}: {shown}{more}"
        return f"FAILED  {name}: every result as with the fix on; nothing shows this fix matters"


def run_self_test(
    dist_dir: Path,
    runtimes: Sequence[str] = ("node",),
    fixes: Sequence[str] | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """0 when every control holds and every fault was noticed; 1 otherwise."""
    chosen = [fix.name for fix in FIXES if fixes is None or fix.name in fixes]
    trials: list[Trial] = []
    with tempfile.TemporaryDirectory(prefix="browser-rt-test-selftest-") as work:
        project = Path(work) / "sample"
        write_sample(project)
        trials.append(run_trial(project, HOST, None, dist_dir))
        echo(trials[-1].line())
        for runtime in runtimes:
            trials.append(run_trial(project, runtime, None, dist_dir))
            echo(trials[-1].line())
            for name in chosen:
                trials.append(run_trial(project, runtime, name, dist_dir))
                echo(trials[-1].line())
    failed = [trial for trial in trials if not trial.ok]
    echo(f"browser-rt test --self-test: {len(trials) - len(failed)} of {len(trials)} trials as required")
    return 1 if failed else 0


def run_trial(project: Path, runtime: str, fix: str | None, dist_dir: Path) -> Trial:
    """Run the sample in `runtime` with `fix` off; compare each test's outcome with EXPECTED."""
    env = {k: v for k, v in os.environ.items() if k not in (UNFIX_VARIABLE, "PYTEST_ADDOPTS")}
    if fix is not None:
        env[UNFIX_VARIABLE] = fix
    args = ["-q", "-p", "no:cacheprovider", f"--pyodide-timeout={TRIAL_TIMEOUT_S}"]
    result = run_runtime(runtime, project, args, None if runtime == HOST else dist_dir, env=env, quiet=True)
    got = outcomes_from_junit(result.junit_xml) if result.junit_xml else {}
    want = expected(HOST if runtime == HOST else PYODIDE)
    trial = Trial(runtime, fix, exit_code=result.exit_code)
    for test in sorted(set(want) | set(got)):
        if want.get(test, "absent") != got.get(test, "absent"):
            trial.differences[test] = (want.get(test, "absent"), got.get(test, "absent"))
    return trial
