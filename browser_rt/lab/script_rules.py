"""Checks shared by the lab's scripted hosts (fetch and tools): one rule's delay and repeat count.

A script is test code, so a bad value is a `ValueError` that names the scripted thing (`label`)
at the moment it is scripted, not a surprise mid-run.
"""

from __future__ import annotations

import math


def scripted_delay(label: str, delay: object) -> float:
    """Seconds of virtual time before the rule answers; `math.inf` never answers."""
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or math.isnan(delay) or delay < 0:
        raise ValueError(f"{label}: delay must be seconds >= 0 (math.inf never answers), got {delay!r}")
    return float(delay)


def scripted_times(label: str, times: object) -> int | None:
    """How many calls the rule answers before it is used up; None answers every call."""
    if times is None:
        return None
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError(f"{label}: times must be a positive int or None, got {times!r}")
    return times
