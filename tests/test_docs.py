"""The README and docs/ stay true: links resolve, commands exist, embedding samples compile.

- Every relative link in README.md and docs/*.md names a file that exists, and an anchor names a
  heading of that file.
- Every `make TARGET` and `browser-rt SUBCOMMAND [--flag]` in them is a target of the Makefile
  or a subcommand and flag of the CLI's parser.
- Every ```ts block is compiled with the pinned TypeScript against js_bridge/index.d.ts, as
  examples/ is, and an embedding sample (one that calls `createRuntime(`) must be such a block.

Each checker is also run on a planted fault, so a checker that finds nothing cannot pass.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from browser_rt.cli import build_parser

pytestmark = pytest.mark.host_only(reason="reads the repository's docs and runs tsc")

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, *PAGES]
README_MAX_LINES = 200

_FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[^\n]*\n(.*?)^```", re.S | re.M)
_LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_COMMAND = re.compile(r"(?:^|[\s;&|(])(make|browser-rt)((?:[ \t]+[^\s;&|#`)]+)*)")


# -- extraction ------------------------------------------------------------------------------------


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block."""
    return [(m[1], m[2]) for m in _FENCE.finditer(text)]


def prose(text: str) -> str:
    """The text outside fenced blocks."""
    return _FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m[1] or "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in prose(text).splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match[1])
            count = seen.get(base, 0)
            found.add(base if count == 0 else f"{base}-{count}")
            seen[base] = count + 1
    return found


# -- checkers -------------------------------------------------------------------------------------


def broken_links(text: str, where: Path) -> list[str]:
    """Relative links (and anchors) in `text`, a file in folder `where`, that do not resolve."""
    problems = []
    for target in _LINK.findall(prose(text)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
            continue  # http:, https:, mailto: ...: not a file of this repository
        path_part, _, anchor = target.partition("#")
        path = (where / path_part).resolve() if path_part else None
        if path is not None and not path.exists():
            problems.append(f"{target}: no such file")
            continue
        if anchor and (path is None or path.suffix == ".md"):
            document = text if path is None else path.read_text(encoding="utf-8")
            if anchor not in anchors(document):
                problems.append(f"{target}: no heading with the anchor #{anchor}")
    return problems


def make_targets(makefile: Path = ROOT / "Makefile") -> set[str]:
    targets = set()
    for line in makefile.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\- ]+?)\s*:(?![=:])", line)
        if match and not line.startswith(("\t", ".")):
            targets.update(t for t in match[1].split() if "$" not in t)
    return targets


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def commands_in(text: str) -> list[tuple[str, list[str]]]:
    """(`make` or `browser-rt`, its words) for each command in code blocks and inline code."""
    spans = [body for lang, body in code_blocks(text) if lang in ("sh", "bash", "shell", "console")]
    spans += _INLINE_CODE.findall(prose(text))
    found = []
    for span in spans:
        for line in span.replace("\\\n", " ").splitlines():
            code = line.split(" #", 1)[0]
            for match in _COMMAND.finditer(code):
                found.append((match[1], match[2].split()))
    return found


def unknown_commands(text: str, targets: set[str], parser: argparse.ArgumentParser) -> list[str]:
    """`make` targets the Makefile lacks, and subcommands or flags the CLI lacks."""
    problems = []
    for tool, words in commands_in(text):
        if tool == "make":
            for word in words:
                if word.startswith("-") or "=" in word:
                    continue
                if word not in targets:
                    problems.append(f"make {word}: no such Makefile target")
            continue
        current, path = parser, ["browser-rt"]
        for word in words:
            if word == "--":
                break  # the rest is passed on to another program
            children = _subparsers(current)
            if children and not word.startswith("-"):
                if word not in children:
                    problems.append(f"{' '.join(path)} {word}: no such subcommand")
                    break
                current, path = children[word], [*path, word]
            elif word.startswith("--"):
                flag = word.split("=", 1)[0]
                if flag not in _options(current):
                    problems.append(f"{' '.join(path)} {flag}: no such option")
    return problems


def ts_blocks(text: str) -> list[str]:
    return [body for lang, body in code_blocks(text) if lang in ("ts", "typescript")]


def untyped_embedding_samples(text: str) -> list[str]:
    """Code blocks that call createRuntime but are not ```ts, so tsc would never see them."""
    return [
        body.splitlines()[0]
        for lang, body in code_blocks(text)
        if "createRuntime(" in body and lang not in ("ts", "typescript")
    ]


def compile_samples(samples: list[str], work: Path) -> subprocess.CompletedProcess[str]:
    """Compile each sample as an ES module that imports js_bridge from a bundle or as the package."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    for folder in (work, work / "bundle"):  # ./js_bridge/ or ./bundle/js_bridge/, as a page has it
        folder.mkdir(exist_ok=True)
        (folder / "js_bridge").symlink_to(ROOT / "js_bridge", target_is_directory=True)
    (work / "node_modules" / "@browser-rt").mkdir(parents=True)
    (work / "node_modules" / "@browser-rt" / "js-bridge").symlink_to(
        ROOT / "js_bridge", target_is_directory=True
    )
    names = []
    for number, sample in enumerate(samples):
        name = f"sample_{number}.ts"
        (work / name).write_text(sample + "\nexport {};\n", encoding="utf-8")
        names.append(name)
    options = json.loads((ROOT / "examples" / "tsconfig.json").read_text(encoding="utf-8"))["compilerOptions"]
    (work / "tsconfig.json").write_text(
        json.dumps({"compilerOptions": options, "files": names}), encoding="utf-8"
    )
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    return subprocess.run(
        [str(tsc), "-p", str(work / "tsconfig.json")],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NODE_OPTIONS": ""},
        check=False,
    )


def _need_tsc() -> None:
    if not (ROOT / "node_modules" / ".bin" / "tsc").exists():
        pytest.skip("no node_modules/.bin/tsc: run make setup (npm ci)")


# -- the repository's documents ----------------------------------------------------------------------


def test_the_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines < README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/"


def test_the_three_quick_starts_are_in_the_first_screen() -> None:
    first_screen = "\n".join(README.read_text(encoding="utf-8").splitlines()[:70])
    for command in ("browser-rt init", "browser-rt test", "make demo"):
        assert command in first_screen, f"{command!r} is not in the README's first 70 lines"
    assert "pip install" in first_screen


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(document: Path) -> None:
    assert broken_links(document.read_text(encoding="utf-8"), document.parent) == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_command_exists(document: Path) -> None:
    assert unknown_commands(document.read_text(encoding="utf-8"), make_targets(), build_parser()) == []


def test_the_readme_names_its_commands() -> None:
    commands = commands_in(README.read_text(encoding="utf-8"))
    assert ("make", ["demo"]) in commands and ("make", ["test"]) in commands


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_embedding_samples_are_typescript(document: Path) -> None:
    assert untyped_embedding_samples(document.read_text(encoding="utf-8")) == []


def test_the_embedding_samples_compile(tmp_path: Path) -> None:
    _need_tsc()
    samples = [block for document in DOCUMENTS for block in ts_blocks(document.read_text(encoding="utf-8"))]
    readme_samples = ts_blocks(README.read_text(encoding="utf-8"))
    assert any("createRuntime(" in block for block in readme_samples), "the README's embedding quick start"
    done = compile_samples(samples, tmp_path / "samples")
    assert done.returncode == 0, done.stdout + done.stderr


# -- planted faults: each checker must find them -------------------------------------------------------


def test_a_planted_broken_link_is_found(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# A heading\n", encoding="utf-8")
    text = (
        "[ok](there.md) [ok too](there.md#a-heading) [web](https://example.com/x.md)\n"
        "[gone](missing.md) [bad anchor](there.md#no-such-heading) [self](#nowhere)\n"
        "```sh\n[not a link](in-a-code-block.md)\n```\n"
    )
    assert broken_links(text, tmp_path) == [
        "missing.md: no such file",
        "there.md#no-such-heading: no heading with the anchor #no-such-heading",
        "#nowhere: no heading with the anchor #nowhere",
    ]


def test_a_planted_unknown_command_is_found() -> None:
    text = (
        "Run `make demo` or `make tset`.\n\n"
        "```sh\nbrowser-rt bundle --out b --production   # fine\nbrowser-rt frobnicate --now\n"
        "browser-rt policy csp p.json --target meta\nbrowser-rt policy lint p.json\n"
        "browser-rt serve --no-such-flag\nbrowser-rt test -- -k parser --not-ours\n```\n"
    )
    assert sorted(unknown_commands(text, make_targets(), build_parser())) == [
        "browser-rt frobnicate: no such subcommand",
        "browser-rt policy lint: no such subcommand",
        "browser-rt serve --no-such-flag: no such option",
        "make tset: no such Makefile target",
    ]


def test_a_planted_wrong_embedding_sample_is_rejected(tmp_path: Path) -> None:
    _need_tsc()
    wrong = (
        'import { createRuntime } from "@browser-rt/js-bridge";\n'
        'const rt = await createRuntime({ isolation: "iframe" });\n'
        "await rt.runPythonAsync(42);\n"
    )
    done = compile_samples([wrong], tmp_path / "wrong")
    assert done.returncode != 0
    assert "sample_0.ts" in done.stdout and "iframe" in done.stdout


def test_an_embedding_sample_outside_a_ts_block_is_found() -> None:
    text = "```js\nconst rt = await createRuntime({});\n```\n```ts\nawait createRuntime({});\n```\n"
    assert untyped_embedding_samples(text) == ["const rt = await createRuntime({});"]


def test_make_targets_are_read_from_the_makefile() -> None:
    targets = make_targets()
    assert {"demo", "test", "gate", "gate-self-test", "test-host"} <= targets
    assert "VENV" not in targets and "SHELL" not in targets
