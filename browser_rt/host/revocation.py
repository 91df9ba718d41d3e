"""Worker mode: forget every Python reference to the JS globals the worker removed.

Deleting `fetch` from the worker scope does not reach a module that imported it earlier
(`pyodide.http` binds `js.fetch` on import), so loaded modules are scrubbed as well.
"""

from __future__ import annotations

import sys
from typing import Any


def forget_revoked(originals: Any) -> list[str]:
    """Replace module-level references to any of `originals` (JS objects) with None."""
    from pyodide.ffi import JsProxy

    revoked_ids = {original.js_id for original in originals}
    scrubbed = []
    for module_name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for key, value in list(namespace.items()):
            if isinstance(value, JsProxy) and value.js_id in revoked_ids:
                namespace[key] = None
                scrubbed.append(f"{module_name}.{key}")
    return sorted(scrubbed)
