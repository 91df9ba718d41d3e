"""`browser-rt serve` answers like the static hosts a bundle is deployed to: HTTP/1.1, validators,
304 for a file the browser already holds, and nothing outside its roots."""

from __future__ import annotations

import http.client
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_rt.tooling.static_server import RequestLog, start_static_server

pytestmark = pytest.mark.host_only(reason="binds a socket, which Pyodide cannot")

CSP = {"Content-Security-Policy": "default-src 'none'"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[http.client.HTTPConnection, Path, RequestLog]]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "app.mjs").write_text("export const answer = 42;\n")
    (tmp_path / "secret.txt").write_text("outside the root")
    server, log = start_static_server(
        {"/": root}, extra_headers=lambda path: CSP, virtual={"/config.json": b'{"a": 1}'}
    )
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        yield connection, root, log
    finally:
        connection.close()
        server.shutdown()
        server.server_close()


def get(connection: http.client.HTTPConnection, path: str, **headers: str) -> http.client.HTTPResponse:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    return response


def test_a_file_comes_with_a_validator_and_is_answered_304_while_unchanged(
    served: tuple[http.client.HTTPConnection, Path, RequestLog],
) -> None:
    connection, _root, log = served
    first = get(connection, "/app.mjs")
    assert first.status == 200 and first.version == 11
    assert first.body == b"export const answer = 42;\n"  # type: ignore[attr-defined]
    tag = first.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 2
    assert first.headers["Cache-Control"] == "no-cache"
    # The same connection again (HTTP/1.1 keeps it), asking with the validator it was given.
    again = get(connection, "/app.mjs", **{"If-None-Match": tag})
    assert again.status == 304
    assert again.body == b""  # type: ignore[attr-defined]
    assert again.headers["ETag"] == tag
    # A 304 refreshes the stored headers, so the page's policy headers come with it too.
    assert again.headers["Content-Security-Policy"] == CSP["Content-Security-Policy"]
    assert [path for _method, path in log.snapshot()] == ["/app.mjs", "/app.mjs"]


def test_a_listed_weak_or_wildcard_tag_matches_and_another_does_not(
    served: tuple[http.client.HTTPConnection, Path, RequestLog],
) -> None:
    connection, _root, _log = served
    tag = get(connection, "/app.mjs").headers["ETag"]
    assert get(connection, "/app.mjs", **{"If-None-Match": f'"other", W/{tag}'}).status == 304
    assert get(connection, "/app.mjs", **{"If-None-Match": "*"}).status == 304
    stale = get(connection, "/app.mjs", **{"If-None-Match": '"other"'})
    assert stale.status == 200 and stale.body == b"export const answer = 42;\n"  # type: ignore[attr-defined]


def test_a_changed_file_gets_a_new_validator_and_its_new_bytes(
    served: tuple[http.client.HTTPConnection, Path, RequestLog],
) -> None:
    connection, root, _log = served
    tag = get(connection, "/app.mjs").headers["ETag"]
    target = root / "app.mjs"
    target.write_text("export const answer = 43;\n")
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    fresh = get(connection, "/app.mjs", **{"If-None-Match": tag})
    assert fresh.status == 200
    assert fresh.body == b"export const answer = 43;\n"  # type: ignore[attr-defined]
    assert fresh.headers["ETag"] != tag


def test_a_generated_file_is_validated_by_its_bytes(
    served: tuple[http.client.HTTPConnection, Path, RequestLog],
) -> None:
    connection, _root, _log = served
    first = get(connection, "/config.json")
    assert first.status == 200 and first.body == b'{"a": 1}'  # type: ignore[attr-defined]
    assert get(connection, "/config.json", **{"If-None-Match": first.headers["ETag"]}).status == 304


def test_a_missing_or_escaping_path_is_404_and_a_validator_does_not_change_that(
    served: tuple[http.client.HTTPConnection, Path, RequestLog],
) -> None:
    connection, _root, _log = served
    assert get(connection, "/missing.mjs", **{"If-None-Match": "*"}).status == 404
    connection.close()
    assert get(connection, "/../secret.txt").status == 404
