"""Content-Security-Policy text derived from a FetchAuthority, in the three forms a host needs.

The page's `connect-src` lists the granted origins, so the browser itself enforces them on every
request and every redirect hop. The worker's CSP (sent with worker.mjs) allows no network at all
beyond its own origin: its fetches go through the page's bridge, and `script-src 'self'` stops
dynamic `import()` of code from anywhere else, the one path JS-level revocation cannot remove.

A static host that sends no headers uses the `<meta>` form instead: the page carries the policy,
and createRuntime starts the worker from a `blob:` URL, which inherits the document's policy.
`worker-src` then allows `blob:` (for that start) and `'self'`: in Firefox and WebKit the
worker-src of the worker's own policy also governs the modules the worker script imports, so
`'none'` there stops worker.mjs itself from loading.
"""

from __future__ import annotations

import html

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
        "worker-src": ["'self'", "blob:"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return _render(directives)


def worker_csp() -> str:
    """The CSP for js_bridge/worker.mjs: its own origin only, no eval.

    `worker-src 'self'` rather than `'none'`: Firefox and WebKit check the worker's own module
    imports against it, and the worker revokes its `Worker` constructor before user code runs.
    """
    directives = {
        "default-src": ["'none'"],
        "script-src": list(PYODIDE_SCRIPT_SOURCES),
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
    }
    return _render(directives)


META_IGNORED = ("frame-ancestors", "report-uri", "sandbox")
"""Directives a `<meta>` policy may not carry (CSP3): browsers ignore them there with a warning."""


def page_meta_policy(authority: FetchAuthority) -> str:
    """The page CSP as a `<meta>` element's content: for hosts that cannot send headers."""
    kept = [d for d in page_csp(authority).split("; ") if d.split(" ", 1)[0] not in META_IGNORED]
    return "; ".join(kept)


def page_meta_tag(authority: FetchAuthority) -> str:
    """The `<meta http-equiv="Content-Security-Policy">` element to put first in the page's head."""
    # Only `"` needs escaping inside the attribute; the policy's quotes stay readable.
    content = html.escape(page_meta_policy(authority), quote=False).replace('"', "&quot;")
    return f'<meta http-equiv="Content-Security-Policy" content="{content}">'


def _render(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())
