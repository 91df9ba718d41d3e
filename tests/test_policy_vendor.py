"""The vendored Punycode module is the pinned upstream file, unchanged, with its license beside it.

js_bridge/policy/hosts.mjs decodes and encodes `xn--` labels with js_bridge/vendor/punycode.mjs,
a byte-for-byte copy of `punycode.es6.js` from the npm package `punycode` 2.3.1. A changed byte
(a local edit, a different release) fails here until the pin below, and the table in
js_bridge/vendor/README.md, are updated in the same review.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.host_only(reason="reads js_bridge/vendor/, which is not copied into Pyodide")

VENDOR = Path(__file__).resolve().parent.parent / "js_bridge" / "vendor"
PINNED = {
    "punycode.mjs": "8969ae1b78644a33574be197d1a7a9c85b031092f1c1a657d865b7b3c1edd77e",
    "punycode.LICENSE-MIT.txt": "483acb265f182907d1caf6cff9c16c96f31325ed23792832cc5d8b12d5f88c8a",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(PINNED))
def test_vendored_file_has_the_pinned_sha256(name: str) -> None:
    assert sha256(VENDOR / name) == PINNED[name], f"js_bridge/vendor/{name} differs from the pinned file"


def test_the_readme_records_the_same_version_and_hash() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `punycode.mjs` |"))
    assert "| 2.3.1 |" in row
    assert f"`{PINNED['punycode.mjs']}`" in row
    assert "punycode.LICENSE-MIT.txt" in row


def test_the_vendored_module_is_the_release_it_claims() -> None:
    text = (VENDOR / "punycode.mjs").read_text(encoding="utf-8")
    assert re.search(r"'version': '2\.3\.1'", text)
    assert "export { ucs2decode, ucs2encode, decode, encode, toASCII, toUnicode };" in text
    license_text = (VENDOR / "punycode.LICENSE-MIT.txt").read_text(encoding="utf-8")
    assert license_text.startswith("Copyright Mathias Bynens")
    assert "Permission is hereby granted, free of charge" in license_text


def test_every_vendored_module_is_pinned() -> None:
    modules = {p.name for p in VENDOR.iterdir() if p.suffix == ".mjs"}
    assert modules <= set(PINNED), f"unpinned vendored modules: {sorted(modules - set(PINNED))}"
