"""StorageMount on the host: what a flush sends, what it keeps, and what it refuses before the
page sees it. A recording host stands in for the page; the page's own checks run in the
browser (e2e/storage.spec.js)."""

from __future__ import annotations

import os
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

import pytest

from browser_rt import storage
from browser_rt.lab import LabRuntime
from browser_rt.storage import FlushOutcome, StorageGrant, StorageMount, StorageRefused
from browser_rt.storage.mount import FileWrite


def drive[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the deterministic lab loop (works inside Pyodide too, without JSPI)."""
    return LabRuntime(seed=1).run_until_complete(coroutine)


class RecordingHost:
    """Answers like the page, and remembers every flush it was sent."""

    def __init__(self, answer: FlushOutcome | None = None) -> None:
        self.sent: list[tuple[list[FileWrite], list[str]]] = []
        self.answer = answer

    async def flush(self, writes: Sequence[FileWrite], keep: Sequence[str]) -> FlushOutcome:
        self.sent.append((list(writes), list(keep)))
        if self.answer is not None:
            return self.answer
        return FlushOutcome(
            True, files=len(writes) + len(keep), bytes=sum(len(w[1]) for w in writes), written=len(writes)
        )


def mount(tmp_path: Path, host: RecordingHost, **grant: object) -> StorageMount:
    return StorageMount(StorageGrant.from_mapping({"namespace": "t", **grant}), host, str(tmp_path / "data"))


def age(path: Path) -> None:
    """Make a file's time older than any flush so far, as time passing does."""
    old = time.time() - 10
    os.utime(path, (old, old))


def test_a_flush_sends_new_files_then_keeps_unchanged_ones(tmp_path: Path) -> None:
    host = RecordingHost()
    data = mount(tmp_path, host)
    (data.root / "sub").mkdir()
    (data.root / "sub" / "a.txt").write_text("one")
    (data.root / "b.bin").write_bytes(b"\x00\x01")
    report = drive(data.flush())
    assert report is not None and report.written == 2
    writes, keep = host.sent[-1]
    assert [(path, content) for path, content, _ in writes] == [("b.bin", b"\x00\x01"), ("sub/a.txt", b"one")]
    assert keep == []
    for file in (data.root / "sub" / "a.txt", data.root / "b.bin"):
        age(file)
    # Ageing changes their time, so the next flush sends them once more; after that, unchanged.
    drive(data.flush())
    assert drive(data.flush()) is None  # nothing changed: no message at all
    (data.root / "b.bin").write_bytes(b"changed")
    drive(data.flush())
    writes, keep = host.sent[-1]
    assert [path for path, _, _ in writes] == ["b.bin"]
    assert keep == ["sub/a.txt"]


def test_a_removed_file_is_a_change(tmp_path: Path) -> None:
    host = RecordingHost()
    data = mount(tmp_path, host)
    (data.root / "a").write_text("x")
    drive(data.flush())
    (data.root / "a").unlink()
    assert drive(data.flush()) is not None
    assert host.sent[-1] == ([], [])


@pytest.mark.parametrize(
    ("grant", "files", "limit"),
    [
        ({"quota_bytes": 10}, {"a": 6, "b": 6}, "quota_bytes"),
        ({"quota_bytes": 100, "max_file_bytes": 5}, {"a": 6}, "max_file_bytes"),
        ({"max_files": 1}, {"a": 1, "b": 1}, "max_files"),
        ({"read_only": True}, {"a": 1}, "read_only"),
    ],
)
def test_python_refuses_a_broken_limit_before_sending(
    tmp_path: Path, grant: dict[str, object], files: dict[str, int], limit: str
) -> None:
    host = RecordingHost()
    data = mount(tmp_path, host, **grant)
    for name, size in files.items():
        (data.root / name).write_bytes(b"x" * size)
    with pytest.raises(StorageRefused) as caught:
        drive(data.flush())
    assert caught.value.limit == limit
    assert host.sent == []


def test_python_refuses_a_bad_name_and_a_link(tmp_path: Path) -> None:
    host = RecordingHost()
    data = mount(tmp_path, host)
    (data.root / "bad\x01name").write_text("x")
    with pytest.raises(StorageRefused) as caught:
        drive(data.flush())
    assert (caught.value.limit, caught.value.reason) == ("path", "control_char")
    (data.root / "bad\x01name").unlink()
    (data.root / "link").symlink_to("/etc/hostname")
    with pytest.raises(StorageRefused) as caught:
        drive(data.flush())
    assert caught.value.reason == "not_a_file"
    assert host.sent == []


def test_a_page_refusal_is_raised_and_the_next_flush_sends_again(tmp_path: Path) -> None:
    host = RecordingHost(
        FlushOutcome(
            False, limit="quota_bytes", reason="quota_exceeded", message="refused; nothing was written"
        )
    )
    data = mount(tmp_path, host)
    (data.root / "a").write_text("x")
    with pytest.raises(StorageRefused, match="nothing was written") as caught:
        drive(data.flush())
    assert caught.value.limit == "quota_bytes"
    host.answer = None
    drive(data.flush())
    assert [path for path, _, _ in host.sent[-1][0]] == ["a"]


def test_flush_without_a_grant_says_so() -> None:
    storage.install(None)
    with pytest.raises(storage.StorageUnavailable, match="storageAuthority"):
        drive(storage.flush())


def test_a_view_narrows_to_a_subfolder_and_to_reading_and_never_widens(tmp_path: Path) -> None:
    host = RecordingHost()
    data = mount(tmp_path, host)
    storage.install(data)
    try:
        whole = storage.view()
        with whole.open("notes/a.txt", "w") as f:
            f.write("one")
        notes = whole.narrow(subfolder="notes")
        assert notes.path("a.txt").read_text() == "one"
        with pytest.raises(ValueError, match="dot segment"):
            notes.path("../escape.txt")
        reader = notes.narrow(read_only=True)
        assert reader.open("a.txt").read() == "one"
        with pytest.raises(PermissionError):
            reader.open("a.txt", "a")
        with pytest.raises(StorageRefused) as caught:
            drive(reader.flush())
        assert caught.value.limit == "read_only"
        assert reader.narrow(subfolder="deeper").read_only  # narrowing again never widens
        assert drive(notes.flush()) is not None
        assert [path for path, _, _ in host.sent[-1][0]] == ["notes/a.txt"]
    finally:
        storage.install(None)
