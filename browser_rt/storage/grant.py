"""`StorageGrant`: the page's grant of persistent files, as Python receives it.

The page checks `createRuntime({storageAuthority})` (js_bridge/storage/grant.mjs) and sends the
canonical form; Python checks it again with the same rules and messages, so both agree on the
vectors in tests/vectors/storage_authority.json.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

DEFAULT_QUOTA_BYTES: Final = 10 * 1024 * 1024
MAX_QUOTA_BYTES: Final = 1024 * 1024 * 1024
DEFAULT_MAX_FILES: Final = 1000
MAX_MAX_FILES: Final = 10_000
_KEYS: Final = ("namespace", "quota_bytes", "max_file_bytes", "max_files", "read_only")
_NAMESPACE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class StorageGrantError(TypeError):
    """A grant that cannot be used; `field` names the offending key."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"storageAuthority.{field}: {problem}")
        self.field = field


@dataclass(frozen=True)
class StorageGrant:
    """One namespace of persistent files and its limits; frozen, like the fetch policy."""

    namespace: str
    quota_bytes: int = DEFAULT_QUOTA_BYTES
    max_file_bytes: int = DEFAULT_QUOTA_BYTES
    max_files: int = DEFAULT_MAX_FILES
    read_only: bool = False

    @classmethod
    def from_json(cls, text: str) -> StorageGrant:
        """Parse and check the grant the page sent."""
        return cls.from_mapping(json.loads(text))

    @classmethod
    def from_mapping(cls, value: object) -> StorageGrant:
        """Check a grant and fill in its defaults; errors name the offending field."""
        if not isinstance(value, dict):
            raise StorageGrantError("(grant)", 'must be an object such as {namespace: "notes"}')
        for key in value:
            if key not in _KEYS:
                raise StorageGrantError(str(key), f"unknown key (known: {', '.join(_KEYS)})")
        namespace = value.get("namespace")
        if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
            raise StorageGrantError(
                "namespace",
                "must be 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter or digit",
            )
        quota = _count(value, "quota_bytes", DEFAULT_QUOTA_BYTES, MAX_QUOTA_BYTES)
        max_file_bytes = _count(value, "max_file_bytes", quota, MAX_QUOTA_BYTES)
        if max_file_bytes > quota:
            raise StorageGrantError("max_file_bytes", f"{max_file_bytes} is more than quota_bytes ({quota})")
        max_files = _count(value, "max_files", DEFAULT_MAX_FILES, MAX_MAX_FILES)
        read_only = value.get("read_only", False)
        if not isinstance(read_only, bool):
            raise StorageGrantError("read_only", "must be true or false")
        return cls(namespace, quota, max_file_bytes, max_files, read_only)

    def to_mapping(self) -> dict[str, object]:
        """The canonical form, as the page's `checkStorageGrant` returns it."""
        return {
            "namespace": self.namespace,
            "quota_bytes": self.quota_bytes,
            "max_file_bytes": self.max_file_bytes,
            "max_files": self.max_files,
            "read_only": self.read_only,
        }


def _count(value: dict[str, object], field: str, fallback: int, ceiling: int) -> int:
    if field not in value:
        return fallback
    number = value[field]
    if isinstance(number, float) and number.is_integer():
        number = int(number)  # JSON has one number type: 5.0 is 5 on the JS side too
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= ceiling:
        raise StorageGrantError(field, f"must be a whole number from 1 to {ceiling}")
    return number
