"""Response: shaped like pyodide.http.pyfetch's FetchResponse, over a body already read in full."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from browser_rt.fetch.errors import HTTPStatusError


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only response headers; repeated names are joined with ', '."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        merged: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            key = name.lower()
            if key in merged:
                merged[key] = (merged[key][0], f"{merged[key][1]}, {value}")
            else:
                merged[key] = (name, value)
        self._items = merged

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __repr__(self) -> str:
        return f"Headers({sorted(self._items)})"


class Response:
    """A completed response. The bridge has already read the body, within the policy's cap."""

    def __init__(
        self,
        *,
        status: int,
        status_text: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        redirected: bool = False,
    ) -> None:
        self.status = status
        self.status_text = status_text
        self.url = url
        self.headers = Headers(headers)
        self.redirected = redirected
        self._body = body

    @classmethod
    def from_parts(
        cls,
        *,
        status: int,
        status_text: str = "",
        url: str,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> Response:
        return cls(status=status, status_text=status_text, url=url, headers=headers, body=body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def body_size(self) -> int:
        return len(self._body)

    async def bytes(self) -> bytes:
        return self._body

    async def text(self) -> str:
        return self._body.decode("utf-8", errors="replace")

    async def json(self, **kwargs: Any) -> Any:
        return json.loads(self._body.decode("utf-8", errors="replace"), **kwargs)

    def raise_for_status(self) -> None:
        if self.status >= 400:
            raise HTTPStatusError(self.status, self.status_text, self.url)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.url.split('?', 1)[0]!r}>"
