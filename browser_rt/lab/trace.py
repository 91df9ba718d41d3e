"""The lab's record of a run: which task ran at each step, and what effects happened when."""

from __future__ import annotations

import hashlib


class Trace:
    """An append-only list of lines; the fingerprint is the SHA-256 of their canonical text.

    Step lines are task names; effect lines start with `@<virtual time>`. Nothing in a line
    depends on object identity, hashing or the wall clock, so the same seed gives the same text
    on every runtime.
    """

    __slots__ = ("lines",)

    def __init__(self) -> None:
        self.lines: list[str] = []

    def effect(self, now: float, kind: str, detail: str) -> None:
        self.lines.append(f"@{now:.6f} {kind} {detail}")

    def text(self) -> str:
        return "\n".join(self.lines)

    def fingerprint(self) -> str:
        """A stable hex digest of the whole trace."""
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()
