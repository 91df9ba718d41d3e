"""The top-level names a Python file imports, remembered by content for large files.

The plugin reads the imports of every test file, conftest and project module after the host
has collected, to know which bundle packages a session loads; that is on the path between
collection and the interpreter's start. Parsing is most of it, and a few large files (a
1.4 MB test module of data) take most of the parsing: idna's tests alone took 0.7 s. A file of
at least LARGE_BYTES has its result kept in the user's cache under a key over its bytes, the
scanner's rules (SCAN_FORMAT) and the Python that parses it (a file whose syntax only a newer
Python reads scans as empty on an older one), so the next run over the same bytes skips the
parse. An entry that cannot be read is ignored and written again; a changed file, a changed
scanner or another Python has another key.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

LARGE_BYTES = 64 * 1024
"""Smaller files parse in a few milliseconds: not worth a cache entry."""
SCAN_FORMAT = "1"
"""Changed whenever `_parse` reads a file differently, so no entry of the old rules is read."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "browser-rt" / "imports"


def imported_modules(path: Path) -> set[str]:
    """Top-level names of the absolute imports in one Python file (none for an unparsable one)."""
    try:
        source = path.read_bytes()
    except OSError:
        return set()
    if len(source) < LARGE_BYTES:
        return _parse(source, path)
    entry = cache_dir() / f"{entry_key(source)}.json"
    with contextlib.suppress(OSError, ValueError):
        names = json.loads(entry.read_text(encoding="utf-8"))
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            return set(names)
    found = _parse(source, path)
    with contextlib.suppress(OSError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=entry.parent, delete=False, suffix=".tmp") as out:
            json.dump(sorted(found), out)
        Path(out.name).replace(entry)
    return found


def entry_key(source: bytes) -> str:
    """The cache key of a file's scan: its bytes, the scanner's rules, the parsing Python."""
    salt = f"browser-rt-imports:{SCAN_FORMAT}:{sys.version_info[0]}.{sys.version_info[1]}\n"
    return hashlib.sha256(salt.encode() + source).hexdigest()


def _parse(source: bytes, path: Path) -> set[str]:
    try:
        tree = ast.parse(source, filename=str(path))
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found
