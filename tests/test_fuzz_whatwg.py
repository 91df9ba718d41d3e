"""Differential fuzz: Python's origin against the engine's WHATWG `URL`, on generated URLs.

Each example is a batch of URLs mixing userinfo, backslashes, IPv4 forms, IPv6, IDN,
percent-encoding and control characters (tests/fuzz_support.py), some relative to a base. Any URL
for which Python names an origin that the browser's `URL` does not give is a failure: allowed or
not, the origin Python reasons about must be the one `fetch` would contact. On the host the
oracle is Node; inside Pyodide it is the engine's own (Node's, or Chromium's).
"""

from __future__ import annotations

import json

from fuzz_support import FUZZ, confusing_urls, whatwg_origins_fast
from hypothesis import given
from hypothesis import strategies as st

from browser_rt import FetchAuthority, FetchRequest

GRANTED = [
    "https://api.example.com",
    "http://127.0.0.1:8000",
    "https://xn--bcher-kva.example",
    "https://[::1]",
    "https://*.cdn.example.com",
]
AUTHORITY = FetchAuthority.from_dict({"origins": GRANTED})
BASED = FetchAuthority.from_dict({"origins": GRANTED, "base": "https://api.example.com"})
RELATIVE = st.sampled_from(["", "/", "//", "\\\\", "/\\", "\\/", "?", "#", "https:", "http:"])


def regression_cases(found: list[tuple[str, str, str | None]], base: str | None) -> str:
    """The mismatches as entries for tests/fuzz/regressions.json."""
    cases = [
        {
            "target": "whatwg_origin",
            "source": "fuzz",
            "url": url,
            "base": base,
            "note": f"python {ours}, whatwg {seen}",
        }
        for url, ours, seen in found
    ]
    return "add to tests/fuzz/regressions.json: " + json.dumps(cases, ensure_ascii=False)


def mismatches(
    authority: FetchAuthority, urls: list[str], base: str | None
) -> list[tuple[str, str, str | None]]:
    decisions = [authority.authorize(FetchRequest(method="GET", url=url)) for url in urls]
    named = [(url, d.origin) for url, d in zip(urls, decisions, strict=True) if d.origin is not None]
    browser = whatwg_origins_fast([(url, base) for url, _ in named])
    return [(url, origin, seen) for (url, origin), seen in zip(named, browser, strict=True) if origin != seen]


@FUZZ
@given(st.lists(confusing_urls(), min_size=1, max_size=40))
def test_python_origins_are_whatwg_origins(urls: list[str]) -> None:
    found = mismatches(AUTHORITY, urls, None)
    assert found == [], regression_cases(found, None)


@FUZZ
@given(
    st.lists(
        st.tuples(RELATIVE, confusing_urls()).map(lambda pair: pair[0] + pair[1].split("//", 1)[-1]),
        max_size=30,
    )
)
def test_relative_urls_resolve_like_whatwg(urls: list[str]) -> None:
    found = mismatches(BASED, urls, "https://api.example.com")
    assert found == [], regression_cases(found, "https://api.example.com")
