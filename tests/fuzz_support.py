"""Shared pieces of the fuzz targets: the example database and the URL generators.

The example database lives in the repository (tests/fuzz/hypothesis-db, created by the first
`make fuzz` that finds something) so failing examples are kept and replayed first by every
later run. Normal runs (the host
suite, CI, the gate) only read it; `make fuzz` sets BROWSER_RT_FUZZ_RECORD=1 to let Hypothesis
add what it finds. Inputs that found real failures also go into tests/fuzz/regressions.json,
which tests/test_fuzz_regressions.py replays in every runtime independently of Hypothesis.
"""

from __future__ import annotations

import os

from fuzz_data import FUZZ_DIR, IN_PYODIDE, whatwg_origins_fast
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase, ReadOnlyDatabase

DATABASE_DIR = FUZZ_DIR / "hypothesis-db"
__all__ = ["FUZZ", "confusing_urls", "whatwg_origins_fast"]


def fuzz_database() -> ExampleDatabase | None:
    """The committed database: read-only unless `make fuzz` asks to record (never in Pyodide)."""
    if IN_PYODIDE:
        return None
    database = DirectoryBasedExampleDatabase(DATABASE_DIR)
    return database if os.environ.get("BROWSER_RT_FUZZ_RECORD") == "1" else ReadOnlyDatabase(database)


FUZZ = settings(database=fuzz_database())
"""Decorate every fuzz target with this (on top of the profile from tests/conftest.py)."""


# -- URLs that mix every confusing part --------------------------------------------------------------

SCHEMES = [
    "https://",
    "http://",
    "HTTPS://",
    "hTTp://",
    "https:",
    "https:\\\\",
    "https:/\\",
    "http:///",
    "https:\t//",
]
USERINFO = [
    "",
    "",
    "",
    "",
    "user@",
    "u:p@",
    "@",
    ":@",
    "a@b@",
    "api.example.com@",
    "%40@",
    "u%3Ap@",
    "x\\@",
    "u:p%2F@",
]
NAMED_HOSTS = [
    "api.example.com",
    "API.EXAMPLE.COM",
    "a.cdn.example.com",
    "evil.test",
    "localhost",
    "xn--bcher-kva.example",
    "b\u00fccher.example",
    "fa\u00df.de",
    "\u0430pi.example.com",
    "api.example.com.",
    "api\u3002example\u3002com",
    "\uff41pi.example.com",
    "a\u00adb.example",
    "a\u200db.example",
    "xn--ls8h.example",
    "xn--a.example",
    "xn--aaa.example",
    "\u0661\u0662.example",
    "ab\u05d0.example",
    "\u03c3\u03c2.example",
    "a..b.example",
    "%61pi.example.com",
    "api%2eexample.com",
    "%F0%9F%98%80.example",
    "%ZZ.example",
    "ex\tample.com",
]
PORTS = [
    "",
    "",
    "",
    ":443",
    ":80",
    ":8000",
    ":",
    ":0443",
    ":65535",
    ":65536",
    ":8x",
    ":-1",
    ":00000000000080",
]
TAILS = [
    "",
    "/",
    "/v1?x=1",
    "\\evil.test",
    "?@evil.test",
    "#@evil.test",
    "/@evil.test",
    "\\@evil.test",
    "#",
    "?",
]
NOISE = [
    "\t",
    "\n",
    "\r",
    " ",
    "\x00",
    "\x1f",
    "\x7f",
    "%",
    "\\",
    "@",
    ":",
    "[",
    "]",
    "%00",
    "%2e",
    "\u00a0",
    "\u3002",
]


@st.composite
def ipv4_hosts(draw: st.DrawFn) -> str:
    """Dotted hosts whose last label looks numeric: decimal, 0x hex, leading-0 octal, 1 to 5 parts."""
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        value = draw(st.one_of(st.integers(0, 255), st.integers(0, 2**32 + 1)))
        form = draw(st.sampled_from(["dec", "hex", "HEX", "oct", "empty-hex"]))
        parts.append(
            {
                "dec": str(value),
                "hex": hex(value),
                "HEX": hex(value).upper().replace("X", "X"),
                "oct": "0" + oct(value)[2:],
                "empty-hex": "0x",
            }[form]
        )
    return ".".join(parts) + draw(st.sampled_from(["", "", "."]))


@st.composite
def ipv6_hosts(draw: st.DrawFn) -> str:
    groups = draw(st.lists(st.integers(0, 0x1FFFF).map(lambda n: f"{n:x}"), min_size=0, max_size=9))
    if draw(st.booleans()) and len(groups) < 8:
        at = draw(st.integers(0, len(groups)))
        groups = [*groups[:at], "", *groups[at:]] if groups else ["", ""]
    text = ":".join(groups)
    if draw(st.booleans()):
        text += draw(st.sampled_from([":127.0.0.1", "::ffff:1.2.3.4", ":1.2.3", "%25eth0", ""]))
    return f"[{text}]"


IDN_ALPHABET = st.sampled_from(
    list(
        "abcxyz019-.\u00e9\u00fc\u00df\u03c2\u0430\u0435\u0440\uff41\uff0e\u3002\u00ad\u200d\u200c\u0661\u05d0\u2488\u212a\u0131\u0307"
    )
)
HOSTS = st.one_of(
    st.sampled_from(NAMED_HOSTS),
    ipv4_hosts(),
    ipv6_hosts(),
    st.text(IDN_ALPHABET, min_size=1, max_size=24),
    st.binary(min_size=1, max_size=8).map(lambda b: "".join(f"%{x:02X}" for x in b) + ".example"),
)


@st.composite
def confusing_urls(draw: st.DrawFn) -> str:
    """One URL built from scheme, userinfo, host, port and tail, then sprinkled with noise."""
    url = (
        draw(st.sampled_from(SCHEMES))
        + draw(
            st.one_of(
                st.sampled_from(USERINFO),
                st.text(st.sampled_from(list("ab:@%/\\.")), max_size=6).map(lambda t: t + "@"),
            )
        )
        + draw(HOSTS)
        + draw(st.one_of(st.sampled_from(PORTS), st.integers(0, 70000).map(lambda p: f":{p}")))
        + draw(st.one_of(st.sampled_from(TAILS), st.text(max_size=8)))
    )
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(url)))
        url = url[:at] + draw(st.sampled_from(NOISE)) + url[at:]
    return url
