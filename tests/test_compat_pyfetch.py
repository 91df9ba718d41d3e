"""A governed pyfetch: cx.fetch underneath, pyfetch's response shape on top."""

from __future__ import annotations

import io
import json
import sys
import zipfile

import pytest

from browser_rt import Cx
from browser_rt.compat.pyfetch import pyfetch
from browser_rt.fetch import FetchDenied
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority

API = "https://api.example.com"
AUTH = FetchAuthority.from_dict({"origins": [API], "methods": ["GET", "POST"]})


def test_the_response_keeps_pyfetchs_shape(lab: LabRuntime):
    lab.fetch_host.respond(f"{API}/items", body=b'{"a": 1}', headers=[("Content-Type", "application/json")])

    async def main(cx: Cx):
        response = await pyfetch(f"{API}/items", mode="cors", cache="no-store")
        twin = response.clone()
        data = await response.json()
        with pytest.raises(OSError, match="already used"):
            await response.text()
        return response.status, response.ok, response.headers, response.body_used, data, await twin.bytes()

    status, ok, headers, used, data, raw = lab.run(main, authority=AUTH)
    assert (status, ok, used, data, raw) == (200, True, True, {"a": 1}, b'{"a": 1}')
    assert headers == {"content-type": "application/json"}


def test_post_with_headers_and_body(lab: LabRuntime):
    lab.fetch_host.respond(f"{API}/items", method="POST", status=201, body=b"ok")

    async def main(cx: Cx):
        response = await pyfetch(
            f"{API}/items",
            method="POST",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"x": 1}),
        )
        return response.status, await response.text()

    assert lab.run(main, authority=AUTH) == (201, "ok")
    assert lab.fetch_host.requests[0].body == b'{"x": 1}'


def test_a_denial_names_the_reason_and_is_an_oserror(lab: LabRuntime):
    async def main(cx: Cx):
        with pytest.raises(FetchDenied) as caught:
            await pyfetch("https://other.example.com/x")
        return caught.value

    error = lab.run(main, authority=AUTH)
    assert isinstance(error, OSError) and error.reason == "origin_denied"
    assert "origin_denied" in str(error)
    assert lab.fetch_host.requests == []


def test_failures_are_oserrors_with_the_fetch_error_as_cause(lab: LabRuntime):
    lab.fetch_host.fail(f"{API}/down", code="network")

    async def main(cx: Cx):
        with pytest.raises(OSError) as caught:
            await pyfetch(f"{API}/down")
        return caught.value

    error = lab.run(main, authority=AUTH)
    assert "network" in str(error) and type(error.__cause__).__name__ == "NetworkError"


def test_raise_for_status_unpack_archive_and_what_does_not_exist(lab: LabRuntime, tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("inside.txt", "hello")
    lab.fetch_host.respond(f"{API}/files.zip", body=archive.getvalue())
    lab.fetch_host.respond(f"{API}/missing", status=404)

    async def main(cx: Cx):
        await (await pyfetch(f"{API}/files.zip")).unpack_archive(extract_dir=str(tmp_path))
        missing = await pyfetch(f"{API}/missing")
        with pytest.raises(OSError, match="404"):
            missing.raise_for_status()
        with pytest.raises(AttributeError, match="no JS Response"):
            _ = missing.js_response
        with pytest.raises(TypeError, match="fetcher"):
            await pyfetch(f"{API}/missing", fetcher=object())

    lab.run(main, authority=AUTH)
    assert (tmp_path / "inside.txt").read_text() == "hello"


@pytest.mark.skipif(sys.platform != "emscripten", reason="pyodide.http exists only inside Pyodide")
def test_inside_pyodide_the_pyodide_http_names_are_governed(lab: LabRuntime):
    from browser_rt import compat

    lab.fetch_host.respond(f"{API}/items", body=b"[1]")

    async def main(cx: Cx):
        with compat.governed():
            import pyodide.http
            from pyodide.http import pyfetch as imported
            from pyodide.http import pyxhr

            fetched = await (await imported(f"{API}/items")).text()
            xhr = pyxhr.get(f"{API}/items")
            opened = pyodide.http.open_url(f"{API}/items").read()
            with pytest.raises(pyodide.http.pyxhr.XHRNetworkError, match="origin_denied"):
                pyxhr.get("https://other.example.com/x")
        return fetched, xhr.status_code, xhr.json(), opened, pyodide.http.pyfetch is imported

    assert lab.run(main, authority=AUTH) == ("[1]", 200, [1], "[1]", False)
