"""The imports of a large file are remembered by its content (`browser_rt.testing.import_scan`):
the next run over the same bytes skips the parse, a changed file is parsed again, and an entry
that cannot be read is ignored and written again."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from browser_rt.testing import import_scan


@pytest.fixture
def large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "test_data.py"
    padding = "DATA = " + repr("x" * import_scan.LARGE_BYTES) + "\n"
    path.write_text(f"import hypothesis.strategies\nfrom idna import core\n{padding}", encoding="utf-8")
    return path


def entry(path: Path) -> Path:
    return import_scan.cache_dir() / f"{import_scan.entry_key(path.read_bytes())}.json"


def test_a_large_file_is_parsed_once_then_read_from_the_cache(large: Path) -> None:
    assert import_scan.imported_modules(large) == {"hypothesis", "idna"}
    assert entry(large).is_file()
    entry(large).write_text('["from_the_cache"]', encoding="utf-8")
    assert import_scan.imported_modules(large) == {"from_the_cache"}, "the same bytes: no parse"


def test_the_key_covers_the_scanner_and_the_python(large: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = large.read_bytes()
    assert import_scan.entry_key(source) != hashlib.sha256(source).hexdigest()
    import_scan.imported_modules(large)
    entry(large).write_text('["from_the_old_rules"]', encoding="utf-8")
    monkeypatch.setattr(import_scan, "SCAN_FORMAT", import_scan.SCAN_FORMAT + "-next")
    assert import_scan.imported_modules(large) == {"hypothesis", "idna"}, "new rules: parsed again"
    monkeypatch.setattr(import_scan.sys, "version_info", (3, 99, 0))
    assert import_scan.imported_modules(large) == {"hypothesis", "idna"}, "another Python: parsed again"
    assert len(list(import_scan.cache_dir().iterdir())) == 3


def test_a_changed_file_is_parsed_again(large: Path) -> None:
    import_scan.imported_modules(large)
    large.write_text(large.read_text(encoding="utf-8") + "import pytest\n", encoding="utf-8")
    assert import_scan.imported_modules(large) == {"hypothesis", "idna", "pytest"}


@pytest.mark.parametrize("stored", ["{not json", '{"a": 1}', "[1, 2]", ""])
def test_an_unreadable_entry_is_ignored_and_written_again(large: Path, stored: str) -> None:
    entry(large).parent.mkdir(parents=True)
    entry(large).write_text(stored, encoding="utf-8")
    assert import_scan.imported_modules(large) == {"hypothesis", "idna"}
    assert entry(large).read_text(encoding="utf-8") == '["hypothesis", "idna"]'


def test_small_and_unparsable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    small = tmp_path / "small.py"
    small.write_text("import os\nfrom . import sibling\n", encoding="utf-8")
    assert import_scan.imported_modules(small) == {"os"}, "relative imports are the project's own"
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n", encoding="utf-8")
    assert import_scan.imported_modules(broken) == set()
    assert import_scan.imported_modules(tmp_path / "missing.py") == set()
    assert not (tmp_path / "cache").exists(), "small files leave no cache entries"
