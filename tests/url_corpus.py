"""The URL corpus that each browser engine's own `URL` parser is checked against.

`e2e/whatwg.spec.js` writes it with `python tests/url_corpus.py OUT.json`, has Chromium, Firefox
and WebKit compute `new URL(url, base).origin` for every entry, and compares: wherever Python
names an origin, every engine must name the same one, so the origin the policy decides on is the
one `fetch` would contact in any browser. Entries: the seeded generated URLs of the property
tests, every request of the shared vectors, and the URL Standard's own urltestdata (WPT).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from test_policy_properties import _generated_urls

from browser_rt import FetchAuthority, FetchRequest
from browser_rt.policy import PolicyError

HERE = Path(__file__).resolve().parent
WPT = HERE.parent.parent / "shared" / "conformance" / "wpt" / "urltestdata.json"
VECTORS = HERE / "vectors" / "fetch_policy.json"
GENERATED = 3000
SEED = 20261122


def _python_origin(url: str, base: str | None) -> str | None:
    """The origin Python computes for `url` (relative ones against `base`'s origin), or None."""
    document: dict[str, Any] = {"origins": ["https://api.example.com"]}
    if base is not None:
        document["base"] = base
    try:
        authority = FetchAuthority.from_dict(document)
    except PolicyError:
        return None
    return authority.authorize(FetchRequest(method="GET", url=url)).origin


def _base_origin(base: str | None) -> str | None:
    """WPT bases carry paths; the policy's `base` is an origin, and only the origin matters here."""
    if base is None:
        return None
    authority = FetchAuthority.from_dict({"origins": ["https://api.example.com"]})
    return authority.authorize(FetchRequest(method="GET", url=base)).origin


def corpus() -> list[dict[str, Any]]:
    """Every entry: the URL, the base the engine resolves it against, and Python's origin."""
    generated = _generated_urls(GENERATED, SEED)
    pairs: list[tuple[str, str | None, str]] = [(url, None, "generated") for url in generated]
    for case in json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]:
        pairs.append((case["request"]["url"], case["authority"].get("base"), "vectors"))
    if WPT.is_file():
        for case in json.loads(WPT.read_text(encoding="utf-8")):
            if isinstance(case, dict) and isinstance(case.get("input"), str):
                pairs.append((case["input"], case.get("base"), "wpt"))
    entries = []
    for url, base, source in pairs:
        origin_base = _base_origin(base)
        if base is not None and origin_base is None:
            continue  # a base the policy cannot express (not http/https): nothing to compare
        origin = _python_origin(url, origin_base)
        entries.append({"url": url, "base": base, "source": source, "python": origin})
    return entries


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tests/url_corpus.py OUT.json", file=sys.stderr)
        return 2
    entries = corpus()
    Path(argv[1]).write_text(json.dumps(entries), encoding="utf-8")
    print(f"{len(entries)} URLs, {sum(e['python'] is not None for e in entries)} with a Python origin")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
