"""httpx through cx.fetch: the transports, httpx's own errors, timeouts and streaming."""

from __future__ import annotations

import math

import httpx
import pytest

import browser_rt
from browser_rt import Cx, compat
from browser_rt.fetch import FetchDenied, FetchTimeout
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority

API = "https://api.example.com"
OTHER = "https://other.example.com"
AUTH = FetchAuthority.from_dict({"origins": [API], "methods": ["GET", "POST"], "timeout_ms": 5000})


def test_async_client_with_the_transport(lab: LabRuntime):
    lab.fetch_host.respond(f"{API}/items", body=b'{"n": 1}', headers=[("Content-Type", "application/json")])
    lab.fetch_host.respond(f"{API}/items", method="POST", status=201, body=b"made")

    async def main(cx: Cx):
        async with httpx.AsyncClient(transport=browser_rt.httpx_transport()) as client:
            got = await client.get(f"{API}/items")
            posted = await client.post(f"{API}/items", json={"a": 1})
            with pytest.raises(httpx.ConnectError) as denied:
                await client.get(f"{OTHER}/x")
        return got.json(), got.headers["content-type"], posted.status_code, posted.text, denied.value

    data, content_type, status, text, denied = lab.run(main, authority=AUTH)
    assert (data, content_type, status, text) == ({"n": 1}, "application/json", 201, "made")
    assert "origin_denied" in str(denied) and isinstance(denied.__cause__, FetchDenied)
    post = lab.fetch_host.requests[1]
    assert post.body == b'{"a":1}'
    names = {name.lower() for name, _ in post.headers}
    assert "content-type" in names and not {"host", "content-length", "accept-encoding", "connection"} & names


def test_timeouts_add_up_and_raise_read_timeout(lab: LabRuntime):
    lab.fetch_host.respond(f"{API}/never", delay=math.inf)

    async def main(cx: Cx):
        transport = browser_rt.httpx_transport()
        async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(1.0, connect=0.5)) as client:
            with pytest.raises(httpx.ReadTimeout) as caught:
                await client.get(f"{API}/never")
        return lab.now, caught.value

    elapsed, error = lab.run(main, authority=AUTH)
    assert elapsed == pytest.approx(1.5)
    assert isinstance(error.__cause__, FetchTimeout)


def test_streaming_delivers_the_whole_body_in_chunks(lab: LabRuntime):
    lab.fetch_host.respond(f"{API}/big", body=b"x" * 1000, headers=[("Content-Encoding", "gzip")])

    async def main(cx: Cx):
        async with (
            httpx.AsyncClient(transport=browser_rt.httpx_transport()) as client,
            client.stream("GET", f"{API}/big") as response,
        ):
            return [len(chunk) async for chunk in response.aiter_bytes(300)]

    assert lab.run(main, authority=AUTH) == [300, 300, 300, 100]


def test_sync_client_waits_like_requests(lab: LabRuntime):
    lab.fetch_host.respond(f"{API}/items", body=b"sync", delay=0.25)

    async def main(cx: Cx):
        with httpx.Client(transport=compat.httpx_sync_transport()) as client:
            return client.get(f"{API}/items").text, lab.now

    assert lab.run(main, authority=AUTH) == ("sync", 0.25)


def test_inside_the_runtime_httpxs_default_transport_is_governed(lab: LabRuntime):
    lab.fetch_host.respond(f"{API}/items", body=b"default")

    async def main(cx: Cx):
        with compat.governed():
            async with httpx.AsyncClient() as client:
                governed = (await client.get(f"{API}/items")).text
            with httpx.Client() as client, pytest.raises(httpx.ConnectError):
                client.get(f"{OTHER}/x")
        return governed

    assert lab.run(main, authority=AUTH) == "default"
    assert httpx._client.AsyncHTTPTransport is httpx.AsyncHTTPTransport  # undone after the block


def test_a_transport_bound_to_a_narrower_cx_uses_it(lab: LabRuntime):
    lab.fetch_host.respond(f"{API}/items", body=b"[]")

    async def main(cx: Cx):
        narrow = cx.narrow(methods=["GET"])
        async with httpx.AsyncClient(transport=browser_rt.httpx_transport(narrow)) as client:
            await client.get(f"{API}/items")
            with pytest.raises(httpx.ConnectError, match="method_denied"):
                await client.post(f"{API}/items", content=b"x")

    lab.run(main, authority=AUTH)
