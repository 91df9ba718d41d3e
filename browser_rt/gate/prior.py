"""Reports of earlier test runs that the gate may take instead of running the same tests again.

`make test` runs every suite the gate's scenarios name. `browser-rt gate-record` wraps one
suite's run and stamps its machine-readable report with where it came from: the commit, a digest
of the uncommitted changes, a digest of the bundle, the runtimes it ran in, and the report's own
sha256. `browser-rt gate --reports DIR` then takes a passed verdict from a report only when every
part of that stamp matches the tree and bundle it is gating; anything else (another commit,
another bundle, an edited report, a report without a stamp) is refused with a reason, and the
tests it would have covered run again. A test the report does not show as passed also runs again.

This saves time, not trust: the stamps are plain files, so they prove the run happened here,
on this tree, only as far as the filesystem is trusted. `browser-rt gate` alone reads none.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from browser_rt.gate.results import PASSED, Case, ResultsError, read_playwright_json, read_pytest_junit
from browser_rt.gate.testids import PLAYWRIGHT_PROJECTS, Kind, TestId, pytest_case_matches, titles_match
from browser_rt.tooling.hashing import sha256_file

STAMP_SCHEMA = "browser-rt-test-report-stamp-v1"
STAMP_SUFFIX = ".stamp.json"
PYTEST_JUNIT = "pytest-junit"
PLAYWRIGHT_JSON = "playwright-json"
FORMATS = {PYTEST_JUNIT: ("host", "node", "chrome"), PLAYWRIGHT_JSON: tuple(PLAYWRIGHT_PROJECTS)}
"""Report formats a stamp may name, and the gate runtimes each one can stand for."""


@dataclass(frozen=True)
class TreeState:
    """What a report must have been made from: the commit, the uncommitted changes, the bundle."""

    commit: str | None
    changes_sha256: str | None
    bundle_sha256: str


def tree_state(root: Path, bundle: Path) -> TreeState:
    """The commit and a digest of everything uncommitted (diff and untracked files) plus the bundle's."""
    commit = _git(root, "rev-parse", "HEAD")
    changes: str | None = None
    if commit is not None:
        digest = hashlib.sha256()
        diff = _git(root, "diff", "HEAD", "--binary", raw=True)
        untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", raw=True)
        if diff is None or untracked is None:
            return TreeState(commit, None, bundle_digest(bundle))
        digest.update(diff.encode("utf-8", "surrogateescape"))
        for name in sorted(n for n in untracked.split("\0") if n):
            path = root / name
            digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
            if path.is_file():
                digest.update(sha256_file(path).encode("ascii"))
        changes = digest.hexdigest()
    return TreeState(commit, changes, bundle_digest(bundle))


def bundle_digest(bundle: Path) -> str:
    """sha256 over every file of the bundle (path and content), so any rebuild that differs shows."""
    digest = hashlib.sha256()
    if bundle.is_dir():
        for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
            digest.update(path.relative_to(bundle).as_posix().encode("utf-8") + b"\0")
            digest.update(sha256_file(path).encode("ascii") + b"\n")
    return digest.hexdigest()


def _git(root: Path, *args: str, raw: bool = False) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout if raw else (done.stdout.strip() or None)


# -- writing a stamp ---------------------------------------------------------------------------


def stamp_path(report: Path) -> Path:
    return report.with_name(report.name + STAMP_SUFFIX)


def record_run(
    report: Path,
    report_format: str,
    runtimes: Sequence[str],
    command: Sequence[str],
    root: Path,
    bundle: Path,
) -> int:
    """Run `command` (a suite that writes `report`), then stamp the report; return its exit code.

    The old report and stamp are removed first, so a suite that writes nothing leaves nothing
    for the gate to take. The tree and the bundle are read before and after the run; if they
    differ (a commit, an edit, a rebuild while the suite ran), no stamp is written at all.
    """
    _check_format(report_format, runtimes)
    if not command:
        raise ValueError("no command to run (give it after --)")
    report.unlink(missing_ok=True)
    stamp_path(report).unlink(missing_ok=True)
    state = tree_state(root, bundle)
    started = time.monotonic()
    try:
        code = subprocess.run(list(command), cwd=root, check=False).returncode
    except OSError as exc:
        print(f"browser-rt gate-record: could not start {command[0]}: {exc.strerror}", file=sys.stderr)
        return 127
    if report.is_file() and state == tree_state(root, bundle):
        write_stamp(
            report, report_format, runtimes, state, exit_code=code, duration_s=time.monotonic() - started
        )
    return code


def write_stamp(
    report: Path,
    report_format: str,
    runtimes: Sequence[str],
    state: TreeState,
    *,
    exit_code: int,
    duration_s: float,
) -> Path:
    """Write the stamp beside `report`; it binds the report's sha256 to the tree state."""
    _check_format(report_format, runtimes)
    document = {
        "schema": STAMP_SCHEMA,
        "report": report.name,
        "report_sha256": sha256_file(report),
        "format": report_format,
        "runtimes": list(runtimes),
        "commit": state.commit,
        "changes_sha256": state.changes_sha256,
        "bundle_sha256": state.bundle_sha256,
        "exit_code": exit_code,
        "duration_s": round(duration_s, 3),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = stamp_path(report)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return path


def _check_format(report_format: str, runtimes: Sequence[str]) -> None:
    allowed = FORMATS.get(report_format)
    if allowed is None:
        raise ValueError(f"report format {report_format!r} is not one of {', '.join(FORMATS)}")
    if not runtimes:
        raise ValueError("name the runtimes the report covers")
    if report_format == PYTEST_JUNIT and len(runtimes) != 1:
        raise ValueError("a pytest-junit report is one pytest run: name exactly one runtime")
    for runtime in runtimes:
        if runtime not in allowed:
            raise ValueError(
                f"runtime {runtime!r} cannot come from a {report_format} report ({', '.join(allowed)})"
            )


# -- reading stamps ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A report the gate would not take, and the stable code of why."""

    report: str
    code: str
    message: str


@dataclass(frozen=True)
class AcceptedReport:
    path: Path
    report_format: str
    runtimes: tuple[str, ...]


@dataclass
class PriorReports:
    """The reports whose stamps match the tree being gated, and the ones refused with a reason."""

    accepted: list[AcceptedReport] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    _cases: dict[Path, list[Case]] = field(default_factory=dict)

    def passed(self, kind: Kind, runtime: str, ids: Sequence[TestId]) -> dict[str, tuple[int, str]]:
        """The ids an accepted report shows as run and passed in `runtime`: id -> (cases, report).

        Every case of an id must have passed (every parametrization, every test of a suite);
        an id with no case, or any case not passed, is left out and so runs again.
        """
        taken: dict[str, tuple[int, str]] = {}
        for report in self.accepted:
            if runtime not in report.runtimes or not _format_serves(report.report_format, kind):
                continue
            cases = self._read(report, runtime)
            for test in ids:
                if test.text in taken:
                    continue
                matched = [c for c in cases if _case_is(test, c)]
                if matched and all(c.state == PASSED for c in matched):
                    taken[test.text] = (len(matched), report.path.name)
        return taken

    def _read(self, report: AcceptedReport, runtime: str) -> list[Case]:
        key = report.path.with_name(f"{report.path.name}#{runtime}")
        if key not in self._cases:
            try:
                if report.report_format == PYTEST_JUNIT:
                    cases = read_pytest_junit(report.path)
                else:
                    cases = read_playwright_json(report.path, project=PLAYWRIGHT_PROJECTS[runtime])
            except ResultsError as exc:
                self.refused.append(Refusal(report.path.name, "report_unreadable", str(exc)))
                cases = []
            self._cases[key] = cases
        return self._cases[key]


def _format_serves(report_format: str, kind: Kind) -> bool:
    return (report_format, kind) in ((PYTEST_JUNIT, Kind.PYTEST), (PLAYWRIGHT_JSON, Kind.PLAYWRIGHT))


def _case_is(test: TestId, case: Case) -> bool:
    if test.kind is Kind.PYTEST:
        return pytest_case_matches(test, case.classname, case.titles[-1])
    return case.classname == test.path.removeprefix("e2e/") and titles_match(test, case.titles)


def load_prior_reports(folder: Path, state: TreeState) -> PriorReports:
    """Read every stamp in `folder`; accept a report only if all of its provenance matches `state`."""
    prior = PriorReports()
    if not folder.is_dir():
        prior.refused.append(Refusal(str(folder), "reports_missing", "no such folder: every test runs"))
        return prior
    stamped = {p.name.removesuffix(STAMP_SUFFIX) for p in folder.glob("*" + STAMP_SUFFIX)}
    for report in sorted(folder.iterdir()):
        if report.is_file() and not report.name.endswith(STAMP_SUFFIX) and report.name not in stamped:
            prior.refused.append(Refusal(report.name, "report_unstamped", "no stamp says where it came from"))
    for stamp in sorted(folder.glob("*" + STAMP_SUFFIX)):
        verdict = _judge(stamp, state)
        if isinstance(verdict, Refusal):
            prior.refused.append(verdict)
        else:
            prior.accepted.append(verdict)
    return prior


def _judge(stamp: Path, state: TreeState) -> AcceptedReport | Refusal:
    name = stamp.name.removesuffix(STAMP_SUFFIX)
    try:
        document: Any = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return Refusal(name, "stamp_unreadable", f"{stamp.name}: {exc}")
    if not isinstance(document, dict) or document.get("schema") != STAMP_SCHEMA:
        return Refusal(name, "stamp_unreadable", f"{stamp.name}: not a {STAMP_SCHEMA} document")
    runtimes = document.get("runtimes")
    report_format = document.get("format")
    try:
        if not isinstance(runtimes, list) or not all(isinstance(r, str) for r in runtimes):
            raise ValueError("'runtimes' must be a list of names")
        _check_format(str(report_format), runtimes)
    except ValueError as exc:
        return Refusal(name, "stamp_unreadable", f"{stamp.name}: {exc}")
    if document.get("report") != name:
        return Refusal(name, "report_foreign", f"the stamp is for {document.get('report')!r}, not this file")
    if state.commit is None or document.get("commit") != state.commit:
        return Refusal(
            name, "report_stale_commit", f"made at commit {document.get('commit')}, gating {state.commit}"
        )
    if state.changes_sha256 is None or document.get("changes_sha256") != state.changes_sha256:
        return Refusal(name, "report_stale_changes", "made from other uncommitted changes than the tree's")
    if document.get("bundle_sha256") != state.bundle_sha256:
        return Refusal(name, "report_stale_bundle", "made with another bundle than the one being gated")
    report = stamp.with_name(name)
    if not report.is_file():
        return Refusal(name, "report_missing", "the stamp's report is gone")
    if sha256_file(report) != document.get("report_sha256"):
        return Refusal(name, "report_edited", "the report changed after it was stamped")
    return AcceptedReport(report, str(report_format), tuple(runtimes))
