"""Start one interpreter of a runtime for one session spec: Node (a booted one where the plugin
started it early), or Chromium in its module."""

from __future__ import annotations

from typing import Any

import pytest

from browser_rt.testing.forward import Session
from browser_rt.testing.node_session import node_session


def start_session(runtime: str, spec: dict[str, Any], item: pytest.Item) -> Session:
    """A fresh interpreter for `runtime` (`node` or `chrome`) running `spec`."""
    if runtime == "node":
        return node_session(spec)
    if runtime == "chrome":
        from browser_rt.testing.chrome_session import ChromeSession

        return ChromeSession(spec, item)
    raise pytest.UsageError(f"--rt {runtime}: browser_rt.testing runs tests in node and chrome only")
