"""browser_rt: a Python runtime for the browser with a default-deny network capability."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
