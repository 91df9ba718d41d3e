"""Name an exception by a type from a fixed allowlist; its text never leaves.

An exception's message may hold a URL with a token, a server's error page or user data, so a
record carries only a type name. User-defined types are named by their nearest allowlisted base
(`class LeakyError(ValueError)` becomes `ValueError`), so even a type name chosen by user code
cannot carry text. The lookup reads type slots directly and calls no code of the exception.
"""

from __future__ import annotations

import builtins
import sys
from typing import Any, Final

_BUILTIN_EXCEPTIONS: Final[dict[int, str]] = {
    id(obj): name
    for name, obj in vars(builtins).items()
    if isinstance(obj, type) and issubclass(obj, BaseException)
}
"""Every builtin exception type, by identity (so a metaclass cannot fake equality)."""

_KNOWN_ELSEWHERE: Final = (
    ("asyncio.exceptions", "CancelledError"),
    ("asyncio.exceptions", "InvalidStateError"),
    ("json.decoder", "JSONDecodeError"),
    ("pyodide.ffi", "JsException"),
)
"""Library types the runtime meets on its fetch and cancel paths; matched only if already imported."""

_OWN_PACKAGE: Final = "browser_rt"


def exception_type_name(error: BaseException) -> str:
    """The name of the first allowlisted type in the exception's MRO (at worst `BaseException`)."""
    for cls in _slot(type(error), "__mro__"):
        name = _allowed_name(cls)
        if name is not None:
            return name
    return "BaseException"


def _allowed_name(cls: type) -> str | None:
    builtin = _BUILTIN_EXCEPTIONS.get(id(cls))
    if builtin is not None:
        return builtin
    module_name = _slot(cls, "__module__")
    name = _slot(cls, "__qualname__")
    if not isinstance(module_name, str) or not isinstance(name, str):
        return None
    own = module_name == _OWN_PACKAGE or module_name.startswith(_OWN_PACKAGE + ".")
    if not own and (module_name, name) not in _KNOWN_ELSEWHERE:
        return None
    module = sys.modules.get(module_name)
    return name if module is not None and vars(module).get(name) is cls else None


def _slot(cls: type, attribute: str) -> Any:
    """Read a type attribute through `type`'s own descriptor, past any metaclass override."""
    return vars(type)[attribute].__get__(cls, type)
