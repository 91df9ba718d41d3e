"""Replay tests/fuzz/regressions.json: inputs kept because they found, or nearly found, a failure.

Hypothesis's database is keyed by test source and only read on the host; this file is plain
data, so each case is replayed in every runtime and survives any rewrite of the fuzz targets.
Add a case whenever a fuzz target fails (its message prints the input), with a note saying why.
"""

from __future__ import annotations

import pytest
from fuzz_data import load_regressions, whatwg_origins_fast

from browser_rt import FetchAuthority, FetchRequest, PolicyError
from browser_rt.diagnostics import Diagnostics, MemorySink

WHATWG = load_regressions("whatwg_origin")
POLICIES = load_regressions("policy_json")
REQUESTS = load_regressions("authorize")
REDACTION = load_regressions("redaction")
WINDOW = 8


def leaks(text: str, secrets: list[str], public: list[str]) -> list[str]:
    """Every 8-character piece of a secret in `text` that no public input explains."""
    return [
        piece
        for secret in secrets
        for piece in (secret[i : i + WINDOW] for i in range(len(secret) - WINDOW + 1))
        if piece in text and not any(piece in p for p in public)
    ]


GRANTED = [
    "https://api.example.com",
    "http://127.0.0.1:8000",
    "https://xn--bcher-kva.example",
    "https://*.cdn.example.com",
]


def test_the_regression_file_holds_cases_for_every_target() -> None:
    assert WHATWG and POLICIES and REQUESTS and REDACTION
    for case in [*WHATWG, *POLICIES, *REQUESTS, *REDACTION]:
        assert case.get("note"), f"every case says why it is kept: {case}"


def test_recorded_whatwg_inputs_still_agree() -> None:
    mismatched = []
    for base in sorted({case.get("base") or "" for case in WHATWG}):
        cases = [c for c in WHATWG if (c.get("base") or "") == base]
        authority = FetchAuthority.from_dict({"origins": GRANTED, **({"base": base} if base else {})})
        decisions = [authority.authorize(FetchRequest(method="GET", url=c["url"])) for c in cases]
        browser = whatwg_origins_fast([(c["url"], base or None) for c in cases])
        for case, decision, seen in zip(cases, decisions, browser, strict=True):
            if decision.origin is not None and decision.origin != seen:
                mismatched.append((case["url"], decision.origin, seen))
            if "expect_origin" in case:
                assert decision.origin == case["expect_origin"], case
    assert mismatched == []


@pytest.mark.parametrize("case", POLICIES, ids=[c["note"][:40] for c in POLICIES])
def test_recorded_policies_load_or_raise_policy_error(case: dict) -> None:
    try:
        authority = FetchAuthority.from_json(case["text"])
    except PolicyError:
        assert case["expect"] == "refused"
        return
    assert case["expect"] == "loaded"
    assert FetchAuthority.from_json(authority.to_json()) == authority


@pytest.mark.parametrize("case", REQUESTS, ids=[c["note"][:40] for c in REQUESTS])
def test_recorded_requests_get_their_decision(case: dict) -> None:
    authority = FetchAuthority.from_dict({"origins": GRANTED, "methods": ["GET", "POST"]})
    request = FetchRequest(
        method=case["method"],
        url=case["url"],
        headers=[tuple(h) for h in case.get("headers", [])],  # type: ignore[misc]
        credentials=case.get("credentials", "omit"),
        body=case.get("body"),
    )
    decision = authority.authorize(request)
    assert (decision.reason, decision.origin) == (case["expect_reason"], case["expect_origin"])


@pytest.mark.parametrize("case", REDACTION, ids=[c["note"][:40] for c in REDACTION])
def test_recorded_secrets_stay_out_of_records(case: dict) -> None:
    for mode in ("metadata_only", "strict"):
        sink = MemorySink()
        fields = {
            name: [tuple(pair) for pair in value] if name == "headers" else value
            for name, value in case["fields"].items()
        }
        Diagnostics(mode=mode, sinks=[sink]).emit(case["type"], **fields)
        assert leaks(repr(sink.events), case["secrets"], case.get("public", [])) == []
