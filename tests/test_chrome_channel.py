"""A Chromium session's messages travel page -> delivery Worker -> POST -> the session's inbox.

The property that matters: a line the page pushes reaches the host even when the page's only
thread is stuck right after pushing it (a test that never returns), since the host learns which
test hung from the line sent at its start. The inbox and the server's endpoint take untrusted
bodies: each bad one is refused with a reason naming the offending part, changes nothing, and
leaves the server answering.
"""

from __future__ import annotations

import json
import queue
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from test_pytest_plugin import BUNDLE, write

from browser_rt.testing import chrome_channel, snippets
from browser_rt.testing.chrome_channel import ChannelError, Inbox, parse_batch
from browser_rt.testing.node_session import CONSOLE_LINES, LINE_CHARS
from browser_rt.testing.page_server import SESSION_PREFIX, serve


class Received:
    """What an inbox handed on, in order."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def inbox(self) -> Inbox:
        return chrome_channel.open_inbox(
            lambda line: self.events.put(("line", line)),
            lambda logs: self.events.put(("logs", logs)),
            lambda reason: self.events.put(("end", reason)),
        )

    def drain(self) -> list[tuple[str, Any]]:
        items = []
        while not self.events.empty():
            items.append(self.events.get_nowait())
        return items


def body(**fields: Any) -> bytes:
    return json.dumps(fields).encode("utf-8")


BAD_BODIES = [
    (b"not json", "body: not JSON"),
    (b"\xff\xfe", "body: not JSON"),
    (b"[1, 2]", "body: a JSON list, not an object"),
    (body(first=0, lines=[], extra=1), "body: unknown field 'extra'"),
    (body(lines=["a"]), "first: not a non-negative integer"),
    (body(first=-1, lines=[]), "first: not a non-negative integer"),
    (body(first=True, lines=[]), "first: not a non-negative integer"),
    (body(first="0", lines=[]), "first: not a non-negative integer"),
    (body(first=0, lines="a"), "lines: not a list"),
    (body(first=0, lines=["a", 2]), "lines[1]: a int, not a string"),
    (body(first=0, lines=[], logs=[None]), "logs[0]: a NoneType, not a string"),
    (body(first=0, lines=[], end=3), "end: neither a string nor null"),
]


@pytest.mark.parametrize(("raw", "reason"), BAD_BODIES)
def test_a_bad_body_is_refused_naming_the_offending_part(raw: bytes, reason: str) -> None:
    with pytest.raises(ChannelError, match="^" + reason.replace("[", r"\[").replace("]", r"\]")):
        parse_batch(raw)


def test_console_lines_are_cut_and_bounded() -> None:
    batch = parse_batch(body(first=0, lines=[], logs=["x" * (LINE_CHARS + 10)] * (CONSOLE_LINES + 5)))
    assert len(batch.logs) == CONSOLE_LINES and {len(line) for line in batch.logs} == {LINE_CHARS}


def test_the_inbox_hands_on_each_line_once_in_order_and_refuses_gaps() -> None:
    received = Received()
    inbox = received.inbox()
    try:
        assert inbox.receive(body(first=0, lines=["a", "b"], logs=["console"])) == 2
        # A retried POST (its answer lost) repeats lines the inbox has: only the new ones count.
        assert inbox.receive(body(first=1, lines=["b", "c"])) == 3
        assert inbox.receive(body(first=0, lines=["a"])) == 3
        with pytest.raises(ChannelError, match="first: line 5, but line 3 is the next one"):
            inbox.receive(body(first=5, lines=["f"]))
        assert inbox.receive(body(first=3, lines=["d"], end="the session returned")) == 4
        assert inbox.receive(body(first=3, lines=["d"], end="the session returned")) == 4
        with pytest.raises(ChannelError, match="the session has already ended"):
            inbox.receive(body(first=4, lines=["e"]))
        assert received.drain() == [
            ("logs", ["console"]),
            ("line", "a"),
            ("line", "b"),
            ("line", "c"),
            ("line", "d"),
            ("end", "the session returned"),
        ]
    finally:
        chrome_channel.close_inbox(inbox)


def get(url: str) -> tuple[int, dict[str, Any]]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, json.load(answer)


def post(url: str, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=data, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as exc:
        text = exc.read()
        return exc.code, json.loads(text) if text.startswith(b"{") else {}


@pytest.mark.host_only(reason="serves on a loopback port from a thread; Pyodide has neither")
def test_the_page_server_takes_batches_only_for_an_open_inbox_and_survives_bad_ones(tmp_path: Path) -> None:
    dist = write(tmp_path / "dist" / "pyodide.mjs", "export {}").parent
    templates = write(tmp_path / "templates" / "module_test.html", "<html>").parent
    received = Received()
    inbox = received.inbox()
    with serve(dist, templates, {}) as base:
        url = base + SESSION_PREFIX.lstrip("/") + inbox.path
        status, answer = post(url, b"{")
        assert status == 400 and answer["error"].startswith("body: not JSON")
        status, answer = post(url, b"x", {"Content-Length": str(chrome_channel.MAX_BODY_BYTES + 1)})
        assert status == 400 and "Content-Length" in answer["error"]
        assert post(url, body(first=0, lines=["one"])) == (200, {"next": 1})
        assert (
            post(base + SESSION_PREFIX.lstrip("/") + "channel/" + "0" * 32, body(first=0, lines=[]))[0] == 404
        )
        assert post(base + "module_test.html", body(first=0, lines=[]))[0] == 404
        # A GET is the page asking to start: answered only once the host lets it.
        answers: list[object] = []
        asking = threading.Thread(target=lambda: answers.append(get(url)))
        asking.start()
        asking.join(timeout=1)
        assert asking.is_alive() and not answers, "the page was let start before the host said so"
        inbox.let_start()
        asking.join(timeout=10)
        assert answers == [(200, {"start": True})]
        chrome_channel.close_inbox(inbox)
        assert post(url, body(first=1, lines=["two"]))[0] == 404, "a closed inbox still took lines"
    assert received.drain() == [("line", "one")]


def deliver_while_stuck(received: Received, inbox: Inbox, lines: list[str]) -> list[tuple[str, Any]]:
    """Push `lines` and the end in a real page whose thread then loops forever; what arrived.

    The page starts as a session does: once the host's call has returned and it lets it go.
    """
    if not (BUNDLE / "pyodide.mjs").is_file():
        pytest.skip(f"no Pyodide bundle at {BUNDLE}: make bundle")
    if shutil.which("chromedriver") is None:
        pytest.skip("no chromedriver on PATH (apt-get install chromium-driver)")
    from browser_rt.testing.chrome_page import ChromePage

    page = ChromePage(BUNDLE, {})
    try:
        page.run_js(snippets.install_channel(SESSION_PREFIX + inbox.path), 60)
        page.run_js(
            f"fetch({json.dumps(SESSION_PREFIX + inbox.path)}).then(() => {{"
            " console.log('said before the lines');"
            f" for (const line of {json.dumps(lines)}) globalThis.browserRtChannel.push(line);"
            " globalThis.browserRtChannel.end('the page is stuck');"
            " while (true) {}"
            "}); return true;",
            10,
        )
        inbox.let_start()
        events: list[tuple[str, Any]] = []
        while not events or events[-1][0] != "end":
            try:
                events.append(received.events.get(timeout=30))
            except queue.Empty:
                got = len([kind for kind, _ in events if kind == "line"])
                pytest.fail(f"{got} of {len(lines)} lines arrived while the page was stuck")
        return events
    finally:
        chrome_channel.close_inbox(inbox)
        page.close_tab()
        page.close()


BIG = "x" * (chrome_channel.BATCH_CHARS * 3 // 4)
LINES = [f"line {number}" for number in range(200)] + [BIG, BIG, BIG, "last line"]
"""Lines of a few batches: three lines longer than half a batch each."""


@pytest.mark.host_only(reason="starts Chromium itself")
def test_lines_pushed_just_before_the_page_blocks_forever_reach_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page pushes lines, then its thread loops forever, as a hanging test's would: every
    line, the console line before them and the end still arrive, in order. An outbox the host
    must read through the page itself would deliver none of them."""
    monkeypatch.setenv("SE_OFFLINE", "true")
    received = Received()
    events = deliver_while_stuck(received, received.inbox(), LINES)
    assert [value for kind, value in events if kind == "line"] == LINES
    assert "said before the lines" in [line for kind, value in events if kind == "logs" for line in value]
    assert events[-1] == ("end", "the page is stuck")


@pytest.mark.host_only(reason="starts Chromium itself")
def test_a_batch_whose_answer_is_lost_is_sent_again_and_counted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server takes the first batches but drops the connection before answering: the worker
    sends them again from the first line not acknowledged, and the inbox skips what it has."""
    monkeypatch.setenv("SE_OFFLINE", "true")
    received = Received()
    inbox = received.inbox()
    take = inbox.receive
    dropped: list[int] = []

    def take_then_hang_up(body: bytes) -> int:
        next_line = take(body)
        if next_line > 0 and len(dropped) < 2:
            dropped.append(next_line)
            raise ConnectionAbortedError("the answer is lost")
        return next_line

    monkeypatch.setattr(inbox, "receive", take_then_hang_up)
    events = deliver_while_stuck(received, inbox, LINES)
    assert len(dropped) == 2, dropped
    assert [value for kind, value in events if kind == "line"] == LINES
    assert events[-1] == ("end", "the page is stuck")
