"""ADV-07: URL parser confusion. Python's origin is the browser's origin, or the request is denied.

A curated list of the classic confusions (userinfo vs host, backslashes, tabs and newlines,
IPv4 in hex/octal/integer, IPv6, IDN and its look-alikes, percent-encoded hosts, full-width
dots, trailing dots) is checked against the engine's own WHATWG `URL` (Node's on the host and
in Node, Chromium's in Chromium): wherever Python names an origin it must be the same one, and
nothing is allowed unless the browser's origin is granted. The generated differential lives in
tests/test_policy_properties.py and tests/test_fuzz_whatwg.py.
"""

from __future__ import annotations

from policy_helpers import whatwg_origins

from browser_rt import FetchAuthority, FetchRequest

API = "https://api.example.com"
GRANTED = {API, "http://127.0.0.1:8000", "https://xn--bcher-kva.example", "https://[::1]"}
AUTHORITY = FetchAuthority.from_dict({"origins": sorted(GRANTED)})

CONFUSIONS = [
    # userinfo against host
    "https://api.example.com@evil.test/",
    "https://evil.test@api.example.com/",
    "https://api.example.com:443@evil.test/",
    "https://api.example.com%40evil.test/",
    "https://api.example.com%2540evil.test/",
    "https://evil.test%2f@api.example.com/",
    "https://api.example.com%2f@evil.test/",
    "https://a@b@api.example.com/",
    # backslashes
    "https://api.example.com\\@evil.test/",
    "https://evil.test\\@api.example.com/",
    "https:\\\\api.example.com\\x",
    "https:/\\evil.test",
    "https:\\/api.example.com/",
    "https://api.example.com\\.evil.test/",
    # query and fragment that look like hosts
    "https://api.example.com?@evil.test/",
    "https://api.example.com#@evil.test/",
    "https://evil.test?@api.example.com/",
    "https://evil.test#.api.example.com",
    # tabs, newlines, controls
    "https://api.exa\tmple.com/",
    "https://api.exa\nmple.com/",
    "ht\ttps://api.example.com/",
    "\x00https://api.example.com/",
    " https://api.example.com/ ",
    "https://api.example.com\x00.evil.test/",
    "https://api.example.com%00.evil.test/",
    "https://api.example.com\u00a0.evil.test/",
    # IPv4 and IPv6 forms
    "http://0x7f.0.0.1:8000/",
    "http://0177.0.0.1:8000/",
    "http://2130706433:8000/",
    "http://127.1:8000/",
    "http://127.0.1:8000/",
    "http://0x7f000001:8000/",
    "http://127.0.0.1.:8000/",
    "http://127.0.0.0x1:8000/",
    "http://1.2.3.4.5:8000/",
    "http://127.0.0.256:8000/",
    "http://0x100000000:8000/",
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::1]:443/",
    "https://[::1%25eth0]/",
    # IDN and its look-alikes
    "https://b\u00fccher.example/",
    "https://B\u00dcCHER.example/",
    "https://xn--bcher-kva.example/",
    "https://\u0430pi.example.com/",
    "https://api.ex\u0430mple.com/",
    "https://api\u3002example\u3002com/",
    "https://api\uff0eexample\uff0ecom/",
    "https://\uff41pi.example.com/",
    "https://api.example.com\u3002evil.test/",
    "https://a\u00adpi.example.com/",
    "https://ap\u200bi.example.com/",
    "https://api.example.com./",
    "https://api.example.com../",
    "https://%61pi.example.com/",
    "https://api%2eexample%2ecom/",
    "https://api.example.com%2e/",
    "https://xn--api.example.com/",
    "https://api.example.com:0443/",
    "https://api.example.com:443x/",
]


def test_every_confusion_gets_the_browsers_origin_or_is_denied() -> None:
    decisions = [AUTHORITY.authorize(FetchRequest(method="GET", url=url)) for url in CONFUSIONS]
    browser = whatwg_origins([(url, None) for url in CONFUSIONS])
    wrong = [
        (url, d.origin, seen)
        for url, d, seen in zip(CONFUSIONS, decisions, browser, strict=True)
        if d.origin is not None and d.origin != seen
    ]
    assert wrong == []
    escapes = [
        (url, seen)
        for url, d, seen in zip(CONFUSIONS, decisions, browser, strict=True)
        if d.allowed and seen not in GRANTED
    ]
    assert escapes == []


def test_known_answers() -> None:
    for url, reason, origin in [
        ("https://api.example.com@evil.test/", "userinfo_denied", "https://evil.test"),
        ("https://api.example.com\\@evil.test/", None, API),
        ("https://evil.test\\@api.example.com/", "origin_denied", "https://evil.test"),
        ("https://api.example.com?@evil.test/", None, API),
        ("https://api.exa\tmple.com/", None, API),
        ("http://0x7f.0.0.1:8000/", None, "http://127.0.0.1:8000"),
        ("http://2130706433:8000/", None, "http://127.0.0.1:8000"),
        ("https://b\u00fccher.example/", None, "https://xn--bcher-kva.example"),
        ("https://api\u3002example\u3002com/", None, API),
        ("https://api.example.com./", "origin_denied", "https://api.example.com."),
        ("https://\u0430pi.example.com/", "origin_denied", "https://xn--pi-6kc.example.com"),
        ("https://api.example.com%00.evil.test/", "invalid_url", None),
        ("http://127.0.0.256:8000/", "invalid_url", None),
    ]:
        decision = AUTHORITY.authorize(FetchRequest(method="GET", url=url))
        assert (decision.reason, decision.origin) == (reason, origin)
