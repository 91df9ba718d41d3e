"""ADV-01: method override and escalation. A grant of GET never becomes a DELETE.

Attacks: a method the policy does not grant, in any spelling; the never-allowed methods; the
override headers servers honour (`X-HTTP-Method-Override` and friends) on a granted method;
methods that are not tokens; widening a narrowed authority back; and the same through `cx.fetch`,
where a denial must never reach the host.
"""

from __future__ import annotations

import pytest

from browser_rt import Cx, FetchAuthority, FetchRequest, PolicyError
from browser_rt.fetch import FetchDenied
from browser_rt.lab import LabRuntime

API = "https://api.example.com"
GET_ONLY = FetchAuthority.from_dict({"origins": [API]})
READ_WRITE = FetchAuthority.from_dict({"origins": [API], "methods": ["GET", "POST", "PATCH"]})


def decide(authority: FetchAuthority, method: str, **kwargs: object) -> str | None:
    return authority.authorize(FetchRequest(method=method, url=f"{API}/v1", **kwargs)).reason  # type: ignore[arg-type]


def test_ungranted_methods_are_denied_in_every_spelling() -> None:
    for method in ["DELETE", "delete", "Delete", "PUT", "put", "POST", "PATCH", "OPTIONS", "HEAD"]:
        assert decide(GET_ONLY, method) == "method_denied", method


def test_never_allowed_methods_are_forbidden_even_where_everything_is_granted() -> None:
    everything = FetchAuthority.from_dict(
        {"origins": [API], "methods": ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]}
    )
    for method in ["CONNECT", "connect", "TRACE", "trace", "TRACK", "TrAcK"]:
        assert decide(everything, method) == "method_forbidden", method
        with pytest.raises(PolicyError, match="never allowed"):
            FetchAuthority.from_dict({"origins": [API], "methods": [method]})


def test_patch_is_case_sensitive_as_in_fetch() -> None:
    # fetch upper-cases only DELETE GET HEAD OPTIONS POST PUT; "patch" goes out as written.
    assert decide(READ_WRITE, "PATCH", body=b"x") is None
    assert decide(READ_WRITE, "patch", body=b"x") == "method_denied"
    assert decide(READ_WRITE, "get") is None


def test_methods_that_are_not_tokens_are_invalid() -> None:
    for method in [
        "GET ",
        " GET",
        "G ET",
        "GET\r\n",
        "GET\x00",
        "GET\nX-HTTP-Method-Override: DELETE",
        "",
        "GE\u0422",
    ]:
        assert decide(READ_WRITE, method) == "invalid_method", repr(method)


def test_override_headers_are_refused_on_a_granted_method() -> None:
    for name in ["X-HTTP-Method-Override", "x-http-method", "X-Method-Override", "X-HTTP-METHOD"]:
        for value in ["DELETE", "GET", ""]:
            assert decide(READ_WRITE, "GET", headers=[(name, value)]) == "forbidden_header", name
            with_body = decide(
                READ_WRITE, "POST", headers=[("content-type", "text/plain"), (name, value)], body=b"{}"
            )
            assert with_body == "forbidden_header", name


def test_a_narrowed_authority_cannot_be_widened_again() -> None:
    child = READ_WRITE.narrow(methods=["GET"])
    assert decide(child, "POST", body=b"x") == "method_denied"
    with pytest.raises(PolicyError, match="not granted by the parent"):
        child.narrow(methods=["POST"])
    with pytest.raises(PolicyError, match="not granted by the parent"):
        GET_ONLY.narrow(methods=["DELETE"])
    with pytest.raises(PolicyError):
        READ_WRITE.narrow(methods=["TRACE"])


def test_an_escalated_fetch_never_reaches_the_host() -> None:
    lab = LabRuntime(seed=11)
    lab.fetch_host.respond(f"{API}/v1", method="GET", body=b"ok")

    async def main(cx: Cx) -> list[str]:
        reasons = []
        for method, headers in (
            ("DELETE", None),
            ("GET", {"X-HTTP-Method-Override": "DELETE"}),
            ("trace", None),
        ):
            try:
                await cx.fetch(f"{API}/v1", method=method, headers=headers)
            except FetchDenied as denied:
                reasons.append(str(denied.reason))
        await cx.fetch(f"{API}/v1")
        return reasons

    assert lab.run(main, authority=GET_ONLY) == ["method_denied", "forbidden_header", "method_forbidden"]
    assert [(r.method, r.headers) for r in lab.fetch_host.requests] == [("GET", ())]
    denials = [e for e in lab.events.events if e["type"] == "fetch.decision" and e["decision"] == "deny"]
    assert [e["reason"] for e in denials] == ["method_denied", "forbidden_header", "method_forbidden"]
