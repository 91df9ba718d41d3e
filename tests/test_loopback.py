"""The loopback servers stay quiet about clients that hung up, and only about those."""

from __future__ import annotations

import http.server
from collections.abc import Iterator

import pytest

from browser_rt.tooling.loopback import CLIENT_GONE, LoopbackServer

pytestmark = pytest.mark.host_only(reason="binds a socket, which Pyodide cannot")


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    instance = LoopbackServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    yield instance
    instance.server_close()


@pytest.mark.parametrize("error", CLIENT_GONE)
def test_a_client_that_hung_up_is_not_reported(
    server: LoopbackServer, error: type[OSError], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise error("peer closed")
    except OSError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""


def test_a_real_handler_error_is_still_reported(
    server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise ValueError("handler bug")
    except ValueError:
        server.handle_error(None, ("127.0.0.1", 1))
    err = capsys.readouterr().err
    assert "ValueError: handler bug" in err
