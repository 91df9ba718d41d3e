"""browser_rt.compat patches only while installed, undoes every patch, and waits only where it can."""

from __future__ import annotations

import asyncio
import sys
import types

import httpx
import pytest
import requests
import urllib3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from browser_rt import Cx, compat
from browser_rt.compat._patch import Patcher
from browser_rt.compat.sync import SyncWaitUnavailable, wait_for
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority

API = "https://api.example.com"
AUTH = FetchAuthority.from_dict({"origins": [API]})


def patched_state() -> tuple[object, ...]:
    return (
        HTTPConnectionPool.ConnectionCls,
        HTTPSConnectionPool.ConnectionCls,
        HTTPConnectionPool.__dict__["urlopen"],
        urllib3.connection.HTTPConnection,
        requests.adapters.HTTPAdapter.__dict__["send"],
        httpx._client.AsyncHTTPTransport,
        httpx._client.HTTPTransport,
    )


def test_importing_compat_changes_nothing_and_governed_undoes_everything():
    before = patched_state()
    meta_path = list(sys.meta_path)
    assert not compat.installed()
    with compat.governed():
        during = patched_state()
        assert compat.installed()
        with compat.governed():  # nested: still in force after the inner block
            pass
        assert patched_state() == during
    assert patched_state() == before
    assert sys.meta_path == meta_path
    assert not any(a is b for a, b in zip(before, during, strict=True))


def test_install_is_counted_and_each_installation_releases_once():
    first, second = compat.install(), compat.install()
    first.uninstall()
    first.uninstall()  # a second release of the same installation does nothing
    assert compat.installed() and not first.held
    second.uninstall()
    assert not compat.installed()
    assert compat.governed_paths() == frozenset()


def test_a_module_imported_while_installed_is_patched_on_import(monkeypatch, tmp_path):
    (tmp_path / "late_library.py").write_text("def send():\n    return 'ungoverned'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    hook_module = types.ModuleType("late_hook")

    def hook(module, patcher: Patcher) -> None:
        patcher.replace(module, "send", lambda: "governed")

    hook_module.patch = hook  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "late_hook", hook_module)
    patcher = Patcher({"late_library": "late_hook:patch"})
    patcher.apply()
    try:
        import late_library

        assert late_library.send() == "governed"
        assert patcher.is_applied("late_library")
    finally:
        patcher.undo()
        sys.modules.pop("late_library", None)
    assert late_library.send() == "ungoverned"


def test_an_inherited_attribute_is_deleted_again_on_undo():
    class Base:
        value = "base"

    class Child(Base):
        pass

    patcher = Patcher({})
    patcher.apply()
    patcher.replace(Child, "value", "child")
    assert Child.value == "child"
    patcher.undo()
    assert Child.value == "base" and "value" not in Child.__dict__


def test_governed_paths_name_pyfetch_pyxhr_and_open_url_while_installed():
    with compat.governed():
        assert compat.governed_paths() == {
            "pyodide.http.pyfetch",
            "pyodide.http.pyxhr",
            "pyodide.http.open_url",
        }


async def never_started() -> None:
    raise AssertionError("a refused wait must not start the coroutine")


@pytest.mark.host_only(reason="inside Pyodide every test runs within a task of the browser's loop")
def test_sync_wait_outside_any_loop_or_run_says_so():
    with pytest.raises(SyncWaitUnavailable, match="none is running"):
        wait_for(never_started())


@pytest.mark.host_only(
    reason="a plain asyncio loop on a thread of its own; Pyodide has the WebLoop and no threads"
)
def test_sync_wait_on_cpythons_own_loop_thread_is_refused_and_works_from_a_thread():
    from browser_rt.lab.host import ScriptedFetchHost
    from browser_rt.lab.trace import Trace

    host = ScriptedFetchHost(Trace(), lambda: 0.0)
    host.respond(f"{API}/items", body=b"[1]")

    async def main(cx: Cx):
        with compat.governed():
            try:
                requests.get(f"{API}/items")
            except SyncWaitUnavailable as refused:
                message = str(refused)
            body = await asyncio.to_thread(lambda: requests.get(f"{API}/items").text)
        return message, body

    from browser_rt import run

    message, body = run(main, authority=AUTH, fetch_host=host)
    assert "asyncio.to_thread" in message
    assert body == "[1]"


def test_the_lab_nested_wait_reports_a_deadlock(lab: LabRuntime):
    from browser_rt.lab import LabStall

    async def main(cx: Cx):
        never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def wait_forever() -> None:
            await never

        with pytest.raises(LabStall, match="synchronous wait"):
            wait_for(wait_forever())
        never.set_result(None)
        await asyncio.sleep(0)

    lab.run(main, authority=AUTH)
