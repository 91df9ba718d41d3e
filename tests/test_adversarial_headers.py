"""ADV-03: header overflow and header injection (CR, LF, NUL). No header ever smuggles a line.

Attacks: CR, LF, NUL (and CRLF pairs that would start a new header) at the start, middle and end
of values and names; values beyond ByteString; names that are not tokens; forbidden names in
any case; one header too many, with duplicates counted and the count checked before contents;
and the same through `cx.fetch`. The denial's detail never repeats the header's content.
"""

from __future__ import annotations

from browser_rt import Cx, FetchAuthority, FetchRequest
from browser_rt.fetch import FetchDenied
from browser_rt.lab import LabRuntime

API = "https://api.example.com"
AUTHORITY = FetchAuthority.from_dict({"origins": [API], "methods": ["GET", "POST"], "max_header_count": 4})
CANARY = "Sm0ggled-C4nary"


def decide(headers: list[tuple[str, str]], authority: FetchAuthority = AUTHORITY) -> tuple[str | None, str]:
    decision = authority.authorize(FetchRequest(method="GET", url=f"{API}/", headers=headers))
    return decision.reason, decision.detail


def _placements(bad: str) -> list[str]:
    return [bad + CANARY, CANARY + bad, CANARY + bad + "x", bad]


def test_cr_lf_nul_in_values_are_invalid_wherever_they_are() -> None:
    for bad in ["\r", "\n", "\x00", "\r\n", "\r\nHost: evil.test", "\n\nGET / HTTP/1.1"]:
        for value in _placements(bad):
            reason, detail = decide([("x-a", "1"), ("x-trace", value)])
            assert reason == "invalid_header", repr(value)
            assert detail.startswith("headers[1]") and CANARY not in detail


def test_names_that_are_not_tokens_are_invalid() -> None:
    for bad in ["\r", "\n", "\x00", "\r\n", " ", ":", "\t", "(", "\u00e9", "\u2028"]:
        for name in ("x-a" + bad, bad + "x-a", bad):
            reason, detail = decide([(name, "1")])
            assert reason == "invalid_header", repr(name)
            assert CANARY not in detail


def test_values_beyond_byte_strings_are_invalid() -> None:
    for char in ["\u0100", "\u2028", "\u202e", "\ufeff", "\U0001f600", "\ud800"]:
        assert decide([("x-a", f"ok{char}ok")])[0] == "invalid_header"


def test_latin1_and_tabs_in_values_are_fine() -> None:
    assert decide([("x-a", "caf\u00e9\tok \u00ff")])[0] is None


def test_forbidden_names_are_refused_in_any_case() -> None:
    for name in [
        "Host",
        "HOST",
        "cookie",
        "Cookie2",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
        "TE",
        "Upgrade",
        "Proxy-Authorization",
        "proxy-anything",
        "Sec-Fetch-Site",
        "sec-anything",
        "Origin",
        "Referer",
        "Keep-Alive",
    ]:
        assert decide([("x-a", "1"), (name, "v")])[0] == "forbidden_header"


def test_overflow_is_refused_and_duplicates_count() -> None:
    assert decide([("x-a", "1")] * 4)[0] is None
    reason, detail = decide([("x-a", "1")] * 5)
    assert reason == "header_count_exceeded" and "5 headers" in detail


def test_the_count_is_checked_before_contents() -> None:
    flood = [("x-a", "1\r\n")] * 100_000
    assert decide(flood)[0] == "header_count_exceeded"


def test_odd_shapes_are_invalid_not_crashes() -> None:
    for pair in [("x-a",), ("x-a", "1", "2"), (b"x-a", b"1"), ("x-a", 1), None, "x-a: 1"]:
        assert decide([pair])[0] == "invalid_header", repr(pair)  # type: ignore[list-item]


def test_injected_headers_never_reach_the_host() -> None:
    lab = LabRuntime(seed=13)
    lab.fetch_host.respond(f"{API}/", body=b"ok")

    async def main(cx: Cx) -> list[str]:
        reasons = []
        for headers in (
            {"x-a": "1\r\nHost: evil.test"},
            {"x-a\r\nHost": "evil.test"},
            [("x-a", "1")] * 5,
            {"Cookie": "session=1"},
        ):
            try:
                await cx.fetch(f"{API}/", headers=headers)
            except FetchDenied as denied:
                reasons.append(str(denied.reason))
        return reasons

    assert lab.run(main, authority=AUTHORITY) == [
        "invalid_header",
        "invalid_header",
        "header_count_exceeded",
        "forbidden_header",
    ]
    assert lab.fetch_host.requests == []
    assert "evil.test" not in repr(lab.events.events)
