"""Parse the hash-pinned wheel lists in requirements/pyodide-*.txt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!-]+)"
    r"\s+--hash=sha256:(?P<sha256>[0-9a-f]{64})\s*$"
)


class RequirementsError(ValueError):
    """A pinned-wheel list is malformed; the message names the file and line."""


@dataclass(frozen=True)
class PinnedWheel:
    """One `name==version --hash=sha256:...` line."""

    name: str
    version: str
    sha256: str

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)


def normalize_name(name: str) -> str:
    """PEP 503 normalization, so `Foo_Bar` and `foo-bar` compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_distribution(wheel: Path) -> str:
    """The normalized distribution name of a wheel file (`idna-3.10-py3-none-any.whl` -> `idna`)."""
    return normalize_name(wheel.name.split("-")[0])


def read_pins(path: Path) -> list[PinnedWheel]:
    """Read one pinned list; every non-comment line must carry exactly one sha256."""
    if not path.is_file():
        raise RequirementsError(f"{path} is missing")
    pins: list[PinnedWheel] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise RequirementsError(
                f"{path}:{number}: expected 'name==version --hash=sha256:<64 hex>', got {line!r}"
            )
        pins.append(PinnedWheel(match["name"], match["version"], match["sha256"]))
    return pins
