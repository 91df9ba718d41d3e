"""The shared StorageAuthority vectors: Python's grant check and path rules must give exactly the
expected canonical grant, error field and refusal reason (tests/js/storage_vectors.test.mjs runs
the same file against the page's side)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser_rt.storage import StorageGrant, StorageGrantError, path_problem

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "storage_authority.json").read_text(encoding="utf-8")
)


def test_vectors_cover_every_reason_and_field() -> None:
    reasons = {case["reason"] for case in VECTORS["paths"]}
    assert reasons == {
        None,
        "not_text",
        "empty",
        "control_char",
        "absolute",
        "backslash",
        "path_too_long",
        "too_deep",
        "empty_segment",
        "dot_segment",
        "name_too_long",
    }
    fields = {case["expect"].get("error_field") for case in VECTORS["grants"]}
    assert fields >= {None, "(grant)", "namespace", "quota_bytes", "max_file_bytes", "max_files", "read_only"}


@pytest.mark.parametrize("case", VECTORS["paths"], ids=lambda case: repr(case["path"])[:40])
def test_path_rule(case: dict[str, object]) -> None:
    assert path_problem(case["path"]) == case["reason"]


@pytest.mark.parametrize("case", VECTORS["grants"], ids=lambda case: str(case["name"]))
def test_grant(case: dict[str, object]) -> None:
    expect = case["expect"]
    assert isinstance(expect, dict)
    if "canonical" in expect:
        grant = StorageGrant.from_mapping(case["grant"])
        assert grant.to_mapping() == expect["canonical"]
        assert StorageGrant.from_json(json.dumps(grant.to_mapping())) == grant
        return
    with pytest.raises(StorageGrantError) as caught:
        StorageGrant.from_mapping(case["grant"])
    assert caught.value.field == expect["error_field"]
    assert str(caught.value).startswith(f"storageAuthority.{expect['error_field']}: ")


def test_grant_is_frozen() -> None:
    grant = StorageGrant.from_mapping({"namespace": "notes"})
    with pytest.raises(AttributeError):
        grant.read_only = True  # type: ignore[misc]
