"""What the gate found: findings per check, the NDJSON event log, the JSON report and the summary."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

REPORT_SCHEMA = "browser-rt-security-gate-report-v1"
REPORT_NAME = "security_gate_report.json"
EVENTS_NAME = "security_gate_events.ndjson"


@dataclass(frozen=True)
class Finding:
    """One problem. `code` is stable for tools; `subject` names the test, file or limit."""

    code: str
    message: str
    subject: str = ""
    blocking: bool = True


@dataclass
class CheckResult:
    """The outcome of one check; it passed when no blocking finding was made."""

    id: str
    blocking: bool
    findings: list[Finding] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    ran: bool = True

    @property
    def passed(self) -> bool:
        return self.ran and not any(f.blocking for f in self.findings)

    def fail(self, code: str, message: str, subject: str = "") -> None:
        self.findings.append(Finding(code, message, subject, self.blocking))

    def warn(self, code: str, message: str, subject: str = "") -> None:
        self.findings.append(Finding(code, message, subject, False))


class EventLog:
    """Append-only NDJSON: one line per step, written as it happens so a crash leaves a trail."""

    def __init__(self, path: Path | None) -> None:
        self._seq = 0
        self._handle: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = path.open("w", encoding="utf-8")

    def emit(self, event: str, **fields: Any) -> None:
        self._seq += 1
        if self._handle is None:
            return
        record = {"seq": self._seq, "ts": round(time.time(), 3), "event": event, **fields}
        self._handle.write(json.dumps(record, sort_keys=False, default=str) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@contextmanager
def timed(result: CheckResult, events: EventLog) -> Iterator[CheckResult]:
    """Time a check, log its start and end, and turn a crash into a blocking finding."""
    started = time.monotonic()
    events.emit("check.start", check=result.id)
    try:
        yield result
    except Exception as exc:  # a crashing check must fail, never vanish
        result.fail("check_crashed", f"{type(exc).__name__}: {exc}")
    finally:
        result.duration_s = round(time.monotonic() - started, 3)
        events.emit(
            "check.end",
            check=result.id,
            passed=result.passed,
            blocking=result.blocking,
            findings=[asdict(f) for f in result.findings],
            duration_s=result.duration_s,
        )


def gate_passed(results: list[CheckResult]) -> bool:
    """The gate fails on any blocking check that did not pass (a check that was not run included)."""
    return all(r.passed or not r.blocking for r in results if r.ran)


def write_report(path: Path, header: dict[str, Any], results: list[CheckResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "schema": REPORT_SCHEMA,
        **header,
        "passed": gate_passed(results),
        "checks": [
            {
                "id": r.id,
                "ran": r.ran,
                "blocking": r.blocking,
                "passed": r.passed,
                "duration_s": r.duration_s,
                "findings": [asdict(f) for f in r.findings],
                "details": r.details,
            }
            for r in results
        ],
    }
    path.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")


def summary(results: list[CheckResult], duration_s: float, limit: int = 12) -> str:
    """A readable end-of-run summary: one line per check, then the findings that matter."""
    lines = ["", "security gate"]
    for r in results:
        if not r.ran:
            state = "not run"
        elif r.passed:
            state = "PASS" if not any(r.findings) else "PASS (warnings)"
        else:
            state = "FAIL" if r.blocking else "FAIL (non-blocking)"
        lines.append(f"  {r.id:<16} {state:<20} {r.duration_s:7.1f}s  {r.details.get('summary', '')}")
        shown = [f for f in r.findings if f.blocking] + [f for f in r.findings if not f.blocking]
        for finding in shown[:limit]:
            mark = "x" if finding.blocking else "!"
            subject = f" [{finding.subject}]" if finding.subject else ""
            lines.append(f"      {mark} {finding.code}{subject}: {finding.message}")
        if len(shown) > limit:
            lines.append(f"      ... {len(shown) - limit} more in the report")
    verdict = "PASSED" if gate_passed(results) else "FAILED"
    lines.append(f"gate {verdict} in {duration_s:.1f}s")
    return "\n".join(lines)
