"""Rewrite a pure-Python wheel so that it holds bytecode instead of sources.

This file runs inside the bundle's own Pyodide (see `bytecode_node.mjs`), so the bytecode is
made by the exact interpreter that will import it. Only the standard library is used.

Every `.py` member becomes a `.pyc` beside where it was, which CPython imports without the
source. The `.pyc` files are hash-based and unchecked (PEP 552): they carry the SipHash of the
source they came from, which `browser-rt gate` checks against the tree, and no timestamp, so
the same source always gives the same bytes. The zip is written in a fixed order with fixed
dates, so the same wheel always gives the same file.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import marshal
import sys
import zipfile

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
"""The earliest date a zip can hold; every member gets it."""
HASH_BASED_PYC = 0b01
"""PEP 552 flag: the `.pyc` records its source's hash. The "checked" bit (0b10) stays clear, so
an import never re-hashes a source (there is none beside it)."""


def python_tag() -> str:
    """The wheel tag of the running interpreter's bytecode, such as `cp314`."""
    return f"cp{sys.version_info.major}{sys.version_info.minor}"


def compile_wheel(source_path: str, target_path: str, site_packages: str) -> None:
    """Write the bytecode version of the wheel at `source_path` to `target_path`.

    `site_packages` is where Pyodide installs the wheel; compiled code names its files there,
    so tracebacks show the same paths as with the sources.
    """
    members: list[tuple[str, bytes]] = []
    record_name = None
    with zipfile.ZipFile(source_path) as source:
        for info in source.infolist():
            if info.is_dir():
                continue
            data = source.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                record_name = info.filename
            elif info.filename.endswith(".dist-info/WHEEL"):
                members.append((info.filename, _retag(data)))
            elif info.filename.endswith(".py"):
                members.append((info.filename + "c", _pyc(data, f"{site_packages}/{info.filename}")))
            else:
                members.append((info.filename, data))
    if record_name is None:
        raise ValueError(f"{source_path}: wheel has no RECORD")
    record = "".join(f"{name},sha256={_digest(data)},{len(data)}\n" for name, data in members)
    members.append((record_name, (record + f"{record_name},,\n").encode("utf-8")))
    with zipfile.ZipFile(target_path, "w") as target:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)


def _pyc(source: bytes, filename: str) -> bytes:
    """PEP 552 layout: magic, flags (0b01: hash-based, unchecked), source hash, marshalled code."""
    code = compile(source, filename, "exec", dont_inherit=True, optimize=0)
    flags = HASH_BASED_PYC.to_bytes(4, "little")
    return importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(source) + marshal.dumps(code)


def _retag(wheel_metadata: bytes) -> bytes:
    """One `Tag:` line for this interpreter in place of the source wheel's (py2.py3 has two)."""
    lines = wheel_metadata.decode("utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("Tag:")]
    return ("\n".join([*kept, f"Tag: {python_tag()}-none-any"]) + "\n").encode("utf-8")


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
