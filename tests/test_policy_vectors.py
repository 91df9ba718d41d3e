"""The shared conformance vectors: the Python authority must give exactly the expected decision,
and exactly the expected PolicyError message for a policy it cannot load."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from policy_helpers import load_vectors, request_from_vector, whatwg_origins

from browser_rt import FetchAuthority, PolicyError
from browser_rt.policy.authority import LIMITS

CASES = load_vectors()
ERROR_VECTORS = Path(__file__).parent / "vectors" / "policy_errors.json"
ERROR_DOCUMENT = json.loads(ERROR_VECTORS.read_text(encoding="utf-8"))
ERROR_CASES = ERROR_DOCUMENT["cases"]


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


# -- PolicyError messages (tests/vectors/policy_errors.json, run by tests/js/policy_vectors too) --


def _load_error(case: dict) -> str | None:
    try:
        if "policy_text" in case:
            authority = FetchAuthority.from_json(case["policy_text"])
        else:
            authority = FetchAuthority.from_dict(case["policy"])
        if "narrow" in case:
            authority.narrow(**case["narrow"])
    except PolicyError as exc:
        return str(exc)
    return None


def test_error_vector_file_is_well_formed() -> None:
    assert ERROR_DOCUMENT["schema"] == "browser-rt-policy-error-vectors-v1"
    names = [case["name"] for case in ERROR_CASES]
    assert len(names) >= 90
    assert len(set(names)) == len(names)
    for case in ERROR_CASES:
        assert ("policy" in case) != ("policy_text" in case), case["name"]
        assert isinstance(case["error"], str), case["name"]


def test_every_error_vector_gives_its_message() -> None:
    got = {case["name"]: _load_error(case) for case in ERROR_CASES}
    mismatches = [(case["name"], got[case["name"]], case["error"]) for case in ERROR_CASES]
    mismatches = [row for row in mismatches if row[1] != row[2]]
    assert mismatches == []


def test_error_messages_are_ascii_and_name_a_place_first() -> None:
    """The form of docs/policy.md: `<key>[<index>]: ...`, `policy: ...` or `narrow: ...`, and
    quoted values as ASCII-only JSON strings, so no control or right-to-left character gets out."""
    place = re.compile(r"(?:policy|narrow|[a-z_]+(?:\[\d+\])?): \S")
    for case in ERROR_CASES:
        message = case["error"]
        assert message.isascii() and message.isprintable(), case["name"]
        assert place.match(message), case["name"]
        assert "'" not in message.replace("parent's", ""), case["name"]  # no Python repr quoting


def test_error_messages_never_echo_userinfo_or_an_origin_entry() -> None:
    """Origins entries are named by position only: a mistaken grant can hold a password."""
    for case in ERROR_CASES:
        if case["error"].startswith("origins["):
            assert "@" not in case["error"] and "u:p" not in case["error"], case["name"]
    message = _load_error({"policy": {"origins": ["https://user:hunter2@a.example.com"]}})
    assert message == "origins[0]: userinfo not allowed in an origin"
