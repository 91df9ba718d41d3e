"""requests and urllib3 through cx.fetch, against the lab's scripted host.

The same file runs on CPython and inside Pyodide (Node, Chromium): `governed()` installs the
adapter on both, and the lab loop makes the synchronous waits deterministic, so one pinned
fingerprint holds in every runtime.
"""

from __future__ import annotations

import math

import pytest
import requests
import urllib3

from browser_rt import Budget, BudgetExceeded, Cx, compat
from browser_rt.fetch import FetchDenied, RedirectDenied
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority
from browser_rt.runtime import NoCapabilityError

API = "https://api.example.com"
OTHER = "https://other.example.com"
AUTH = FetchAuthority.from_dict(
    {"origins": [API], "methods": ["GET", "POST"], "timeout_ms": 3000, "max_response_body_bytes": 4096}
)

PINNED_SEED = 7
PINNED_FINGERPRINT = "0082fdcf4c40635e34bb084522b09d1b23a759baed9c15188c07de5371f26799"
"""The fingerprint of `scenario` under PINNED_SEED, on CPython and in Pyodide alike."""


def script(lab: LabRuntime) -> None:
    host = lab.fetch_host
    host.respond(
        f"{API}/items", body=b'{"items": [1, 2]}', headers=[("Content-Type", "application/json")], delay=0.2
    )
    host.respond(f"{API}/items", method="POST", status=201, body=b'{"created": true}', delay=0.1)
    host.respond(f"{API}/slow", body=b"late", delay=0.5)
    host.respond(f"{API}/flaky", status=503, times=1)
    host.respond(f"{API}/flaky", body=b"ok")


def blocking_get(path: str) -> str:
    return requests.get(f"{API}{path}", timeout=5).text


async def scenario(cx: Cx) -> dict[str, object]:
    report: dict[str, object] = {}
    with compat.governed():
        report["get"] = requests.get(f"{API}/items").json()
        posted = requests.post(f"{API}/items", json={"name": "x"})
        report["post"] = (posted.status_code, posted.json())
        async with cx.region("parallel") as r:
            slow = r.spawn(_in_task, "/slow")
            fast = r.spawn(_in_task, "/items")
        report["parallel"] = [slow.result(), fast.result()]
        try:
            requests.get(f"{OTHER}/steal")
        except requests.ConnectionError as error:
            report["denied"] = type(error.__cause__).__name__
        first = urllib3.request("GET", f"{API}/flaky", retries=False)
        second = urllib3.request("GET", f"{API}/flaky")
        report["urllib3"] = [first.status, second.status, second.data.decode()]
    return report


async def _in_task(cx: Cx, path: str) -> str:
    return blocking_get(path)


def test_requests_in_the_lab_has_one_fingerprint_in_every_runtime():
    lab = LabRuntime(seed=PINNED_SEED)
    script(lab)
    report = lab.run(scenario, authority=AUTH)
    assert report == {
        "get": {"items": [1, 2]},
        "post": (201, {"created": True}),
        "parallel": ["late", '{"items": [1, 2]}'],
        "denied": "FetchDenied",
        "urllib3": [503, 200, "ok"],
    }
    sent = [f"{r.method} {r.url.removeprefix(API)}" for r in lab.fetch_host.requests]
    assert sent[:2] == ["GET /items", "POST /items"] and sent[4:] == ["GET /flaky", "GET /flaky"]
    assert sorted(sent[2:4]) == ["GET /items", "GET /slow"]
    assert lab.fingerprint == PINNED_FINGERPRINT, lab.trace.text()


def test_the_same_seed_gives_the_same_trace():
    fingerprints = set()
    for _ in range(2):
        lab = LabRuntime(seed=PINNED_SEED)
        script(lab)
        lab.run(scenario, authority=AUTH)
        fingerprints.add(lab.fingerprint)
    assert len(fingerprints) == 1


def test_a_denial_is_requests_connection_error_naming_the_reason(lab):
    async def main(cx: Cx):
        with compat.governed(), pytest.raises(requests.ConnectionError) as caught:
            requests.get(f"{OTHER}/steal")
        return caught.value

    error = lab.run(main, authority=AUTH)
    assert "origin_denied" in str(error)
    assert isinstance(error.__cause__, FetchDenied)
    assert error.__cause__.reason == "origin_denied"
    assert lab.fetch_host.requests == []
    denials = [
        e for e in lab.events.events if e.get("type") == "fetch.decision" and e.get("decision") == "deny"
    ]
    assert len(denials) == 1, "a refusal is not retried"


def test_urllib3_raises_its_own_connection_errors_without_retrying_a_refusal(lab):
    async def main(cx: Cx):
        with compat.governed():
            with pytest.raises(urllib3.exceptions.MaxRetryError) as retried:
                urllib3.request("GET", f"{OTHER}/x")
            with pytest.raises(urllib3.exceptions.NewConnectionError) as direct:
                urllib3.request("GET", f"{OTHER}/x", retries=False)
        return retried.value, direct.value

    retried, direct = lab.run(main, authority=AUTH)
    assert isinstance(retried.reason, urllib3.exceptions.NewConnectionError)
    assert "origin_denied" in str(retried) and "origin_denied" in str(direct)
    assert isinstance(retried.__cause__, FetchDenied) and isinstance(direct.__cause__, FetchDenied)
    assert "object at 0x" not in str(direct), "messages name the origin, not an address"
    denials = [
        e for e in lab.events.events if e.get("type") == "fetch.decision" and e.get("decision") == "deny"
    ]
    assert len(denials) == 2


def test_network_errors_are_retried_as_urllib3_would_and_timeouts_are_read_timeouts(lab):
    lab.fetch_host.fail(f"{API}/down", code="network", times=2)
    lab.fetch_host.respond(f"{API}/down", body=b"back")
    lab.fetch_host.respond(f"{API}/never", delay=math.inf)

    async def main(cx: Cx):
        with compat.governed():
            recovered = urllib3.request("GET", f"{API}/down", retries=3).data
            started = lab.now
            with pytest.raises(requests.exceptions.ReadTimeout) as timed_out:
                requests.get(f"{API}/never", timeout=(0.5, 1.0))
            return recovered, lab.now - started, timed_out.value

    recovered, waited, error = lab.run(main, authority=AUTH)
    assert recovered == b"back"
    assert waited == pytest.approx(1.5), "connect and read timeouts add up to one bound"
    assert "timeout" in str(error)


def test_policy_refusals_after_sending_are_connection_errors_too(lab):
    lab.fetch_host.fail(f"{API}/moved", code="redirect_denied")
    lab.fetch_host.respond(f"{API}/huge", body=b"x" * 5000)

    async def main(cx: Cx):
        causes = []
        with compat.governed():
            for path in ("/moved", "/huge"):
                try:
                    requests.get(f"{API}{path}")
                except requests.ConnectionError as error:
                    causes.append((type(error.__cause__).__name__, str(error)))
        return causes

    (moved, moved_text), (huge, huge_text) = lab.run(main, authority=AUTH)
    assert moved == RedirectDenied.__name__ and "redirect_denied" in moved_text
    assert huge == "ResponseTooLarge" and "response_too_large" in huge_text
    assert len(lab.fetch_host.requests) == 2, "neither is retried"


def test_budgets_and_events_are_the_ones_of_cx_fetch(lab):
    lab.fetch_host.respond(f"{API}/items", body=b"[]")

    async def main(cx: Cx):
        with compat.governed():
            async with cx.region("capped", budget=Budget(max_fetches=1)):
                requests.get(f"{API}/items")
                with pytest.raises(BudgetExceeded):
                    requests.get(f"{API}/items")  # the runtime's signal, not a connection error

    lab.run(main, authority=AUTH)
    kinds = [e["type"] for e in lab.events.events if e["type"].startswith(("fetch.", "budget."))]
    assert kinds == ["fetch.decision", "fetch.complete", "budget.exceeded"]


def test_browser_owned_headers_are_dropped_and_forbidden_ones_denied(lab):
    lab.fetch_host.respond(f"{API}/items", method="POST", body=b"{}")

    async def main(cx: Cx):
        with compat.governed():
            requests.post(f"{API}/items", data=b"abc", headers={"X-Trace": "1"})
            with pytest.raises(requests.ConnectionError) as caught:
                requests.get(f"{API}/items", headers={"Cookie": "a=b"})
        return caught.value

    error = lab.run(main, authority=AUTH)
    sent = dict((name.lower(), value) for name, value in lab.fetch_host.requests[0].headers)
    assert sent["x-trace"] == "1" and "user-agent" in sent
    assert not {"accept-encoding", "connection", "content-length", "host"} & set(sent)
    assert lab.fetch_host.requests[0].body == b"abc"
    assert "forbidden_header" in str(error)


def test_gzip_bodies_are_not_decoded_twice(lab):
    lab.fetch_host.respond(
        f"{API}/z", body=b"plain text", headers=[("Content-Encoding", "gzip"), ("Content-Length", "3")]
    )

    async def main(cx: Cx):
        with compat.governed():
            response = requests.get(f"{API}/z")
            streamed = b"".join(requests.get(f"{API}/z", stream=True).iter_content(4))
        return response.text, response.headers["content-encoding"], streamed

    assert lab.run(main, authority=AUTH) == ("plain text", "gzip", b"plain text")


def test_code_without_a_capability_cannot_send(lab):
    def outside() -> BaseException:
        with compat.governed(), pytest.raises(requests.ConnectionError) as caught:
            requests.get(f"{API}/items")
        return caught.value

    async def main(cx: Cx):
        import contextvars

        return contextvars.Context().run(outside)

    error = lab.run(main, authority=AUTH)
    assert isinstance(error.__cause__, NoCapabilityError)
    assert "no_capability" in str(error)
    assert lab.fetch_host.requests == []
