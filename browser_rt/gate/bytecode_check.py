"""Is a shipped file set exactly a source file set, with `.pyc` allowed in place of `.py`?

The bundle ships browser_rt and idna as hash-based bytecode (PEP 552). A `.pyc` of that kind
records the SipHash of the source it was compiled from, keyed by the compiling interpreter's
magic number, which the `.pyc` also records; so the host can check it with `_imp.source_hash`
without running a Python of Pyodide's version. The integrity check compares against the
repository's tree, the dependency check against the hash-pinned source wheel.
"""

from __future__ import annotations

import _imp
from collections.abc import Mapping

from browser_rt.tooling.bytecode_wheel import HASH_BASED_PYC


def mismatches(shipped: Mapping[str, bytes], sources: Mapping[str, bytes], *, against: str) -> list[str]:
    """One message per difference; [] when `shipped` is `sources`, bytecode or byte for byte.

    `against` names the sources in the messages ("the tree", a wheel's file name).
    """
    found: list[str] = []
    by_source: dict[str, tuple[str, bytes]] = {}
    for name, data in shipped.items():
        stands_for = name[:-1] if name.endswith(".pyc") else name
        if stands_for in by_source:
            found.append(f"{stands_for} is in the wheel as source and as bytecode")
        by_source[stands_for] = (name, data)
    for name in sorted(set(by_source) | set(sources)):
        if name not in by_source:
            found.append(f"{name} is in {against} but not in the wheel")
        elif name not in sources:
            found.append(f"{by_source[name][0]} is in the wheel but not in {against}")
        else:
            member, data = by_source[name]
            if member.endswith(".pyc"):
                if not is_bytecode_of(data, sources[name]):
                    found.append(f"{member} is not the bytecode of {name}")
            elif data != sources[name]:
                found.append(f"{name} differs from {against}")
    return found


def is_bytecode_of(pyc: bytes, source: bytes) -> bool:
    """True for a hash-based `.pyc` whose recorded source hash is that of `source`."""
    if len(pyc) < 16 or pyc[2:4] != b"\r\n":
        return False
    if not int.from_bytes(pyc[4:8], "little") & HASH_BASED_PYC:
        return False
    key = int.from_bytes(pyc[:4], "little")
    return bool(_imp.source_hash(key, source) == pyc[8:16])
