"""ADV-09: resource exhaustion. Huge inputs are refused by their size, cheaply; floods stay bounded.

Attacks: URLs of megabytes, hosts of thousands of labels, policies over the size limit or nested
thousands deep, thousands of origins, request bodies far over the cap (judged without encoding
them), responses over the cap, and a hostile loop of denials that must neither reach the host
nor flood the sinks. The time limits are generous: they catch quadratic work, not slow machines.
"""

from __future__ import annotations

import json
import time

import pytest

from browser_rt import Cx, FetchAuthority, FetchRequest, PolicyError
from browser_rt.diagnostics import Diagnostics, MemorySink, RateLimit
from browser_rt.fetch import FetchDenied, ResponseTooLarge
from browser_rt.lab import LabRuntime
from browser_rt.policy.authority import MAX_ORIGINS, MAX_POLICY_JSON_BYTES
from browser_rt.policy.urls import MAX_URL_LENGTH

API = "https://api.example.com"
AUTHORITY = FetchAuthority.from_dict(
    {
        "origins": [API],
        "methods": ["GET", "POST"],
        "max_request_body_bytes": 1024,
        "max_response_body_bytes": 64,
    }
)
SECONDS = 5.0


def timed(action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


HUGE_URLS = {
    "long-label": lambda: "https://" + "a" * 5_000_000 + ".example.com/",
    "long-path": lambda: API + "/" + "x" * 5_000_000,
    "many-labels": lambda: "https://" + "a." * 2_000_000 + "com/",
    "idn": lambda: "https://" + "\u00e9" * 3_000_000 + ".com/",
    "ipv6": lambda: "https://[" + "1:" * 2_000_000 + "]/",
    "hex-ipv4": lambda: "http://" + "0x" + "f" * 3_000_000 + "/",
}


def test_huge_urls_are_refused_by_length() -> None:
    for shape in sorted(HUGE_URLS):
        url = HUGE_URLS[shape]()
        decision, seconds = timed(lambda url=url: AUTHORITY.authorize(FetchRequest(method="GET", url=url)))
        assert decision.reason == "invalid_url" and "longer than" in decision.detail
        assert seconds < SECONDS


def test_the_url_limit_is_exact() -> None:
    fits = API + "/" + "a" * (MAX_URL_LENGTH - len(API) - 1)
    assert AUTHORITY.authorize(FetchRequest(method="GET", url=fits)).allowed
    assert AUTHORITY.authorize(FetchRequest(method="GET", url=fits + "a")).reason == "invalid_url"


def test_just_under_the_limit_is_still_cheap() -> None:
    labels = "https://" + ".".join(["a"] * ((MAX_URL_LENGTH - 20) // 2)) + ".com/"
    hosts = [labels, "https://" + "\u00e9." * 2000 + "com/", "http://" + "1." * 4000 + "1/"]
    for url in hosts:
        decision, seconds = timed(lambda url=url: AUTHORITY.authorize(FetchRequest(method="GET", url=url)))
        assert not decision.allowed and seconds < SECONDS


def test_oversized_policies_are_refused_before_parsing() -> None:
    huge = json.dumps({"origins": [API] * 100_000})
    with pytest.raises(PolicyError, match=f"more than {MAX_POLICY_JSON_BYTES}"):
        timed(lambda: FetchAuthority.from_json(huge))
    with pytest.raises(PolicyError, match=f"more than {MAX_ORIGINS}"):
        FetchAuthority.from_dict({"origins": [f"https://h{i}.example" for i in range(MAX_ORIGINS + 1)]})
    with pytest.raises(PolicyError):
        FetchAuthority.from_dict({"methods": ["GET"] * 1_000_000})


def test_deeply_nested_policy_json_is_a_policy_error_not_a_crash() -> None:
    # Within the size limit, but nested far deeper than any policy: the loader must refuse it
    # with a PolicyError, never take the interpreter down (Pyodide's stack is much smaller).
    for deep in ("[" * 20_000 + "]" * 20_000, '{"a":' * 10_000 + "1" + "}" * 10_000):
        assert len(deep.encode()) <= MAX_POLICY_JSON_BYTES
        with pytest.raises(PolicyError):
            FetchAuthority.from_json(deep)


def test_huge_bodies_are_judged_without_encoding_them() -> None:
    for body in ("x" * 50_000_000, b"x" * 50_000_000, memoryview(b"x" * 2048), "\u00e9" * 600):
        decision, seconds = timed(
            lambda body=body: AUTHORITY.authorize(FetchRequest(method="POST", url=API, body=body))
        )
        assert decision.reason == "body_too_large" and seconds < SECONDS


def test_a_response_over_the_cap_is_refused() -> None:
    lab = LabRuntime(seed=18)
    lab.fetch_host.respond(f"{API}/big", body=b"x" * 65)
    lab.fetch_host.respond(f"{API}/fits", body=b"x" * 64)

    async def main(cx: Cx) -> int:
        with pytest.raises(ResponseTooLarge):
            await cx.fetch(f"{API}/big")
        return (await cx.fetch(f"{API}/fits")).body_size

    assert lab.run(main, authority=AUTHORITY) == 64


def test_a_flood_of_denials_never_reaches_the_host_and_the_sinks_stay_bounded() -> None:
    lab = LabRuntime(seed=19)
    sink = MemorySink()
    diagnostics = Diagnostics(sinks=[sink], clock=lab.loop.time, rate_limit=RateLimit())

    async def main(cx: Cx) -> int:
        denied = 0
        for i in range(5_000):
            try:
                await cx.fetch(f"https://evil{i % 300}.test/x")
            except FetchDenied:
                denied += 1
        return denied

    assert lab.run(main, authority=AUTHORITY, diagnostics=diagnostics) == 5_000
    diagnostics.flush()
    assert lab.fetch_host.requests == []
    assert len(sink.events) <= RateLimit().total_burst + 2
    assert diagnostics.stats.rate_limited >= 5_000 - RateLimit().total_burst
    summary = [e for e in sink.events if e["type"] == "diagnostics.dropped"]
    assert summary and summary[-1]["dropped"]["total"] > 0
