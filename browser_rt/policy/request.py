"""FetchRequest and Decision: what is asked of the authority, and its answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from browser_rt.policy.errors import DenyReason

Body = bytes | bytearray | memoryview | str | None


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """A request as Python code asks for it; nothing here is trusted."""

    method: str
    url: str
    headers: Sequence[tuple[str, str]] | None = ()
    credentials: str = "omit"
    body: Body = None


class Decision(NamedTuple):
    """The authority's answer. `detail` names the offending part by position, never by content.

    A NamedTuple: immutable and cheap to build on the hot path.
    """

    allowed: bool
    reason: DenyReason | None = None
    origin: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "reason": None if self.reason is None else str(self.reason),
            "origin": self.origin,
        }
