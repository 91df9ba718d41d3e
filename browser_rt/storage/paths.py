"""The path rules of a stored file, the same as js_bridge/storage/paths.mjs.

Both sides run tests/vectors/storage_authority.json. A stored path is relative to the mount,
"/"-separated; Python checks it before a flush so the error is early and names the file, and the
page checks it again because what Python sends is untrusted.
"""

from __future__ import annotations

from typing import Final

MAX_PATH_BYTES: Final = 1024
MAX_NAME_BYTES: Final = 255
MAX_DEPTH: Final = 16


def path_problem(path: object) -> str | None:
    """Why `path` may not be stored, or None when it may.

    Checked in this order, so both sides give the same reason: not_text, empty, control_char,
    absolute, backslash, path_too_long, too_deep, then per segment empty_segment, dot_segment,
    name_too_long. Lengths are UTF-8 bytes.
    """
    if not isinstance(path, str):
        return "not_text"
    try:
        encoded = path.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, such as an undecodable file name
        return "not_text"
    if not path:
        return "empty"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        return "control_char"
    if path.startswith("/"):
        return "absolute"
    if "\\" in path:
        return "backslash"
    if len(encoded) > MAX_PATH_BYTES:
        return "path_too_long"
    segments = path.split("/")
    if len(segments) > MAX_DEPTH:
        return "too_deep"
    for segment in segments:
        if not segment:
            return "empty_segment"
        if segment in (".", ".."):
            return "dot_segment"
        if len(segment.encode("utf-8")) > MAX_NAME_BYTES:
            return "name_too_long"
    return None
