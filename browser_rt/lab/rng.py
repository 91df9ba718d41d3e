"""A seeded generator whose output is fixed by its own code, not by the Python version.

`random.Random` only promises a stable `random()`; the lab's choices must be the same on every
CPython and inside Pyodide, so it uses SplitMix64, written out here.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
MAX_SEED = _MASK


class SplitMix64:
    """Steele, Lea and Flood's SplitMix64: 64-bit state, one addition and three mixes per draw."""

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = seed & _MASK

    def next64(self) -> int:
        self._state = state = (self._state + 0x9E3779B97F4A7C15) & _MASK
        state = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        state = ((state ^ (state >> 27)) * 0x94D049BB133111EB) & _MASK
        return state ^ (state >> 31)

    def below(self, bound: int) -> int:
        """An integer in [0, bound) by multiply-shift; the bias is bound / 2**64, negligible here."""
        return (self.next64() * bound) >> 64
