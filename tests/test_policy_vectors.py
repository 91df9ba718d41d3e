"""The shared conformance vectors: the Python authority must give exactly the expected decision."""

from __future__ import annotations

import pytest
from policy_helpers import load_vectors, request_from_vector, whatwg_origins

from browser_rt import FetchAuthority
from browser_rt.policy.authority import LIMITS

CASES = load_vectors()


def test_vector_file_is_big_and_names_are_unique() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) >= 250
    assert len(set(names)) == len(names)
    reasons = {case["expect"]["reason"] for case in CASES}
    assert reasons >= {
        None,
        "invalid_request",
        "invalid_url",
        "scheme_denied",
        "userinfo_denied",
        "origin_denied",
        "invalid_method",
        "method_forbidden",
        "method_denied",
        "credentials_denied",
        "header_count_exceeded",
        "invalid_header",
        "forbidden_header",
        "body_not_allowed",
        "body_too_large",
    }


RATE_KEYS = ("max_concurrent_requests", "max_queued_requests", "max_requests_per_minute")


def test_request_limits_are_set_by_some_vectors() -> None:
    """So both implementations are shown to load them, not only their defaults; decisions stay."""
    assert set(RATE_KEYS) <= set(LIMITS)
    with_rate_limits = [case for case in CASES if set(RATE_KEYS) <= set(case["authority"])]
    assert len(with_rate_limits) >= 5
    assert {case["expect"]["allowed"] for case in with_rate_limits} == {True, False}
    for case in with_rate_limits:
        authority = FetchAuthority.from_dict(case["authority"])
        assert {key: getattr(authority, key) for key in RATE_KEYS} == {
            key: case["authority"][key] for key in RATE_KEYS
        }


def _decide(case: dict) -> dict:
    authority = FetchAuthority.from_dict(case["authority"])
    return authority.authorize(request_from_vector(case["request"])).to_dict()


@pytest.mark.host_only(
    reason="one test per vector, for readable reports; test_every_vector runs them all in Pyodide"
)
@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector(case: dict) -> None:
    assert _decide(case) == case["expect"]


def test_every_vector() -> None:
    mismatches = [
        (case["name"], _decide(case), case["expect"]) for case in CASES if _decide(case) != case["expect"]
    ]
    assert mismatches == []


def test_every_vector_origin_equals_the_whatwg_origin() -> None:
    """Wherever Python computes an origin, the engine's own URL parser must agree."""
    with_origin = [case for case in CASES if case["expect"]["origin"] is not None]
    pairs = [(case["request"]["url"], case["authority"].get("base")) for case in with_origin]
    whatwg = whatwg_origins(pairs)
    mismatches = [
        (case["name"], case["expect"]["origin"], got)
        for case, got in zip(with_origin, whatwg, strict=True)
        if got != case["expect"]["origin"]
    ]
    assert mismatches == []
    assert len(with_origin) > 150
