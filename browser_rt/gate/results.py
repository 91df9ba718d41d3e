"""Read machine-readable test results: pytest and node --test JUnit XML, Playwright JSON.

Each reader returns the cases it finds with one of four states. Matching a case to a mapped id,
and deciding that a missing case is a failure, is the runner's job.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
MISSING = "missing"
"""States of a mapped test. Only PASSED counts; MISSING means it never ran."""


class ResultsError(ValueError):
    """A result file that is missing or cannot be read: every test it should hold did not run."""


@dataclass(frozen=True)
class Case:
    """One test case as a tool reported it: where it lives, its state, and why if not passed."""

    classname: str
    titles: tuple[str, ...]
    state: str
    message: str = ""


def read_pytest_junit(path: Path) -> list[Case]:
    """Cases from pytest's --junitxml (classname + name; titles is just the name)."""
    root = _parse_xml(path)
    return [
        Case(tc.get("classname", ""), (tc.get("name", ""),), *_junit_state(tc))
        for tc in root.iter("testcase")
    ]


def read_node_junit(path: Path) -> list[Case]:
    """Cases from node --test's junit reporter; nested testsuites give the suite titles."""
    root = _parse_xml(path)
    cases: list[Case] = []

    def walk(element: ET.Element, titles: tuple[str, ...]) -> None:
        for child in element:
            if child.tag == "testsuite":
                walk(child, (*titles, child.get("name", "")))
            elif child.tag == "testcase":
                cases.append(Case("", (*titles, child.get("name", "")), *_junit_state(child)))

    walk(root, ())
    return cases


def _junit_state(case: ET.Element) -> tuple[str, str]:
    for child in case:
        if child.tag in ("failure", "error"):
            return FAILED, (child.get("message") or child.text or child.tag).strip()[:500]
    for child in case:
        if child.tag == "skipped":
            return SKIPPED, (child.get("message") or "skipped").strip()[:500]
    return PASSED, ""


def _parse_xml(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except FileNotFoundError:
        raise ResultsError(f"{path}: no result file was written") from None
    except (OSError, ET.ParseError) as exc:
        raise ResultsError(f"{path}: unreadable result file ({exc})") from None


def read_playwright_json(path: Path, project: str | None = None) -> list[Case]:
    """Cases from Playwright's JSON reporter; the classname is the spec file (relative to testDir).

    `project` keeps only the tests of that project (engine), for a report of a run over several.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no result file was written") from None
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: unreadable result file ({exc})") from None
    cases: list[Case] = []

    def walk(suite: dict[str, Any], titles: tuple[str, ...], file: str) -> None:
        for spec in suite.get("specs", []):
            for test in spec.get("tests", []):
                if project is not None and test.get("projectName") != project:
                    continue
                cases.append(
                    Case(spec.get("file", file), (*titles, spec.get("title", "")), *_playwright_state(test))
                )
        for child in suite.get("suites", []):
            walk(child, (*titles, child.get("title", "")), file)

    for top in document.get("suites", []):
        walk(top, (), top.get("file", top.get("title", "")))
    return cases


def _playwright_state(test: dict[str, Any]) -> tuple[str, str]:
    """Passed only when it was expected to pass and its last attempt passed (no flaky passes)."""
    results = test.get("results") or []
    last = results[-1] if results else {}
    status = last.get("status", "")
    if test.get("status") == "skipped" or status == "skipped":
        return SKIPPED, "skipped"
    if test.get("expectedStatus") == "passed" and test.get("status") == "expected" and status == "passed":
        return PASSED, ""
    error = (last.get("error") or {}).get("message", "") if isinstance(last.get("error"), dict) else ""
    return FAILED, f"{test.get('status')}/{status or 'did not run'} {error}".strip()[:500]
