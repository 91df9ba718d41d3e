"""ADV-02: untrusted origins. Only the exact granted origins (or an explicit wildcard) are reachable.

Attacks: look-alike hosts, scheme downgrades, other ports, wildcard apex and suffix tricks,
`blob:`/`data:`/`javascript:` wrappers around a granted origin, scheme-relative and backslash
relative URLs against a base, and the same through `cx.fetch`, where the host must see nothing.
"""

from __future__ import annotations

from browser_rt import Cx, FetchAuthority, FetchRequest
from browser_rt.fetch import FetchDenied
from browser_rt.lab import LabRuntime

API = "https://api.example.com"
AUTHORITY = FetchAuthority.from_dict(
    {"origins": [API, "https://*.cdn.example.com", "http://127.0.0.1:8000"], "base": API}
)


def decide(url: str, authority: FetchAuthority = AUTHORITY) -> tuple[str | None, str | None]:
    decision = authority.authorize(FetchRequest(method="GET", url=url))
    return decision.reason, decision.origin


def test_look_alikes_and_relative_escapes_are_denied_with_the_real_origin() -> None:
    for url, origin in [
        ("https://api.example.com.evil.test/", "https://api.example.com.evil.test"),
        ("https://evil.test/api.example.com", "https://evil.test"),
        ("https://api-example.com/", "https://api-example.com"),
        ("https://api.example.co/", "https://api.example.co"),
        ("https://xapi.example.com/", "https://xapi.example.com"),
        ("http://api.example.com/", "http://api.example.com"),
        ("https://api.example.com:444/", "https://api.example.com:444"),
        ("https://api.example.com:80/", "https://api.example.com:80"),
        ("https://cdn.example.com/", "https://cdn.example.com"),
        ("https://a.cdn.example.com.evil.test/", "https://a.cdn.example.com.evil.test"),
        ("https://evilcdn.example.com/", "https://evilcdn.example.com"),
        ("http://a.cdn.example.com/", "http://a.cdn.example.com"),
        ("https://a.cdn.example.com:8443/", "https://a.cdn.example.com:8443"),
        ("http://127.0.0.1/", "http://127.0.0.1"),
        ("http://127.0.0.2:8000/", "http://127.0.0.2:8000"),
        ("http://localhost:8000/", "http://localhost:8000"),
        ("//evil.test/x", "https://evil.test"),
        ("\\\\evil.test\\x", "https://evil.test"),
        ("/\\evil.test/x", "https://evil.test"),
        ("https:\\\\evil.test", "https://evil.test"),
    ]:
        assert decide(url) == ("origin_denied", origin)


def test_other_schemes_wrapping_a_granted_origin_are_denied() -> None:
    for url in [
        "blob:https://api.example.com/0f7a3c3e-1111-2222-3333-444444444444",
        "data:text/plain,https://api.example.com/",
        "javascript:fetch('https://api.example.com/')",
        "ws://api.example.com/",
        "wss://api.example.com/",
        "file:///etc/passwd",
        "ftp://api.example.com/",
        "about:blank",
    ]:
        assert decide(url)[0] == "scheme_denied"


def test_the_granted_origins_are_reachable_in_their_equivalent_spellings() -> None:
    for url, origin in [
        ("https://API.EXAMPLE.COM:443/x", API),
        ("https://api.example.com:0443/", API),
        ("/v1/items", API),
        ("https:v1", API),
        ("?q=1", API),
        ("https://a.b.cdn.example.com/", "https://a.b.cdn.example.com"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://0x7f.0.0.1:8000/", "http://127.0.0.1:8000"),
    ]:
        assert decide(url) == (None, origin)


def test_deny_all_denies_every_origin() -> None:
    deny_all = FetchAuthority.deny_all()
    for url in (f"{API}/", "http://127.0.0.1:8000/", "https://a.cdn.example.com/"):
        assert decide(url, deny_all)[0] == "origin_denied"


def test_a_denied_origin_never_reaches_the_host_and_the_event_names_it() -> None:
    lab = LabRuntime(seed=12)
    lab.fetch_host.respond(f"{API}/ok", body=b"ok")

    async def main(cx: Cx) -> list[str]:
        reasons = []
        for url in ("https://evil.test/steal", "https://api.example.com.evil.test/", "//evil.test/"):
            try:
                await cx.fetch(url)
            except FetchDenied as denied:
                reasons.append(str(denied.reason))
        narrowed = cx.narrow(origins=["https://a.cdn.example.com"])
        try:
            await narrowed.fetch(f"{API}/ok")
        except FetchDenied as denied:
            reasons.append(str(denied.reason))
        await cx.fetch(f"{API}/ok")
        return reasons

    assert lab.run(main, authority=AUTHORITY) == ["origin_denied"] * 4
    assert [r.url for r in lab.fetch_host.requests] == [f"{API}/ok"]
    denied_origins = [e.get("origin") for e in lab.events.events if e.get("decision") == "deny"]
    assert denied_origins == [
        "https://evil.test",
        "https://api.example.com.evil.test",
        "https://evil.test",
        API,
    ]
