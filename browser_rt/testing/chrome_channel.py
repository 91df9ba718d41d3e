"""The host's end of a Chromium session's channel: numbered batches of lines, POSTed by the page.

A test can keep the page's only thread busy forever, and then the page answers nothing. So the
page hands each message line, at once, to a dedicated Worker (`snippets.install_channel`), which
keeps running whatever the page does and POSTs the lines, in batches, to the page's own loopback
server (`page_server`), which gives each body to the session's `Inbox`.

The session keeps the page's thread from its start to its end, and a WebDriver call does not
return before the page has been free once after its script (chromedriver looks at the page
again): started from the script that the host calls, the session would hold that call until it
ends. So the page asks the inbox (a GET, answered from another thread) and starts when the
answer comes: the host gives it with `let_start` once its call has returned.

Each batch carries the number of its first line. A POST retried because its answer was lost
repeats lines the inbox already has: those are skipped. A batch that would leave a gap is
refused. The page's newest console lines come along with the batches (kept for crash reports),
and the last batch says why the session ended. A body is untrusted input: it is checked in full
(JSON, bounded size, every field's type) before any of it is used, and a refused one changes
nothing. An inbox is found by an unguessable token in its URL path, so a local process that does
not know it cannot feed a session lines.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from browser_rt.testing.node_session import CONSOLE_LINES, LINE_CHARS

MAX_BODY_BYTES = 64 * 1024 * 1024
"""A larger body is refused unread. The worker sends batches of at most `BATCH_CHARS`, or one
line alone, and ends the session instead of sending a line longer than `MAX_LINE_CHARS`."""
BATCH_CHARS = 1024 * 1024
MAX_LINE_CHARS = 8 * 1024 * 1024
"""One message line (a report with its captured output): far beyond any real one, and small
enough that JSON's escaping (six characters at most for one) keeps its batch under the bound."""
START_WAIT_S = 60.0
"""How long the page's request to start waits for the host's word; it then does not start."""
CHANNEL_PATH = "channel/"
"""Inboxes live at this path under the session prefix, followed by their token."""


class ChannelError(ValueError):
    """A batch refused; the message names the offending part."""


@dataclass(frozen=True)
class Batch:
    """One POST's content: lines numbered from `first`, console lines, and maybe the end."""

    first: int
    lines: list[str]
    logs: list[str]
    end: str | None


def parse_batch(body: bytes) -> Batch:
    """The batch in `body`, or ChannelError naming what is wrong with it."""
    if len(body) > MAX_BODY_BYTES:
        raise ChannelError(f"body: {len(body)} bytes, over the bound of {MAX_BODY_BYTES}")
    try:
        data: Any = json.loads(body)
    except ValueError as exc:  # UnicodeDecodeError included
        raise ChannelError(f"body: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ChannelError(f"body: a JSON {type(data).__name__}, not an object")
    unknown = sorted(set(data) - {"first", "lines", "logs", "end"})
    if unknown:
        raise ChannelError(f"body: unknown field {unknown[0]!r}")
    first = data.get("first")
    if type(first) is not int or first < 0:
        raise ChannelError("first: not a non-negative integer")
    lines = _strings(data.get("lines", []), "lines")
    logs = _strings(data.get("logs", []), "logs")
    end = data.get("end")
    if end is not None and not isinstance(end, str):
        raise ChannelError("end: neither a string nor null")
    return Batch(first, lines, [line[:LINE_CHARS] for line in logs[-CONSOLE_LINES:]], end)


def _strings(value: Any, field: str) -> list[str]:
    if not isinstance(value, list):
        raise ChannelError(f"{field}: not a list")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ChannelError(f"{field}[{index}]: a {type(item).__name__}, not a string")
    return value


class Inbox:
    """Where one session's batches arrive; hands on each new line once, in order, then the end."""

    def __init__(
        self,
        on_line: Callable[[str], None],
        on_logs: Callable[[list[str]], None],
        on_end: Callable[[str], None],
    ) -> None:
        self.token = secrets.token_hex(16)
        self._on_line = on_line
        self._on_logs = on_logs
        self._on_end = on_end
        self._lock = threading.Lock()
        self._next = 0
        self._ended = False
        self._start = threading.Event()

    @property
    def path(self) -> str:
        """This inbox's URL path under the session prefix."""
        return CHANNEL_PATH + self.token

    def let_start(self) -> None:
        """Answer the page's request to start (made before the host's last call into the page)."""
        self._start.set()

    def wait_for_start(self, timeout: float) -> bool:
        """Whether the host let the session start within `timeout` s."""
        return self._start.wait(timeout)

    def receive(self, body: bytes) -> int:
        """Take one batch; the number of the next line wanted (the worker forgets those before).

        ChannelError, with nothing taken, for a bad body, a gap in the numbering, or new lines
        after the end. A batch repeating only what the inbox has is answered, and ignored.
        """
        batch = parse_batch(body)
        with self._lock:
            if batch.first > self._next:
                raise ChannelError(f"first: line {batch.first}, but line {self._next} is the next one")
            new = batch.lines[self._next - batch.first :]
            if self._ended and (new or batch.end is None):
                raise ChannelError("lines: the session has already ended")
            if batch.logs:
                self._on_logs(batch.logs)
            for line in new:
                self._on_line(line)
            self._next += len(new)
            if batch.end is not None and not self._ended:
                self._ended = True
                self._on_end(batch.end)
            return self._next


_INBOXES: dict[str, Inbox] = {}
_INBOXES_LOCK = threading.Lock()


def open_inbox(
    on_line: Callable[[str], None], on_logs: Callable[[list[str]], None], on_end: Callable[[str], None]
) -> Inbox:
    """A new inbox that `find` knows until `close_inbox`."""
    inbox = Inbox(on_line, on_logs, on_end)
    with _INBOXES_LOCK:
        _INBOXES[inbox.path] = inbox
    return inbox


def close_inbox(inbox: Inbox) -> None:
    """Forget `inbox`: later batches for it are answered 404."""
    with _INBOXES_LOCK:
        _INBOXES.pop(inbox.path, None)


def find(path: str) -> Inbox | None:
    """The open inbox at `path` (relative to the session prefix), if any."""
    with _INBOXES_LOCK:
        return _INBOXES.get(path)
