"""ADV-04: credential injection. No request carries more credentials than the grant, or any in its URL.

Attacks: `same-origin`/`include` without a grant, or above it; misspelled modes; widening by
`narrow`; a wildcard with `include`; userinfo in every spelling (empty, encoded, doubled `@`,
backslashes, relative to a base), including on a granted origin; cookies set by hand; and the
same through `cx.fetch`, where the host must receive exactly the mode that was asked for.
"""

from __future__ import annotations

import pytest

from browser_rt import Cx, FetchAuthority, FetchRequest, PolicyError
from browser_rt.fetch import FetchDenied
from browser_rt.lab import LabRuntime

API = "https://api.example.com"
OMIT = FetchAuthority.from_dict({"origins": [API], "base": API})
SAME_ORIGIN = FetchAuthority.from_dict({"origins": [API], "credentials": "same-origin", "base": API})
SECRET = "hunter2-0123456789"


def decide(authority: FetchAuthority, url: str = f"{API}/", **kwargs: object) -> tuple[str | None, str]:
    decision = authority.authorize(FetchRequest(method="GET", url=url, **kwargs))  # type: ignore[arg-type]
    return decision.reason, decision.detail


def test_credentials_above_the_grant_are_denied() -> None:
    assert decide(OMIT, credentials="same-origin")[0] == "credentials_denied"
    assert decide(OMIT, credentials="include")[0] == "credentials_denied"
    assert decide(SAME_ORIGIN, credentials="include")[0] == "credentials_denied"
    assert decide(SAME_ORIGIN, credentials="same-origin")[0] is None


def test_unknown_credential_modes_are_malformed_requests() -> None:
    for mode in ["INCLUDE", "Include", " include", "include ", "all", "", "cors", None, True, 1]:
        assert decide(SAME_ORIGIN, credentials=mode)[0] == "invalid_request"


def test_credentials_cannot_be_widened() -> None:
    with pytest.raises(PolicyError, match="wider than the parent"):
        OMIT.narrow(credentials="same-origin")
    with pytest.raises(PolicyError, match="wider than the parent"):
        SAME_ORIGIN.narrow(credentials="include")
    with pytest.raises(PolicyError, match="wildcard"):
        FetchAuthority.from_dict({"origins": ["https://*.example.com"], "credentials": "include"})


def test_userinfo_is_denied_in_every_spelling_and_never_echoed() -> None:
    for url in [
        f"https://{SECRET}@api.example.com/",
        f"https://user:{SECRET}@api.example.com/",
        f"https://:{SECRET}@api.example.com/",
        "https://@api.example.com/",
        "https://:@api.example.com/",
        f"https://{SECRET}%40evil.test@api.example.com/",
        f"https://evil.test@{SECRET}@api.example.com/",
        f"https://api.example.com@{SECRET}@api.example.com:443/",
        f"HTTPS://USER:{SECRET}@API.EXAMPLE.COM/",
        f"https:\\\\user:{SECRET}@api.example.com/",
        f"//user:{SECRET}@api.example.com/",
        f"\\\\user:{SECRET}@api.example.com/",
        f"https://us\ter:{SECRET}@api.example.com/",
    ]:
        reason, detail = decide(SAME_ORIGIN, url)
        assert reason == "userinfo_denied", url
        assert SECRET not in detail and "hunter2" not in detail


def test_a_policy_cannot_grant_an_origin_with_userinfo() -> None:
    for origin in [
        "https://user@api.example.com",
        "https://user:pw@api.example.com",
        "https://@api.example.com",
    ]:
        with pytest.raises(PolicyError, match="userinfo not allowed"):
            FetchAuthority.from_dict({"origins": [origin]})


def test_cookies_cannot_be_set_by_hand() -> None:
    for name in ["Cookie", "cookie2", "Set-Cookie"]:
        assert decide(SAME_ORIGIN, headers=[(name, "session=1")])[0] == "forbidden_header"


def test_the_host_gets_exactly_the_mode_asked_for_and_never_userinfo() -> None:
    lab = LabRuntime(seed=14)
    lab.fetch_host.respond(f"{API}/", body=b"ok", times=2)

    async def main(cx: Cx) -> list[str]:
        reasons = []
        await cx.fetch(f"{API}/")
        await cx.fetch(f"{API}/", credentials="same-origin")
        for url, mode in ((f"{API}/", "include"), (f"https://u:{SECRET}@api.example.com/", None)):
            try:
                await cx.fetch(url, credentials=mode)
            except FetchDenied as denied:
                reasons.append(str(denied.reason))
        return reasons

    assert lab.run(main, authority=SAME_ORIGIN) == ["credentials_denied", "userinfo_denied"]
    assert [r.credentials for r in lab.fetch_host.requests] == ["omit", "same-origin"]
    assert SECRET not in repr(lab.events.events)
