"""Modes: metadata_only by default, strict, and the unredacted `none` with its CI guard."""

from __future__ import annotations

import pytest

from browser_rt.diagnostics import Diagnostics, DiagnosticsConfigError, MemorySink


def test_metadata_only_is_the_default() -> None:
    sink = MemorySink()
    diag = Diagnostics(sinks=[sink])
    diag.emit("fetch.complete")
    assert diag.mode == "metadata_only"
    assert sink.events[0]["redaction"] == "metadata_only"


@pytest.mark.parametrize("mode", ["off", "None", "", None, 0, "STRICT"])
def test_an_unknown_mode_is_refused_with_the_choices(mode: object) -> None:
    with pytest.raises(
        DiagnosticsConfigError,
        match=r"unknown diagnostics mode .*; expected one of metadata_only, strict, none",
    ):
        Diagnostics(mode=mode)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["true", "1", "yes", "TRUE", "anything"])
def test_mode_none_is_refused_when_the_ci_variable_is_set(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(DiagnosticsConfigError, match="diagnostics mode 'none' is refused because CI is set"):
        Diagnostics(mode="none", allow_unredacted=True)


def test_the_explicit_ci_flag_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(DiagnosticsConfigError, match="refused because CI is set"):
        Diagnostics(mode="none", allow_unredacted=True, ci=True)
    monkeypatch.setenv("CI", "true")
    assert Diagnostics(mode="none", allow_unredacted=True, ci=False).mode == "none"


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off", " False "])
def test_a_falsy_ci_variable_does_not_count(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert Diagnostics(mode="none", allow_unredacted=True).mode == "none"


def test_the_ci_guard_does_not_touch_redacting_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert Diagnostics(mode="strict").mode == "strict"


def test_mode_none_needs_an_explicit_opt_in() -> None:
    with pytest.raises(DiagnosticsConfigError, match="pass allow_unredacted=True"):
        Diagnostics(mode="none", ci=False)


def test_ci_must_be_a_bool_or_none() -> None:
    with pytest.raises(DiagnosticsConfigError, match="ci must be True, False or None, got 'yes'"):
        Diagnostics(mode="none", allow_unredacted=True, ci="yes")  # type: ignore[arg-type]


def test_mode_none_warns_loudly_and_keeps_raw_values(capsys: pytest.CaptureFixture[str]) -> None:
    sink = MemorySink()
    diag = Diagnostics(mode="none", sinks=[sink], ci=False, allow_unredacted=True)
    assert "WARNING: diagnostics mode 'none' is on" in capsys.readouterr().err
    diag.emit(
        "fetch.decision",
        origin="https://api.example.com",
        url="https://u:pw@api.example.com/x?token=abc",
        headers=[("Authorization", "Bearer abc")],
        body=b"\xffbody",
        error=ValueError("boom"),
        extra_field=[1, {"k": "v"}],
    )
    warning, record = sink.events
    assert (warning["type"], warning["severity"], warning["redaction"]) == (
        "diagnostics.unredacted",
        "warn",
        "none",
    )
    assert record["redaction"] == "none"
    assert record["url"]["origin"] == "https://api.example.com", "the redacted fields stay as in other modes"
    assert record["raw"] == {
        "origin": "https://api.example.com",
        "url": "https://u:pw@api.example.com/x?token=abc",
        "headers": [["Authorization", "Bearer abc"]],
        "body": "\\xffbody",
        "error": "ValueError: boom",
        "extra_field": [1, {"k": "v"}],
    }


def test_redacting_modes_never_carry_raw() -> None:
    for mode in ("metadata_only", "strict"):
        sink = MemorySink()
        Diagnostics(mode=mode, sinks=[sink]).emit("fetch.complete", body=b"x", secret_field="y")
        assert "raw" not in sink.events[0]
