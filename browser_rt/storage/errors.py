"""What a refused or impossible flush raises in Python."""

from __future__ import annotations


class StorageRefused(OSError):
    """A flush broke a rule of the grant, or the page could not write it; nothing was written.

    `limit` names the rule: `path`, `max_files`, `max_file_bytes`, `quota_bytes`, `read_only`,
    `malformed`, `backend` (the page's storage failed) or `closed`. `reason` is the finer cause,
    such as `dot_segment` for a path or `quota_exceeded`.
    """

    def __init__(self, limit: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.reason = reason


class StorageUnavailable(RuntimeError):
    """No storage was granted: `createRuntime` had no `storageAuthority`."""
