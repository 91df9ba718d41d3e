"""Chromium pages booted while the host collects, for sessions whose specs are not known yet.

Starting a browser through Selenium and chromedriver, then Pyodide and pytest in its page, takes
seconds; so do the host's own start and collection. The plugin calls `prewarm` at
`pytest_configure`: each page boots in a thread of its own (`boot_page`: Pyodide, pytest and the
session runner, nothing of the project; Pyodide with pytest imported comes from the cached
session snapshot when there is one, `chrome_page`), and a Chromium session takes one with
`take` once the host knows what it runs. A page booted for another Pyodide folder or another runner is never
used: `take` stops it and the session boots its own. `discard` stops every page no session took,
waiting for boots still under way, so no browser outlives the run (Ctrl-C and errors included:
the plugin calls it from `pytest_unconfigure`).
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from browser_rt.testing import snippets
from browser_rt.testing.chrome_page import DEVTOOLS_TIMEOUT_S, ChromePage
from browser_rt.testing.node_session import PRELOAD

Boot = tuple[str, str]
"""What a page was booted for: the Pyodide folder (resolved) and the runner's source."""


def boot_page(page: ChromePage, runner: str) -> None:
    """Load what every session needs, unless the page's snapshot holds it, and define the
    runner from its source (a snapshot never holds it); the project is not touched."""
    if not set(PRELOAD) <= set(page.preloaded):
        page.runner.load_package(list(PRELOAD))
    page.runner.run(snippets.define_runner(runner))


class WarmPage:
    """One page booting in its own thread; `result` waits for it."""

    def __init__(self, boot: Boot) -> None:
        self.boot = boot
        self._page: ChromePage | None = None
        self._thread = threading.Thread(target=self._start, name="browser-rt-chrome-prewarm", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        page: ChromePage | None = None
        try:
            page = ChromePage(Path(self.boot[0]), {})
            boot_page(page, self.boot[1])
        except Exception:
            # The session that would have used it starts a page of its own, and reports why
            # that one fails, if it does.
            if page is not None:
                page.close()
            return
        self._page = page

    def result(self) -> ChromePage | None:
        """The booted page once its boot has ended; None if the boot failed."""
        self._thread.join()
        return self._page

    def close(self) -> None:
        """Stop the browser (after its boot, if one is under way)."""
        page = self.result()
        if page is not None:
            page.close()


_WARM: list[WarmPage] = []
_WARM_LOCK = threading.Lock()


def prewarm(pyodide_dir: str, runner: str, count: int) -> None:
    """Start booting `count` pages now (fewer if some are already waiting)."""
    with _WARM_LOCK:
        for _ in range(max(0, count - len(_WARM))):
            _WARM.append(WarmPage((pyodide_dir, runner)))


def take(pyodide_dir: str, runner: str) -> ChromePage | None:
    """A booted, answering page for this Pyodide folder and runner, or None (boot your own).

    Waits for a boot still under way: it is further along than a page started now would be.
    """
    wanted = (pyodide_dir, runner)
    while True:
        with _WARM_LOCK:
            if not _WARM:
                return None
            waiting = _WARM.pop(0)
        if waiting.boot != wanted:
            waiting.close()
            continue
        page = waiting.result()
        if page is not None and _answers(page):
            return page
        if page is not None:
            page.close()


def _answers(page: ChromePage) -> bool:
    with contextlib.suppress(Exception):
        return bool(page.run_js("return !!globalThis.pyodide;", DEVTOOLS_TIMEOUT_S))
    return False


def discard() -> None:
    """Stop every page no session took (the run needed fewer, or none)."""
    with _WARM_LOCK:
        waiting, _WARM[:] = list(_WARM), []
    for warm in waiting:
        warm.close()
