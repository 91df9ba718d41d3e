"""Every field a caller may pass, with its data class and the reduction that makes it safe.

A field name that is not listed here never reaches a record (in a redacting mode): the record
only counts it. Each reducer gets the raw value and the mode and returns what the record holds,
or raises `values.Rejected` when the value does not have the field's promised shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from browser_rt.diagnostics import values
from browser_rt.diagnostics.errors import exception_type_name
from browser_rt.diagnostics.model import INVALID, DataClass, Mode
from browser_rt.diagnostics.urls import reduce_url

MAX_LISTED: Final = 64
"""Lists (header names, policy origins, ambient paths) show at most this many entries."""

Reducer = Callable[[object, Mode], object]


@dataclass(frozen=True)
class Field:
    """A caller-facing field: how secret it is and how it is reduced."""

    data_class: DataClass
    reduce: Reducer
    internal: bool = False
    """Set only by `Diagnostics` itself (drop summaries, sink failures)."""


def _metadata(check: Callable[[object], object]) -> Field:
    return Field(DataClass.METADATA, lambda value, _mode: check(value))


def _items(value: object) -> list[object]:
    """The entries of a list or tuple, read without calling a subclass's overrides."""
    if isinstance(value, list):
        return list.__getitem__(value, slice(None))
    if isinstance(value, tuple):
        return list(tuple.__getitem__(value, slice(None)))
    raise values.Rejected


def _list_of(check: Callable[[object], object], value: object) -> list[object]:
    """Check each entry of a list or tuple; a failing entry becomes `<invalid>`."""
    listed: list[object] = []
    for entry in _items(value)[:MAX_LISTED]:
        try:
            listed.append(check(entry))
        except values.Rejected:
            listed.append(INVALID)
    return listed


def _headers(value: object, mode: Mode) -> dict[str, object]:
    """Header values are secret in every mode; names are listed in `metadata_only` only."""
    pairs = list(dict.keys(value)) if isinstance(value, dict) else _items(value)
    reduced: dict[str, object] = {"count": len(pairs)}
    if mode == "metadata_only":
        reduced["names"] = _list_of(_header_name, pairs)
    return reduced


def _header_name(entry: object) -> str:
    if isinstance(entry, (list, tuple)):
        pair = _items(entry)
        if len(pair) != 2:
            raise values.Rejected
        entry = pair[0]
    return values.header_name(entry)


def _size(value: object) -> dict[str, int]:
    """A secret's size: bytes of a buffer, UTF-8 bytes of a text."""
    if isinstance(value, str):
        return {"bytes": len(str.encode(value, "utf-8", "surrogatepass"))}
    if isinstance(value, bytes):
        return {"bytes": bytes.__len__(value)}
    if isinstance(value, bytearray):
        return {"bytes": bytearray.__len__(value)}
    if isinstance(value, memoryview):
        return {"bytes": value.nbytes}
    raise values.Rejected


def _error(value: object, _mode: Mode) -> dict[str, object]:
    """An exception by allowlisted type name; error text only by its length."""
    if isinstance(value, BaseException):
        return {"type": exception_type_name(value)}
    return {"chars": len(values.text(value))}


def _message(value: object, _mode: Mode) -> dict[str, object]:
    """Free text may quote anything, so only its length is kept."""
    return {"chars": len(values.text(value))}


_CREDENTIALS: Final = frozenset({"omit", "same-origin", "include"})
_REDIRECTS: Final = frozenset({"error", "follow"})
_DECISIONS: Final = frozenset({"allow", "deny"})

POLICY_KEYS: Final[Mapping[str, Callable[[object], object]]] = {
    "origins": lambda value: _list_of(values.origin, value),
    "origin_count": values.integer,
    "wildcard_count": values.integer,
    "methods": lambda value: _list_of(values.method, value),
    "credentials": lambda value: values.choice(value, _CREDENTIALS),
    "max_header_count": values.integer,
    "max_request_body_bytes": values.integer,
    "max_response_body_bytes": values.integer,
    "redirect": lambda value: values.choice(value, _REDIRECTS),
    "timeout_ms": values.integer,
    "base": values.origin,
}
"""The parts of a policy summary a record may show: counts, limits and canonical origins."""


def _policy(value: object, _mode: Mode) -> dict[str, object]:
    """A policy summary: known keys checked, failing ones named, unknown ones only counted."""
    if not isinstance(value, dict):
        raise values.Rejected
    summary: dict[str, object] = {}
    invalid: list[str] = []
    unknown = 0
    for raw_key, raw_item in list(dict.items(value)):
        key = str.__str__(raw_key) if isinstance(raw_key, str) else ""
        check = POLICY_KEYS.get(key)
        if check is None:
            unknown += 1
            continue
        try:
            summary[key] = check(raw_item)
        except values.Rejected:
            invalid.append(key)
            continue
        if key == "origins":
            summary["origin_count"] = len(_items(raw_item))
    if invalid:
        summary["invalid_keys"] = sorted(invalid)
    if unknown:
        summary["unknown_keys"] = unknown
    return summary


FIELDS: Final[Mapping[str, Field]] = {
    "decision": _metadata(lambda value: values.choice(value, _DECISIONS)),
    "reason": _metadata(values.token),
    "code": _metadata(values.token),
    "detail": _metadata(values.detail),
    "origin": _metadata(values.origin),
    "method": _metadata(values.method),
    "status": _metadata(lambda value: values.integer(value, 0, 999)),
    "header_count": _metadata(values.integer),
    "request_bytes": _metadata(values.integer),
    "response_bytes": _metadata(values.integer),
    "duration_ms": _metadata(values.number),
    "budget": _metadata(values.budget),
    "budget_ms": _metadata(values.number),
    "overrun_ms": _metadata(values.number),
    "region": _metadata(values.identifier),
    "task": _metadata(values.identifier),
    "obligation": _metadata(values.identifier),
    "request_id": _metadata(values.identifier),
    "tool": _metadata(values.identifier),
    "seed": _metadata(values.seed),
    "replay": _metadata(values.replay),
    "paths": _metadata(lambda value: _list_of(values.path_name, value)),
    "path_count": _metadata(values.integer),
    "policy": Field(DataClass.METADATA, _policy),
    "url": Field(DataClass.SENSITIVE, reduce_url),
    "headers": Field(DataClass.SENSITIVE, _headers),
    "body": Field(DataClass.SECRET, lambda value, _mode: _size(value)),
    "error": Field(DataClass.SECRET, _error),
    "message": Field(DataClass.SECRET, _message),
    "dropped": Field(DataClass.METADATA, lambda value, _mode: value, internal=True),
    "sink": Field(DataClass.METADATA, lambda value, _mode: values.path_name(value), internal=True),
    "sink_index": Field(DataClass.METADATA, lambda value, _mode: values.integer(value), internal=True),
    "failures": Field(DataClass.METADATA, lambda value, _mode: values.integer(value), internal=True),
}
"""Field name -> its class and reducer, in the order fields appear in a record."""
