"""The scripted fetch host: sequenced outcomes, failures, policy limits, and the authority in front."""

from __future__ import annotations

import math

import pytest

from browser_rt import Cx
from browser_rt.fetch import FetchDenied, FetchTimeout, NetworkError, RedirectDenied, ResponseTooLarge
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority

API = "https://api.example.com"
AUTH = FetchAuthority.from_dict(
    {"origins": [API], "methods": ["GET", "POST"], "timeout_ms": 2000, "max_response_body_bytes": 16}
)


def run(lab: LabRuntime, main):
    return lab.run(main, authority=AUTH)


def test_outcomes_apply_in_order_and_times_limits_them(lab):
    lab.fetch_host.respond(f"{API}/flaky", status=503, times=2)
    lab.fetch_host.respond(f"{API}/flaky", status=200, body="fine", headers=[("Content-Type", "text/plain")])

    async def main(cx: Cx):
        statuses = []
        for _ in range(4):
            response = await cx.fetch(f"{API}/flaky")
            statuses.append((response.status, response.ok, await response.text()))
        return statuses, response.headers["content-type"]

    statuses, content_type = run(lab, main)
    assert statuses == [(503, False, ""), (503, False, ""), (200, True, "fine"), (200, True, "fine")]
    assert content_type == "text/plain"


def test_responses_take_virtual_time(lab):
    lab.fetch_host.respond(f"{API}/slow", body=b"{}", delay=1.25)

    async def main(cx: Cx):
        response = await cx.fetch(f"{API}/slow")
        return await response.json(), lab.now

    assert run(lab, main) == ({}, 1.25)


def test_scripted_failures_raise_the_matching_fetch_error(lab):
    lab.fetch_host.fail(f"{API}/down", code="network", delay=0.5)
    lab.fetch_host.fail(f"{API}/moved", code="redirect_denied")

    async def main(cx: Cx):
        with pytest.raises(NetworkError):
            await cx.fetch(f"{API}/down")
        with pytest.raises(RedirectDenied):
            await cx.fetch(f"{API}/moved")
        return lab.now

    assert run(lab, main) == 0.5
    assert "@0.500000 fetch.failed network https://api.example.com/down" in lab.trace.lines


def test_the_policy_timeout_and_body_cap_apply(lab):
    lab.fetch_host.respond(f"{API}/never", delay=math.inf)
    lab.fetch_host.respond(f"{API}/big", body=b"x" * 17)

    async def main(cx: Cx):
        with pytest.raises(FetchTimeout):
            await cx.fetch(f"{API}/never")
        timed_out_at = lab.now
        with pytest.raises(ResponseTooLarge):
            await cx.fetch(f"{API}/big")
        return timed_out_at

    assert run(lab, main) == 2.0


def test_unscripted_requests_fail_loudly(lab):
    async def main(cx: Cx):
        with pytest.raises(
            NetworkError, match=r"no scripted outcome left for GET https://api\.example\.com/x"
        ):
            await cx.fetch(f"{API}/x")
        return True

    assert run(lab, main)


def test_the_real_authority_stands_in_front_of_the_host(lab):
    lab.fetch_host.respond("https://evil.example.net/steal", body="secret")
    lab.fetch_host.respond(f"{API}/x", method="DELETE")

    async def main(cx: Cx):
        with pytest.raises(FetchDenied) as off_origin:
            await cx.fetch("https://evil.example.net/steal")
        with pytest.raises(FetchDenied) as bad_method:
            await cx.fetch(f"{API}/x", method="DELETE")
        return off_origin.value.reason, bad_method.value.reason

    assert run(lab, main) == ("origin_denied", "method_denied")
    assert lab.fetch_host.requests == []
    decisions = [e["decision"] for e in lab.events.events if e["type"] == "fetch.decision"]
    assert decisions == ["deny", "deny"]


def test_a_narrowed_cx_cannot_use_what_its_parent_could(lab):
    lab.fetch_host.respond(f"{API}/write", method="POST")

    async def child(cx: Cx):
        await cx.fetch(f"{API}/write", method="POST", body=b"1")

    async def main(cx: Cx):
        await child(cx)
        reader = cx.narrow(methods=["GET"])
        with pytest.raises(ExceptionGroup) as caught:
            async with reader.region("readers") as r:
                r.spawn(child)
        return [type(e).__name__ for e in caught.value.exceptions]

    assert run(lab, main) == ["FetchDenied"]
    assert len(lab.fetch_host.requests) == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda host: host.respond(f"{API}/x", status=99), "status must be an int from 200 to 599"),
        (lambda host: host.respond(f"{API}/x", body=[1]), "body must be bytes or str"),
        (lambda host: host.respond(f"{API}/x", delay=-1), "delay must be seconds >= 0"),
        (lambda host: host.respond(f"{API}/x", times=0), "times must be a positive int"),
        (lambda host: host.fail(f"{API}/x", code="teapot"), "code must be one of"),
        (lambda host: host.respond("", body=b""), "url must be a non-empty str"),
    ],
)
def test_bad_scripts_name_the_problem(lab, call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call(lab.fetch_host)
