"""What the lab raises when a run breaks one of its rules."""

from __future__ import annotations

from collections.abc import Sequence


class LabError(Exception):
    """Base of the lab's own errors; each carries the seed and the way to replay it."""

    def __init__(self, message: str, *, seed: int, replay: str) -> None:
        self.seed = seed
        self.replay = replay
        super().__init__(f"{message}\n  lab seed {seed}; replay: {replay}")


class LabOracleError(LabError, AssertionError):
    """One or more oracles failed: quiescence, obligation leaks, race loser drain, orphans, deadlock."""

    def __init__(self, violations: Sequence[str], *, seed: int, replay: str) -> None:
        self.violations = tuple(violations)
        lines = "\n".join(f"  - {violation}" for violation in self.violations)
        super().__init__(f"lab oracles failed:\n{lines}", seed=seed, replay=replay)


class LabStall(Exception):
    """The loop can make no progress (deadlock) or ran past its step limit (livelock)."""
