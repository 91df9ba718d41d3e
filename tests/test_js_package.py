"""The JS package: `npm pack` of js_bridge/ is a package a project can install, import and type-check.

The tarball is unpacked into a scratch project's node_modules (what `npm install ./x.tgz` does,
without the registry), imported by a Node script through its package name, and type-checked
by the pinned TypeScript with `--strict` through the package's `exports`/`types`. The packed
file list must be exactly what the bundle ships as js_bridge/, and every relative import in a
packed module must name a packed file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from browser_rt.tooling.bundle import bridge_files

pytestmark = pytest.mark.host_only(reason="runs npm, node and tsc on the host")

ROOT = Path(__file__).resolve().parent.parent
TSC = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
PACKAGE = "@browser-rt/js-bridge"

IMPORT_CHECK = """
import * as api from "@browser-rt/js-bridge";
import manifest from "@browser-rt/js-bridge/package.json" with { type: "json" };
console.log(JSON.stringify({
  version: manifest.version,
  createRuntime: typeof api.createRuntime,
  createFetchBridge: typeof api.createFetchBridge,
  WorkerIsolationError: typeof api.WorkerIsolationError,
  exports: Object.keys(api).sort(),
}));
"""

TYPE_CHECK = """
import {
  createRuntime,
  WorkerIsolationError,
  type BrowserRuntime,
  type RuntimeOptions,
} from "@browser-rt/js-bridge";

const options: RuntimeOptions = {
  indexURL: "./bundle/pyodide/",
  isolation: "worker",
  fetchAuthority: { origins: ["https://api.example.com"], methods: ["GET"] },
  onProgress: (stage, fraction) => console.log(stage, fraction.toFixed(2)),
};

export async function start(): Promise<string> {
  let rt: BrowserRuntime | undefined;
  try {
    rt = await createRuntime(options);
    const answer: unknown = await rt.runPythonAsync("1 + 1");
    return String(answer);
  } catch (error) {
    if (error instanceof WorkerIsolationError) return error.problems.join("; ");
    throw error;
  } finally {
    await rt?.close();
  }
}

// @ts-expect-error isolation is "worker" or "page"
export const wrong: RuntimeOptions = { isolation: "iframe" };
"""

TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "target": "ES2022",
        "module": "NodeNext",
        "moduleResolution": "NodeNext",
        "lib": ["ES2022", "DOM"],
        "types": [],
        "skipLibCheck": False,
    },
    "files": ["check.ts"],
}


def run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """`npm pack` of js_bridge/ (no registry needed), and npm's own report of it."""
    if shutil.which("npm") is None:
        pytest.fail("npm is not on PATH (make setup installs Node and npm)")
    out = tmp_path_factory.mktemp("npm-pack")
    report = json.loads(
        run(["npm", "pack", str(ROOT / "js_bridge"), "--json", "--pack-destination", str(out)], out)
    )
    tarball = out / report[0]["filename"]
    assert tarball.is_file()
    return tarball, report[0]


def test_the_packed_files_are_the_bundle_s_js_bridge_and_every_import_resolves(
    packed: tuple[Path, dict[str, object]],
) -> None:
    _, report = packed
    files = report["files"]
    assert isinstance(files, list)
    names = {str(entry["path"]) for entry in files}
    shipped = {p.relative_to(ROOT / "js_bridge").as_posix() for p in bridge_files(ROOT / "js_bridge")}
    assert names == shipped, f"npm pack and the bundle disagree: {sorted(names ^ shipped)}"
    for name in sorted(n for n in names if n.endswith((".mjs", ".ts", ".mts"))):
        text = (ROOT / "js_bridge" / name).read_text(encoding="utf-8")
        folder = Path(name).parent
        specifiers = re.findall(
            r"""(?:\bfrom\s*|\bimport\s*\(?\s*|new URL\(\s*)["'](\.{1,2}/[^"']+)["']""", text
        )
        for specifier in specifiers:
            target = _normalize(f"{folder.as_posix()}/{specifier}")
            if target is None:
                continue  # outside the package on purpose: the bundle's ../pyodide/ folder
            # Types import their siblings by the runtime name (./policy.js is policy.d.ts).
            candidates = {target, re.sub(r"\.js$", ".d.ts", target), re.sub(r"\.mjs$", ".d.mts", target)}
            candidates |= {target + ".d.ts", target + ".mjs"}  # JSDoc `import("./index")` types
            assert candidates & names, f"{name} imports {specifier}, which the package does not contain"


def _normalize(path: str) -> str | None:
    """`a/./b/../c` -> `a/c`; None for a path that leaves the package."""
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def test_the_version_is_the_python_package_s(packed: tuple[Path, dict[str, object]]) -> None:
    from browser_rt import __version__

    _, report = packed
    assert report["name"] == PACKAGE
    assert report["version"] == __version__, (
        "js_bridge/package.json drifted from the Python package's version"
    )


def test_a_scratch_project_imports_and_type_checks_the_packed_package(
    packed: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    from browser_rt import __version__

    if not TSC.is_file():
        pytest.fail(f"{TSC} is missing: npm ci installs the pinned typescript devDependency")
    tarball, _ = packed
    project = tmp_path / "project"
    target = project / "node_modules" / "@browser-rt" / "js-bridge"
    target.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            assert member.name.startswith("package/"), member.name
            member.name = member.name.removeprefix("package/")
            archive.extract(member, target, filter="data")
    (project / "package.json").write_text(
        json.dumps({"name": "scratch", "private": True, "type": "module"}), encoding="utf-8"
    )
    (project / "check.mjs").write_text(IMPORT_CHECK, encoding="utf-8")
    imported = json.loads(run(["node", "check.mjs"], project))
    assert imported["version"] == __version__
    assert (
        imported["createRuntime"]
        == imported["createFetchBridge"]
        == imported["WorkerIsolationError"]
        == "function"
    )

    (project / "check.ts").write_text(TYPE_CHECK, encoding="utf-8")
    (project / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2), encoding="utf-8")
    run(["node", str(TSC), "-p", "tsconfig.json", "--noEmit", "--strict"], project)
    # The check has teeth: a type error in the consumer fails it.
    (project / "check.ts").write_text(TYPE_CHECK + "\nexport const bad: RuntimeOptions = { indexURL: 42 };\n")
    done = subprocess.run(
        ["node", str(TSC), "-p", "tsconfig.json"], cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0 and "error TS2322" in done.stdout, done.stdout
