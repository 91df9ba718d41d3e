"""Content-Security-Policy headers derived from a FetchAuthority.

The page's `connect-src` lists the granted origins, so the browser itself enforces them on every
request and every redirect hop. The worker's CSP (sent with worker.mjs) allows no network at all
beyond its own origin: its fetches go through the page's bridge, and `script-src 'self'` stops
dynamic `import()` of code from anywhere else, the one path JS-level revocation cannot remove.
"""

from __future__ import annotations

from browser_rt.policy import FetchAuthority

PYODIDE_SCRIPT_SOURCES = ("'self'", "'wasm-unsafe-eval'")
"""Pyodide compiles its wasm (needs 'wasm-unsafe-eval'); it does not need 'unsafe-eval'."""


def connect_sources(authority: FetchAuthority, *, extra: tuple[str, ...] = ()) -> list[str]:
    """'self' (Pyodide loads its files from the page's origin), then every granted origin."""
    grants = sorted(authority.origins) + sorted(w.text for w in authority.wildcards)
    return ["'self'", *grants, *extra]


def page_csp(authority: FetchAuthority, *, extra_connect: tuple[str, ...] = ()) -> str:
    """The CSP for a page that embeds browser_rt under this authority."""
    directives = {
        "default-src": ["'self'"],
        "script-src": list(PYODIDE_SCRIPT_SOURCES),
        "connect-src": connect_sources(authority, extra=extra_connect),
        "worker-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return _render(directives)


def worker_csp() -> str:
    """The CSP for js_bridge/worker.mjs: its own origin only, no eval, no nested workers."""
    directives = {
        "default-src": ["'none'"],
        "script-src": list(PYODIDE_SCRIPT_SOURCES),
        "connect-src": ["'self'"],
        "worker-src": ["'none'"],
    }
    return _render(directives)


def _render(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())
