"""Existing Python HTTP code, governed: pyfetch, pyxhr, open_url, requests, urllib3 and httpx.

People do not write `cx.fetch` first. Inside a browser_rt runtime (the embedded runtime
installs this for every `createRuntime()`, worker and page mode) those libraries send through
the running task's `Cx`: the same authority decision, events, budgets, request limits and
bridge as `cx.fetch`, and a refusal surfaces as each library's own error with the policy's
reason in its message and the browser_rt error as its `__cause__`.

Nothing is patched on import of this package, and nothing global changes on the host unless
asked: `governed(cx)` patches for the length of a `with` block (the lab uses it to drive
`requests` against its scripted host on CPython). Every patch is undone exactly, and a library
is patched only once it is imported, so unused ones cost nothing at start-up.

    with browser_rt.compat.governed():
        requests.get(url)        # inside a browser_rt run: through current_cx().fetch
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from browser_rt.compat._patch import Patcher
from browser_rt.compat.sync import SyncWaitUnavailable, sync_wait_support, wait_for

if TYPE_CHECKING:
    import httpx

    from browser_rt.runtime import Cx

HOOKS = {
    "pyodide.http": "browser_rt.compat.pyfetch:patch",
    "urllib3": "browser_rt.compat.urllib3:patch",
    "requests": "browser_rt.compat.requests:patch",
    "httpx": "browser_rt.compat.httpx:patch",
}
"""Each patched module and the function that patches it, run once the module is imported."""

GOVERNED_PATHS = {
    "pyodide.http": ("pyodide.http.pyfetch", "pyodide.http.pyxhr", "pyodide.http.open_url"),
}
"""The ambient network paths a patch turns into governed ones (for `runtime.ambient_paths`)."""

_patcher = Patcher(HOOKS)
_installs = 0


class Installation:
    """One holder of the patches; they stay while any installation is held."""

    def __init__(self) -> None:
        self._held = True

    def uninstall(self) -> None:
        """Release this installation; the last one released restores every patched library."""
        global _installs
        if not self._held:
            return
        self._held = False
        _installs -= 1
        if _installs == 0:
            _patcher.undo()

    @property
    def held(self) -> bool:
        return self._held


def install() -> Installation:
    """Govern the HTTP libraries in this interpreter until the result is uninstalled.

    Nested installs are counted: the patches go when the last one is released. Code that runs
    outside any browser_rt run while they are in force cannot send at all (`NoCapabilityError`
    inside the library's connection error), which is the runtime's default-deny.
    """
    global _installs
    _installs += 1
    _patcher.apply()
    return Installation()


def installed() -> bool:
    """Whether the patches are in force."""
    return _patcher.active


def governed_paths() -> frozenset[str]:
    """The `pyodide.http` paths (pyfetch, pyxhr, open_url) that go through the Cx now."""
    if not _patcher.active:
        return frozenset()
    return frozenset(path for paths in GOVERNED_PATHS.values() for path in paths)


@contextmanager
def governed(cx: Cx | None = None) -> Iterator[None]:
    """Patch for the length of the block; with `cx`, requests in it go through that `Cx`.

    For tests and host programs: inside the embedded runtime the patches are always in force.
    `cx` becomes the current capability in the block (it is restored afterwards), which is
    what code run by `browser_rt.run` already has.
    """
    from browser_rt.runtime.context import CURRENT_CX

    installation = install()
    token = None if cx is None else CURRENT_CX.set(cx)
    try:
        yield
    finally:
        if token is not None:
            CURRENT_CX.reset(token)
        installation.uninstall()


def httpx_transport(cx: Cx | None = None, **_options: Any) -> httpx.AsyncBaseTransport:
    """An `httpx.AsyncBaseTransport` that sends through `cx` (default: the running task's)."""
    transport: httpx.AsyncBaseTransport = _httpx_adapters().GovernedAsyncTransport(cx=cx)
    return transport


def httpx_sync_transport(cx: Cx | None = None, **_options: Any) -> httpx.BaseTransport:
    """An `httpx.BaseTransport` for `httpx.Client`; it waits like requests does (JSPI, the lab)."""
    transport: httpx.BaseTransport = _httpx_adapters().GovernedTransport(cx=cx)
    return transport


def _httpx_adapters() -> Any:
    """browser_rt.compat.httpx, imported on use: httpx is optional, so say how to get it."""
    try:
        from browser_rt.compat import httpx as adapters
    except ModuleNotFoundError as missing:
        raise ModuleNotFoundError(
            f"browser_rt.httpx_transport() needs httpx ({missing}): add requirements/pyodide-http.txt "
            "to the bundle (browser-rt bundle --requirements) and load it with "
            'createRuntime({packages: ["httpx"]})'
        ) from missing
    return adapters


__all__ = [
    "GOVERNED_PATHS",
    "HOOKS",
    "Installation",
    "SyncWaitUnavailable",
    "governed",
    "governed_paths",
    "httpx_sync_transport",
    "httpx_transport",
    "install",
    "installed",
    "sync_wait_support",
    "wait_for",
]
