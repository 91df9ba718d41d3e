"""What happened to one forwarded test, read from the JUnit report pytest wrote inside Pyodide.

Only evidence counts: a test is passed when the report holds a case for it with no failure, no
error and no skip, and pytest inside exited 0. A report with no case for the test (pytest did
not find it, or stopped before it), a collection error, or an inner exit status that disagrees
is a failure, never a pass. The host then raises the matching pytest outcome.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["passed", "failed", "skipped", "xfailed"]

DID_NOT_RUN = "did not run inside Pyodide"
"""Words the security gate (`browser_rt.gate.runners`) reads as a harness failure worth a retry."""

OUTPUT_TAIL = 4000
"""How much of the inner pytest's own terminal output a failure quotes."""


@dataclass(frozen=True)
class Verdict:
    """One forwarded test's outcome, its message (reason or traceback) and captured output."""

    outcome: Outcome
    message: str = ""
    stdout: str = ""
    stderr: str = ""


def read_verdict(
    nodeid: str, exit_code: int | None, junit_xml: str, output: str = "", *, strict: bool = True
) -> Verdict:
    """The verdict for `nodeid` from the inner run's exit code, JUnit XML and terminal output.

    `strict=False` is pytest-pyodide's own reading (only a `<failure>` fails), kept for the
    planted-fault self-test.
    """
    try:
        root = ET.fromstring(junit_xml) if junit_xml.strip() else None
    except ET.ParseError as exc:
        return Verdict("failed", f"{nodeid} {DID_NOT_RUN}: its JUnit report is unreadable ({exc})")
    cases = [] if root is None else root.findall(".//testcase")
    if not strict:
        return _upstream_reading(cases)
    if root is None:
        return _not_run(nodeid, "pytest wrote no JUnit report", exit_code, output)
    name = case_name(nodeid)
    problems: list[str] = []
    skipped: Verdict | None = None
    matched = False
    stdout = stderr = ""
    for case in cases:
        is_ours = case.get("name") == name
        matched = matched or is_ours
        if is_ours:
            stdout = stdout or _capture(case, "system-out", "Captured Out")
            stderr = stderr or _capture(case, "system-err", "Captured Err")
        for kind in ("failure", "error"):
            for element in case.findall(kind):
                problems.append(_element_text(element))
        found = case.find("skipped")
        if is_ours and found is not None and skipped is None:
            reason = found.get("message") or (found.text or "").strip()
            outcome: Outcome = "xfailed" if found.get("type") == "pytest.xfail" else "skipped"
            skipped = Verdict(outcome, reason, stdout, stderr)
    if problems:
        return Verdict("failed", "\n\n".join(problems), stdout, stderr)
    if not matched:
        why = "no test in its report" if not cases else f"its report names no test {name!r}"
        return _not_run(nodeid, why, exit_code, output)
    if skipped is not None:
        return Verdict(skipped.outcome, skipped.message, stdout, stderr)
    if exit_code != 0:
        return Verdict(
            "failed",
            f"{nodeid}: the test passed, but pytest inside Pyodide exited with status {exit_code}\n"
            + _tail(output),
            stdout,
            stderr,
        )
    return Verdict("passed", "", stdout, stderr)


def case_name(nodeid: str) -> str:
    """The JUnit case name of a node id: its last part, parameters included (which may hold '::')."""
    head, bracket, params = nodeid.partition("[")
    return head.split("::")[-1] + bracket + params


def _upstream_reading(cases: list[ET.Element]) -> Verdict:
    for case in cases:
        failure = case.find("failure")
        if failure is not None:
            return Verdict("failed", failure.text or "")
    return Verdict("passed")


def _not_run(nodeid: str, why: str, exit_code: int | None, output: str) -> Verdict:
    status = "" if exit_code is None else f"; pytest exited with status {exit_code}"
    return Verdict("failed", f"{nodeid} {DID_NOT_RUN} ({why}{status})\n{_tail(output)}".rstrip())


def _element_text(element: ET.Element) -> str:
    message = element.get("message") or ""
    text = (element.text or "").strip()
    if element.tag == "error" and message and message not in text:
        return f"{message}\n{text}".strip()
    return text or message


def _capture(case: ET.Element, tag: str, title: str) -> str:
    """The case's captured output without pytest's `--- Captured Out ---` title lines."""
    parts = []
    for element in case.findall(tag):
        text = re.sub(rf"^-+ {title} -+\n?", "", element.text or "", flags=re.MULTILINE)
        if text.strip():
            parts.append(text.strip("\n"))
    return "\n".join(parts)


def _tail(output: str) -> str:
    output = output.strip()
    if not output:
        return ""
    clipped = output[-OUTPUT_TAIL:]
    lead = "...\n" if len(clipped) < len(output) else ""
    return f"pytest's output inside Pyodide:\n{lead}{clipped}"
