"""ConsoleSink and CallbackSink in real JS consoles: Pyodide in headless Chromium and in Node.

Run on the host, not under --run-in-pyodide:

    SE_OFFLINE=true pytest tests/browser/test_diagnostics_console.py --rt node,chrome \\
        --dist-dir build/bundle/pyodide

pytest-pyodide's page keeps only the first argument of each console call in `selenium.logs`,
so these tests put a recorder in front of `console`: it notes what each call received (method,
prefix, whether the event is a plain JS object) and forwards one line, the prefix plus the
event as JSON, to the original console. `selenium.logs` then holds the whole record, and the
canary search covers it. In Node, the console is the host's only because tests/conftest.py
adds it to pytest-pyodide's Node globals (Pyodide's vm context otherwise has a silent one).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_pyodide import run_in_pyodide


def pyodide_missing(config: pytest.Config) -> bool:
    """True when --dist-dir holds no Pyodide build, as in a plain `pytest tests` host run."""
    return not (Path(config.getoption("dist_dir")) / "pyodide.mjs").is_file()


pytestmark = pytest.mark.skipif(
    "pyodide_missing(config)",
    reason="needs a Pyodide build: --rt node,chrome --dist-dir build/bundle/pyodide",
)

ORIGIN = "https://api.example.com"
WINDOW = 8

INSTALL_RECORDER = """
    globalThis.__brtOriginalConsole = globalThis.console;
    globalThis.__brtCalls = [];
    globalThis.__brtCallback = [];
    const original = globalThis.console;
    const recorder = Object.create(original);
    for (const method of ["debug", "info", "warn", "error"]) {
        recorder[method] = (...args) => {
            const event = args[1];
            const json = JSON.stringify(event);
            globalThis.__brtCalls.push({
                method,
                argc: args.length,
                prefix: args[0],
                plain: typeof event === "object" && event !== null
                    && Object.getPrototypeOf(event) === Object.prototype,
                json,
            });
            original[method].call(original, `${method} ${args[0]} ${json}`);
        };
    }
    globalThis.console = recorder;
"""
REMOVE_RECORDER = "globalThis.console = globalThis.__brtOriginalConsole;"


@pytest.fixture
def console(selenium: Any) -> Iterator[Any]:
    selenium.load_package(["browser_rt"])
    selenium.run_js(INSTALL_RECORDER)
    selenium.clean_logs()
    yield selenium
    selenium.run_js(REMOVE_RECORDER)


def make_canaries() -> dict[str, str]:
    places = ("authorization", "cookie", "api_key", "userinfo", "query", "body", "server_error", "exception")
    return {place: f"CANARY-{uuid.uuid4().hex}" for place in places}


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    return sorted(
        {
            secret[i : i + WINDOW]
            for secret in secrets.values()
            for i in range(len(secret) - WINDOW + 1)
            if secret[i : i + WINDOW] in text
        }
    )


@run_in_pyodide(packages=["browser_rt"])
def drive_paths(selenium: Any, canary: dict[str, str], mode: str) -> int:
    """Inside Pyodide: emit the allow, deny, error, timeout and cancel paths to the JS console."""
    from pyodide.code import run_js

    from browser_rt.diagnostics import CallbackSink, ConsoleSink, Diagnostics

    origin = "https://api.example.com"
    callback = CallbackSink(run_js("(event) => { globalThis.__brtCallback.push(event); }"))
    diag = Diagnostics(mode=mode, sinks=[ConsoleSink(), callback], clock=iter(range(1, 100)).__next__)
    seed = 2**64 - 1
    request = diag.bind(region=1, task=2, seed=seed, replay=f"browser-rt lab replay --seed {seed}")
    request.emit(
        "fetch.decision",
        origin=origin,
        method="POST",
        decision="allow",
        url=f"{origin}/v1/items?token={canary['query']}&page=2",
        headers=[
            ("Authorization", f"Bearer {canary['authorization']}"),
            ("X-API-Key", canary["api_key"]),
        ],
        header_count=2,
        body=canary["body"].encode(),
    )
    request.emit(
        "fetch.decision",
        severity="warn",
        origin=origin,
        method="GET",
        decision="deny",
        reason="userinfo_denied",
        url=f"https://admin:{canary['userinfo']}@api.example.com/",
    )
    request.emit(
        "fetch.decision",
        severity="warn",
        origin=origin,
        method="GET",
        decision="deny",
        reason="forbidden_header",
        detail="headers[0]: a forbidden request header",
        headers=[("Cookie", f"session={canary['cookie']}")],
    )
    request.emit(
        "fetch.error",
        severity="error",
        origin=origin,
        status=500,
        code="http_error",
        error=f"upstream said {canary['server_error']}",
        message=canary["server_error"],
    )
    request.emit(
        "fetch.error",
        severity="error",
        origin=origin,
        reason="timeout",
        duration_ms=30000,
        error=TimeoutError(canary["exception"]),
    )
    request.emit(
        "cancel.overrun",
        severity="warn",
        overrun_ms=12.5,
        error=RuntimeError(canary["exception"]),
    )
    request.emit("fetch.complete", severity="debug", origin=origin, status=200, response_bytes=10)
    return diag.stats.delivered


def console_records(selenium: Any) -> list[tuple[str, dict[str, Any]]]:
    """(method, record) for each `[browser_rt]` line in the captured console output."""
    records = []
    for line in selenium.logs.splitlines():
        method, _, rest = line.partition(" [browser_rt] ")
        if rest.startswith("{"):
            records.append((method.rsplit(" ", 1)[-1], json.loads(rest)))
    return records


@pytest.mark.parametrize("mode", ["metadata_only", "strict"])
def test_console_output_holds_metadata_and_no_canary(console: Any, mode: str) -> None:
    canary = make_canaries()
    delivered = drive_paths(console, canary, mode)
    calls = console.run_js("return globalThis.__brtCalls;")
    callback_events = console.run_js("return globalThis.__brtCallback;")
    logs = console.logs

    assert delivered == 7
    assert leaked(logs, canary) == []
    assert leaked(json.dumps(calls), canary) == []
    assert leaked(json.dumps(callback_events), canary) == []

    assert [(call["method"], call["argc"], call["prefix"], call["plain"]) for call in calls] == [
        (method, 2, "[browser_rt]", True)
        for method in ("info", "warn", "warn", "error", "error", "warn", "debug")
    ]
    records = console_records(console)
    methods = [method for method, _ in records]
    expected_methods = ["info", "warn", "warn", "error", "error", "warn"]
    assert methods[:6] == expected_methods, (
        "debug is not captured by the Chromium test page, info/warn/error are"
    )
    allowed = records[0][1]
    assert allowed["type"] == "fetch.decision"
    assert (allowed["origin"], allowed["method"], allowed["decision"]) == (ORIGIN, "POST", "allow")
    assert (allowed["region"], allowed["task"]) == (1, 2)
    assert allowed["seed"] == "18446744073709551615", "a seed beyond 2**53 arrives as a string, not a BigInt"
    assert allowed["replay"] == "browser-rt lab replay --seed 18446744073709551615"
    assert allowed["body"] == {"bytes": 39}
    assert allowed["url"]["origin"] == ORIGIN
    if mode == "metadata_only":
        assert allowed["headers"] == {"count": 2, "names": ["authorization", "x-api-key"]}
        assert allowed["url"]["query_keys"] == ["token", "page"]
    else:
        assert allowed["headers"] == {"count": 2}
        assert "query_keys" not in allowed["url"]
    assert records[1][1]["reason"] == "userinfo_denied"
    assert records[1][1]["url"]["has_userinfo"] is True
    assert records[2][1]["detail"] == "headers[0]: a forbidden request header"
    assert records[4][1]["error"] == {"type": "TimeoutError"}
    assert records[5][1]["error"] == {"type": "RuntimeError"}

    assert [event["seq"] for event in callback_events] == list(range(1, 8))
    assert callback_events[0]["url"]["origin"] == ORIGIN
    assert callback_events[0]["ts"] == 1
    assert callback_events[0]["seed"] == "18446744073709551615"


@run_in_pyodide(packages=["browser_rt"])
def hostile_loop(selenium: Any, count: int) -> list[int]:
    from browser_rt.diagnostics import ConsoleSink, Diagnostics

    diag = Diagnostics(sinks=[ConsoleSink()], clock=lambda: 0.0)
    for _ in range(count):
        diag.emit(
            "fetch.decision",
            severity="warn",
            decision="deny",
            reason="origin_denied",
            origin="https://evil.example",
        )
    diag.flush()
    return [diag.stats.delivered, diag.stats.rate_limited]


def test_a_hostile_loop_cannot_drown_the_console(console: Any) -> None:
    delivered, rate_limited = hostile_loop(console, 5000)
    assert (delivered, rate_limited) == (11, 4990)
    records = console_records(console)
    assert len(records) == 11
    method, summary = records[-1]
    assert method == "warn"
    assert summary["type"] == "diagnostics.dropped"
    assert summary["dropped"]["total"] == 4990


@run_in_pyodide(packages=["browser_rt"])
def unredacted_start(selenium: Any) -> str:
    from browser_rt.diagnostics import ConsoleSink, Diagnostics

    return Diagnostics(mode="none", sinks=[ConsoleSink()], ci=False, allow_unredacted=True).mode


def test_mode_none_warns_in_the_console(console: Any) -> None:
    assert unredacted_start(console) == "none"
    assert "[browser_rt] WARNING: diagnostics mode 'none' is on" in console.logs
    records = console_records(console)
    assert [(method, record["type"]) for method, record in records] == [("warn", "diagnostics.unredacted")]
