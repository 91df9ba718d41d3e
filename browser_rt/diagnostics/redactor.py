"""Turn a caller's raw event into the redacted part of a browser-rt-event-v1 record.

Default-deny for data: a field name must be declared in `fields.FIELDS` to appear at all, and
its value passes that field's reduction first. Failures never raise: a value that fails its
check is named in `invalid_fields`, an undeclared name is only counted in `unknown_fields`
(the name itself may be the secret). Mode `none` adds the raw values under `raw`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Final

from browser_rt.diagnostics import values
from browser_rt.diagnostics.fields import FIELDS
from browser_rt.diagnostics.model import INTERNAL_TYPE_PREFIX, INVALID_TYPE, SEVERITIES, Mode, Severity
from browser_rt.diagnostics.ratelimit import RateKey
from browser_rt.diagnostics.raw import raw_value

ENVELOPE: Final = frozenset(
    {"schema", "seq", "ts", "type", "severity", "redaction", "invalid_fields", "unknown_fields", "raw"}
)
"""Record keys that `Diagnostics` sets; a caller field with one of these names is invalid."""


def redact(
    event_type: object,
    severity: object,
    fields: Mapping[str, object],
    mode: Mode,
    *,
    internal: bool = False,
) -> dict[str, object]:
    """The record without `schema`, `seq` and `ts`; `internal` admits the `diagnostics.*` fields."""
    invalid: list[str] = []
    record: dict[str, object] = {
        "type": _type(event_type, internal, invalid),
        "severity": _severity(severity, invalid),
        "redaction": mode,
    }
    reduced: dict[str, object] = {}
    unknown = 0
    for raw_name, value in fields.items():
        name = str.__str__(raw_name)
        field = FIELDS.get(name)
        if value is None:
            continue
        if name in ENVELOPE or (field is not None and field.internal and not internal):
            invalid.append(name)
        elif field is None:
            unknown += 1
        else:
            try:
                reduced[name] = field.reduce(value, mode)
            except Exception:
                invalid.append(name)
    record.update((name, reduced[name]) for name in FIELDS if name in reduced)
    if invalid:
        record["invalid_fields"] = sorted(invalid)
    if unknown:
        record["unknown_fields"] = unknown
    if mode == "none":
        record["raw"] = {str.__str__(name): raw_value(value) for name, value in fields.items()}
    return record


_RATE_KEY_FIELDS: Final = tuple(name for name in ("reason", "origin") if not FIELDS[name].internal)
_MAX_MEMO_KEYS: Final = 512
_rate_key_memo: dict[tuple[object, ...], RateKey] = {}


def rate_key(event_type: object, fields: Mapping[str, object], mode: Mode) -> RateKey:
    """The (type, reason, origin) that `redact(...)` of a caller's event would hold, computed
    from those three fields alone, so that an event the rate limiter drops is never redacted.

    Events repeat the same few keys, so keys made of plain strings are remembered (bounded).
    """
    reason: object = None
    origin: object = None
    for raw_name, value in fields.items():
        if value is None:
            continue
        name = raw_name if type(raw_name) is str else str.__str__(raw_name)
        if name in _RATE_KEY_FIELDS:
            if name == "reason":
                reason = value
            else:
                origin = value
    memo = (
        (event_type, reason, origin, mode)
        if type(event_type) is str
        and (reason is None or type(reason) is str)
        and (origin is None or type(origin) is str)
        else None
    )
    if memo is not None:
        known = _rate_key_memo.get(memo)
        if known is not None:
            return known
    raw = {name: value for name, value in (("reason", reason), ("origin", origin)) if value is not None}
    kept: dict[str, object] = {}
    for name, value in raw.items():
        # A value that fails its check is left out (redact lists it in invalid_fields instead).
        with contextlib.suppress(Exception):
            kept[name] = FIELDS[name].reduce(value, mode)
    reduced_reason, reduced_origin = kept.get("reason"), kept.get("origin")
    key = (
        _type(event_type, False, []),
        reduced_reason if isinstance(reduced_reason, str) else None,
        reduced_origin if isinstance(reduced_origin, str) else None,
    )
    if memo is not None:
        if len(_rate_key_memo) >= _MAX_MEMO_KEYS:
            _rate_key_memo.clear()
        _rate_key_memo[memo] = key
    return key


def _type(event_type: object, internal: bool, invalid: list[str]) -> str:
    try:
        checked = values.event_type(event_type)
    except values.Rejected:
        invalid.append("type")
        return INVALID_TYPE
    if checked.startswith(INTERNAL_TYPE_PREFIX) and not internal:
        invalid.append("type")
        return INVALID_TYPE
    return checked


def _severity(severity: object, invalid: list[str]) -> Severity:
    for known in SEVERITIES:
        if isinstance(severity, str) and str.__str__(severity) == known:
            return known
    invalid.append("severity")
    return "info"
