"""Choose a redaction mode, and refuse the unredacted one where secrets could reach CI logs."""

from __future__ import annotations

import os
from typing import Final

from browser_rt.diagnostics.model import MODES, DiagnosticsConfigError, Mode

_FALSY: Final = frozenset({"", "0", "false", "no", "off"})

UNREDACTED_WARNING: Final = (
    "[browser_rt] WARNING: diagnostics mode 'none' is on. Records carry raw header values, "
    "bodies, URLs and exception text. Use it for local debugging only; never in CI or production."
)


def parse_mode(mode: object) -> Mode:
    """The mode named by `mode`, or an error listing the modes there are."""
    for known in MODES:
        if mode == known and isinstance(mode, str):
            return known
    raise DiagnosticsConfigError(f"unknown diagnostics mode {mode!r}; expected one of {', '.join(MODES)}")


def ci_is_set(ci: bool | None) -> bool:
    """The explicit answer if given, else whether the `CI` environment variable is truthy.

    Inside Pyodide `os.environ` rarely carries the host's CI variable, so hosts pass `ci`.
    """
    if ci is not None:
        if not isinstance(ci, bool):
            raise DiagnosticsConfigError(f"ci must be True, False or None, got {ci!r}")
        return ci
    return os.environ.get("CI", "").strip().lower() not in _FALSY


def check_unredacted_allowed(ci: bool | None, allow_unredacted: bool) -> None:
    """Mode `none` needs an explicit opt-in and is refused under CI."""
    if ci_is_set(ci):
        raise DiagnosticsConfigError(
            "diagnostics mode 'none' is refused because CI is set: it would write secrets "
            "into CI logs; use 'metadata_only' or 'strict'"
        )
    if allow_unredacted is not True:
        raise DiagnosticsConfigError(
            "diagnostics mode 'none' writes secrets unredacted; pass allow_unredacted=True "
            "to confirm it is for local debugging"
        )
