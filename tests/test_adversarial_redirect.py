"""ADV-06: redirect escape. A redirect never carries a request to an origin that was not granted.

The bridge enforces it (tests/js/adversarial_bridge.test.mjs, tests/js/bridge_node.test.mjs and
the e2e specs drive real redirects); here the Python half: `error` is the default everywhere, a
narrowed authority cannot switch to `follow`, every host request carries the policy's mode
(never the caller's), and a refused redirect surfaces as `RedirectDenied` with its event.
"""

from __future__ import annotations

import pytest

from browser_rt import Cx, FetchAuthority, PolicyError
from browser_rt.fetch import RedirectDenied
from browser_rt.lab import LabRuntime

API = "https://api.example.com"


def test_error_is_the_default_redirect_mode() -> None:
    assert FetchAuthority.deny_all().redirect == "error"
    assert FetchAuthority.from_dict({}).redirect == "error"
    assert FetchAuthority.from_dict({"origins": [API]}).redirect == "error"


def test_follow_cannot_be_gained_by_narrowing_or_by_a_bad_value() -> None:
    strict = FetchAuthority.from_dict({"origins": [API]})
    with pytest.raises(PolicyError, match='"follow" is wider'):
        strict.narrow(redirect="follow")
    for value in ("manual", "FOLLOW", "follow ", "", None, True):
        with pytest.raises(PolicyError, match="redirect: must be one of"):
            FetchAuthority.from_dict({"origins": [API], "redirect": value})
    following = FetchAuthority.from_dict({"origins": [API], "redirect": "follow"})
    assert following.narrow(redirect="error").redirect == "error"


@pytest.mark.parametrize("mode", ["error", "follow"])
def test_the_host_always_gets_the_policy_mode(mode: str) -> None:
    lab = LabRuntime(seed=16)
    lab.fetch_host.respond(f"{API}/x", body=b"ok")

    async def main(cx: Cx) -> int:
        response = await cx.fetch(f"{API}/x")
        return response.status

    assert lab.run(main, authority=FetchAuthority.from_dict({"origins": [API], "redirect": mode})) == 200
    assert [r.redirect for r in lab.fetch_host.requests] == [mode]


def test_a_refused_redirect_raises_and_is_reported() -> None:
    lab = LabRuntime(seed=17)
    lab.fetch_host.fail(f"{API}/moved", code="redirect_denied")

    async def main(cx: Cx) -> str:
        with pytest.raises(RedirectDenied) as caught:
            await cx.fetch(f"{API}/moved")
        return caught.value.code

    assert lab.run(main, authority=FetchAuthority.from_dict({"origins": [API]})) == "redirect_denied"
    errors = [e for e in lab.events.events if e["type"] == "fetch.error"]
    assert [(e["code"], e["origin"]) for e in errors] == [("redirect_denied", API)]
