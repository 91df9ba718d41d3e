"""Helpers shared by the policy tests: the vector file and a WHATWG URL oracle."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from browser_rt import FetchRequest

VECTORS_PATH = Path(__file__).parent / "vectors" / "fetch_policy.json"


def load_vectors() -> list[dict[str, Any]]:
    document = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    assert document["schema"] == "browser-rt-fetch-policy-vectors-v1"
    cases: list[dict[str, Any]] = document["cases"]
    return cases


def request_from_vector(request: dict[str, Any]) -> FetchRequest:
    body = request["body"]
    if isinstance(body, dict):
        body = bytes(body["bytes_len"])
    headers = [tuple(h) for h in request["headers"]]
    return FetchRequest(
        method=request["method"],
        url=request["url"],
        headers=headers,  # type: ignore[arg-type]
        credentials=request["credentials"],
        body=body,
    )


_NODE_ORACLE = r"""
const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(items.map(([url, base]) => {
  try { return (base === null ? new URL(url) : new URL(url, base)).origin; } catch { return null; }
})));
"""


def whatwg_origins(pairs: list[tuple[str, str | None]]) -> list[str | None]:
    """`new URL(url, base).origin` for each pair (None where it throws), from a real WHATWG parser.

    Inside Pyodide this is the JS engine's own `URL` (Node's or Chromium's); on the host it is
    Node's, run in a subprocess.
    """
    if sys.platform == "emscripten":
        import js

        out: list[str | None] = []
        for url, base in pairs:
            try:
                parsed = js.URL.new(url) if base is None else js.URL.new(url, base)
            except Exception:
                out.append(None)
            else:
                out.append(str(parsed.origin))
        return out
    node = shutil.which("node")
    assert node is not None, "node is needed on the host for the WHATWG oracle"
    payload = json.dumps(pairs)
    result = subprocess.run(
        [node, "-e", _NODE_ORACLE], input=payload, capture_output=True, text=True, check=True
    )
    origins: list[str | None] = json.loads(result.stdout)
    return origins
