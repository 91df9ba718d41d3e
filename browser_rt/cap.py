"""`Cx`, the capability context: kept here as an import path; it lives in `browser_rt.runtime.cx`.

The runtime creates every `Cx` and its regions hand them on, so the class belongs with the
runtime. This module only re-exports it, and imports nothing else: the runtime never imports
this module, so the two cannot form an import cycle (tests/test_import_graph.py checks).
"""

from __future__ import annotations

from browser_rt.runtime.cx import Cx

__all__ = ["Cx"]
