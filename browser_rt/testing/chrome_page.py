"""One headless Chromium tab with Pyodide loaded, owned by one session and by nothing else.

pytest-pyodide keeps one shared browser per runtime in a private module cache; a session here
starts its own instead (its Selenium runner class, pointed at a file server of the session's own,
`page_server`), so sessions in different threads never share a browser, a server or a cache.

Pyodide starts from the cached session snapshot (an interpreter with pytest and its plugins
imported, `session_snapshot`) when one is there: the runner's `load_pyodide` runs
`chrome_boot.mjs` instead of pytest-pyodide's own load script, with the same load options, and
the page checks the container itself before it restores it. Whatever became of the snapshot is
told to the cache (`SNAPSHOTS.outcome`): a refused one is built again, and the run's summary
says how each page started. `preloaded` names the packages the page holds already imported.

A page whose only thread is stuck in a test never answers WebDriver again: chromedriver does not
apply its script timeout to a busy renderer, and the call waits for Selenium's two-minute HTTP
timeout. `close` therefore first closes the tab through the browser's own DevTools endpoint (the
browser process is not busy), which makes any call still waiting on the tab fail at once, and
only then quits the driver.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from browser_rt.testing import page_server, upstream
from browser_rt.testing.node_session import PRELOAD
from browser_rt.testing.session_snapshot import SNAPSHOTS

LOAD_TIMEOUT_S = 120.0
"""Time allowed for one page-side step while starting: opening the page, loading Pyodide."""
DEVTOOLS_TIMEOUT_S = 5.0
BOOT_FILES = "boot/"
"""Where, under the session prefix, the page's start files are served (never a project's name)."""
CHROME_BOOT = Path(__file__).with_name("chrome_boot.mjs")


class ChromePage:
    """A started Chromium with Pyodide at `base_url`'s page; `files` are served under it too."""

    def __init__(self, dist_dir: Path, files: dict[str, Path]) -> None:
        self._stack = ExitStack()
        self._files = dict(files)
        self.preloaded: tuple[str, ...] = ()
        offer = SNAPSHOTS.for_boot(str(dist_dir), PRELOAD, "chrome")
        self._files[BOOT_FILES + CHROME_BOOT.name] = CHROME_BOOT
        if offer is not None:
            self._files[BOOT_FILES + str(offer["info"]["file"])] = Path(offer["container"])
            self._files[BOOT_FILES + "snapshot.mjs"] = Path(offer["module"])
        try:
            self.base_url = self._stack.enter_context(
                page_server.serve(dist_dir, upstream.templates_dir(), self._files)
            )
            runner_class = type(
                "BrowserRtChromeRunner",
                (upstream.chrome_runner_class(),),
                {"script_timeout": LOAD_TIMEOUT_S, "load_pyodide": _load_pyodide},
            )
            host, port = self.base_url.removeprefix("http://").rstrip("/").rsplit(":", 1)
            self._runner = runner_class(
                server_port=int(port),
                server_hostname=host,
                server_log=None,
                load_pyodide=False,
                dist_dir=dist_dir,
                jspi=False,
            )
            self._stack.callback(self._quit)
            self._runner.browser_rt_boot = self._boot_script(offer)
            # Loaded here rather than in the constructor, so a failed load still quits the browser.
            self._runner.load_pyodide()
            self._runner.initialize_pyodide()
            self._note_snapshot(str(dist_dir), self._runner.browser_rt_snapshot)
        except BaseException:
            self._stack.close()
            raise

    def _boot_script(self, offer: dict[str, Any] | None) -> str:
        """The page's start: `chrome_boot.mjs`, offered the snapshot as this server serves it."""
        boot_url = self.base_url + page_server.SESSION_PREFIX.lstrip("/") + BOOT_FILES
        page_offer = None
        if offer is not None:
            page_offer = {"folder": boot_url, "module": boot_url + "snapshot.mjs", "info": offer["info"]}
        return f"""
const {{ startPyodide }} = await import({json.dumps(boot_url + CHROME_BOOT.name)});
const started = await startPyodide({json.dumps(self.base_url)}, {json.dumps(page_offer)});
let pyodide = started.pyodide;
"""

    def _note_snapshot(self, pyodide_dir: str, said: object) -> None:
        """Tell the cache what became of its snapshot (the page's word, checked and bounded)."""
        if not isinstance(said, dict) or not isinstance(said.get("used"), bool):
            return  # none was offered
        if said["used"]:
            packages = said.get("packages")
            if isinstance(packages, list):
                self.preloaded = tuple(str(name)[:200] for name in packages[:1000])
        reason = str(said.get("reason", ""))[:500]
        SNAPSHOTS.outcome(pyodide_dir, {"used": said["used"], "reason": reason}, "chrome")

    @property
    def runner(self) -> Any:
        """pytest-pyodide's runner: `run`, `run_async`, `load_package`, `run_js`."""
        return self._runner

    def serve(self, files: dict[str, Path]) -> None:
        """Serve `files` too, under the session prefix (a page booted before its session's spec)."""
        self._files.update(files)

    def run_js(self, code: str, timeout: float) -> Any:
        """Run JavaScript in the page (an async function body); its `return` value."""
        if self._runner.script_timeout != timeout:  # one WebDriver call less per `run_js`
            self._runner.set_script_timeout(timeout)
        return self._runner.run_js(code, pyodide_checks=False)

    def close_tab(self) -> None:
        """Close the page through DevTools, so that calls still waiting on it fail now."""
        with contextlib.suppress(Exception):
            address = self._runner.driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
            with urllib.request.urlopen(f"http://{address}/json/list", timeout=DEVTOOLS_TIMEOUT_S) as answer:
                targets = json.load(answer)
            for target in targets:
                if target.get("type") == "page":
                    url = f"http://{address}/json/close/{target['id']}"
                    urllib.request.urlopen(url, timeout=DEVTOOLS_TIMEOUT_S).close()

    def _quit(self) -> None:
        with contextlib.suppress(Exception):
            self._runner.quit()

    def close(self) -> None:
        """Stop the browser and the file server; safe to call twice."""
        self._stack.close()


def _load_pyodide(runner: Any) -> None:
    """The runner's `load_pyodide`: `browser_rt_boot` (snapshot or not), then pytest-pyodide's
    own after-load step; the page's word on the snapshot is kept as `browser_rt_snapshot`."""
    script = runner.browser_rt_boot + runner.POST_LOAD_PYODIDE_SCRIPT + "\nreturn started.snapshot;"
    runner.browser_rt_snapshot = runner.run_js(script)
