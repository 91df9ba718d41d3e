"""`browser-rt init DIR`: a minimal app that embeds the runtime in worker mode.

The starter is meant to work on a plain static host as written, so its `index.html` carries the
policy as a `<meta>` CSP (worker mode refuses to start without a CSP it can prove; on a host that
sends no headers the worker starts from a `blob:` URL and inherits this one). The CSP is derived
from the same `policy.json` the page grants, by the same function the bundle uses. Nothing is
ever overwritten: an existing file is the user's work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from browser_rt.policy import FetchAuthority, PolicyError
from browser_rt.tooling.csp import page_meta_tag
from browser_rt.tooling.package_data import PYODIDE_NPM_VERSION

_TEMPLATES = Path(__file__).parent / "templates" / "starter"
STARTER_FILES = ("index.html", "main.mjs", "app.py", "policy.json", "package.json", "README.md")
BUNDLE_DIR = "bundle"
"""Where the starter expects `browser-rt bundle --out` to write (main.mjs imports from it)."""


class InitError(RuntimeError):
    """The folder cannot take the starter; the message names what is in the way."""


@dataclass(frozen=True)
class Starter:
    """What `write_starter` wrote, and how to build and serve it."""

    folder: Path
    files: tuple[str, ...]
    commands: tuple[str, ...]

    def summary(self) -> str:
        lines = [f"wrote {', '.join(self.files)} in {self.folder}", "build and serve it:"]
        return "\n".join([*lines, *(f"  {command}" for command in self.commands)])


def build_commands(folder: Path) -> tuple[str, ...]:
    """The shell commands that build the starter's bundle and serve the folder."""
    return (
        f"cd {folder}",
        "npm install            # the Pyodide core, pinned in package.json",
        f"browser-rt bundle --out {BUNDLE_DIR} --production --policy policy.json",
        "python -m http.server 8000 --bind 127.0.0.1",
    )


def write_starter(folder: Path, *, origin: str = "https://api.example.com") -> Starter:
    """Write the starter into `folder` (created if missing), refusing if any file exists."""
    try:
        policy = FetchAuthority.from_dict({"origins": [origin], "methods": ["GET"]})
    except PolicyError as exc:
        raise InitError(f"--origin {origin!r}: {exc}") from None
    if len(policy.origins) != 1:
        raise InitError(f"--origin {origin!r}: expected one exact origin such as https://api.example.com")
    granted = next(iter(policy.origins))
    if folder.exists() and not folder.is_dir():
        raise InitError(f"{folder} exists and is not a folder")
    present = [name for name in STARTER_FILES if (folder / name).exists()]
    if present:
        raise InitError(
            f"{folder} already has {', '.join(present)}; refusing to overwrite them (use an empty folder)"
        )
    commands = build_commands(folder)
    values = {
        "CSP_META": page_meta_tag(policy),
        "ORIGIN": granted,
        "PYODIDE_VERSION": PYODIDE_NPM_VERSION,
        "BROWSER_RT_VERSION": _version(),
        "COMMANDS": "\n".join(commands),
    }
    contents = {name: _render(name, values) for name in STARTER_FILES if name != "policy.json"}
    # The short form: what a reader needs to see. Every limit not named keeps its default.
    contents["policy.json"] = json.dumps({"origins": [granted], "methods": ["GET"]}, indent=2) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    for name in STARTER_FILES:
        # "x": fail rather than overwrite a file that appeared since the check above.
        with (folder / name).open("x", encoding="utf-8") as handle:
            handle.write(contents[name])
    return Starter(folder, STARTER_FILES, commands)


def _render(name: str, values: dict[str, str]) -> str:
    text = (_TEMPLATES / f"{name}.in").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise InitError(f"template {name}.in has an unfilled placeholder")  # pragma: no cover
    return text


def _version() -> str:
    from browser_rt import __version__

    return __version__
