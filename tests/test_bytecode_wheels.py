"""Bytecode wheels: what the bundle ships for browser_rt and idna, and how the gate checks them.

`compile_wheel` is the function that runs inside Pyodide at bundle time; here it runs on the
host interpreter, which makes bytecode of the host's own version, importable right here.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import sys
import zipfile
from pathlib import Path

import pytest

from browser_rt.gate.config import AllowedPackage
from browser_rt.gate.deps import check_dependencies
from browser_rt.gate.integrity import _check_wheel
from browser_rt.gate.report import CheckResult
from browser_rt.tooling import bytecode
from browser_rt.tooling.bundle import PYODIDE_CORE_FILES
from browser_rt.tooling.bytecode import BytecodeError, bytecode_wheel_name, compile_bytecode_wheels
from browser_rt.tooling.bytecode_wheel import compile_wheel, python_tag

pytestmark = pytest.mark.host_only(reason="builds wheels in temporary folders and imports from them")

ROOT = Path(__file__).resolve().parent.parent

SOURCES = {
    "demo_pkg/__init__.py": b"from demo_pkg.core import answer\n",
    "demo_pkg/core.py": b"def answer():\n    return 42\n\n\ndef fail():\n    raise ValueError('from core')\n",
    "demo_pkg/data.json": b'{"kept": true}\n',
}


def make_wheel(folder: Path, sources: dict[str, bytes] = SOURCES) -> Path:
    """A minimal pure-Python wheel, as hatchling would lay it out."""
    wheel = folder / "demo_pkg-1.0-py3-none-any.whl"
    info = "demo_pkg-1.0.dist-info"
    metadata = {
        f"{info}/METADATA": b"Metadata-Version: 2.1\nName: demo_pkg\nVersion: 1.0\n",
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in {**sources, **metadata}.items():
            archive.writestr(name, data)
        archive.writestr(f"{info}/RECORD", "".join(f"{n},,\n" for n in [*sources, *metadata]))
    return wheel


def test_every_source_becomes_bytecode_and_the_rest_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out.whl"
    compile_wheel(str(make_wheel(tmp_path)), str(out), "/site")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert sorted(n for n in names if n.startswith("demo_pkg/")) == [
            "demo_pkg/__init__.pyc",
            "demo_pkg/core.pyc",
            "demo_pkg/data.json",
        ]
        assert archive.read("demo_pkg/data.json") == SOURCES["demo_pkg/data.json"]
        wheel_meta = archive.read("demo_pkg-1.0.dist-info/WHEEL").decode()
        assert [line for line in wheel_meta.splitlines() if line.startswith("Tag:")] == [
            f"Tag: {python_tag()}-none-any"
        ]
        record = archive.read("demo_pkg-1.0.dist-info/RECORD").decode().splitlines()
        assert record[-1] == "demo_pkg-1.0.dist-info/RECORD,,"
        for line in record[:-1]:
            name, digest, size = line.split(",")
            data = archive.read(name)
            assert int(size) == len(data)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}"
        assert len(record) - 1 == len([n for n in names if not n.endswith("RECORD")])


def test_the_same_wheel_always_compiles_to_the_same_bytes(tmp_path: Path) -> None:
    source = make_wheel(tmp_path)
    first, second = tmp_path / "a.whl", tmp_path / "b.whl"
    compile_wheel(str(source), str(first), "/site")
    compile_wheel(str(source), str(second), "/site")
    assert first.read_bytes() == second.read_bytes()


def test_the_bytecode_imports_without_sources_and_names_the_install_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.whl"
    site = tmp_path / "site"
    compile_wheel(str(make_wheel(tmp_path)), str(out), str(site))
    with zipfile.ZipFile(out) as archive:
        archive.extractall(site)
    monkeypatch.syspath_prepend(str(site))
    try:
        package = importlib.import_module("demo_pkg")
        assert package.answer() == 42
        assert package.__file__ == str(site / "demo_pkg" / "__init__.pyc")
        with pytest.raises(ValueError, match="from core") as caught:
            importlib.import_module("demo_pkg.core").fail()
        assert str(caught.traceback[-1].path) == str(site / "demo_pkg" / "core.py")
    finally:
        for name in [n for n in sys.modules if n == "demo_pkg" or n.startswith("demo_pkg.")]:
            del sys.modules[name]


def test_a_wheel_without_a_record_is_refused_by_name(tmp_path: Path) -> None:
    broken = tmp_path / "broken-1.0-py3-none-any.whl"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("broken.py", b"x = 1\n")
    with pytest.raises(ValueError, match=r"broken-1\.0-py3-none-any\.whl: wheel has no RECORD"):
        compile_wheel(str(broken), str(tmp_path / "out.whl"), "/site")


def test_bytecode_wheel_names_carry_the_interpreter_tag() -> None:
    assert (
        bytecode_wheel_name("browser_rt-0.1.0-py3-none-any.whl", "cp314")
        == "browser_rt-0.1.0-cp314-none-any.whl"
    )
    assert bytecode_wheel_name("six-1.17.0-py2.py3-none-any.whl", "cp314") == "six-1.17.0-cp314-none-any.whl"
    with pytest.raises(BytecodeError, match=r"not-a-wheel\.zip: not a wheel file name"):
        bytecode_wheel_name("not-a-wheel.zip", "cp314")


def test_compiled_wheels_are_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyodide = tmp_path / "pyodide"
    pyodide.mkdir()
    for name in ("pyodide.asm.wasm", "python_stdlib.zip"):
        (pyodide / name).write_bytes(name.encode())
    source = make_wheel(tmp_path)
    runs: list[list[str]] = []

    def fake_compiler(_pyodide_dir: Path, jobs: list[tuple[Path, Path]]) -> None:
        runs.append([s.name for s, _ in jobs])
        for job_source, target in jobs:
            target.parent.mkdir(parents=True, exist_ok=True)
            compile_wheel(str(job_source), str(target), "/site")

    monkeypatch.setattr(bytecode, "_run_compiler", fake_compiler)
    options = {"pyodide_dir": pyodide, "cache_dir": tmp_path / "cache", "progress": lambda _line: None}
    tag_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    first = compile_bytecode_wheels([source], python_version=tag_version, **options)
    again = compile_bytecode_wheels([source], python_version=tag_version, **options)
    assert first == again and runs == [["demo_pkg-1.0-py3-none-any.whl"]]
    assert first[source].name == f"demo_pkg-1.0-{python_tag()}-none-any.whl"
    (pyodide / "pyodide.asm.wasm").write_bytes(b"another interpreter")
    newer = compile_bytecode_wheels([source], python_version=tag_version, **options)
    assert len(runs) == 2, "a different Pyodide core must compile again"
    assert sorted((tmp_path / "cache").glob("*/*.whl")) == [newer[source]], "the older build is pruned"


def test_bytecode_for_another_python_than_the_bundle_declares_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyodide = tmp_path / "pyodide"
    pyodide.mkdir()
    for name in ("pyodide.asm.wasm", "python_stdlib.zip"):
        (pyodide / name).write_bytes(name.encode())

    def host_compiler(_pyodide_dir: Path, jobs: list[tuple[Path, Path]]) -> None:
        for job_source, target in jobs:
            target.parent.mkdir(parents=True, exist_ok=True)
            compile_wheel(str(job_source), str(target), "/site")

    monkeypatch.setattr(bytecode, "_run_compiler", host_compiler)
    with pytest.raises(BytecodeError, match=r"compiled for \['cp\d+-none-any'\], but the bundle is for cp29"):
        compile_bytecode_wheels(
            [make_wheel(tmp_path)],
            pyodide_dir=pyodide,
            python_version="2.9",
            cache_dir=tmp_path / "cache",
            progress=lambda _line: None,
        )


# -- the gate's provenance check ------------------------------------------------------------


def fake_repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name, data in {
        "browser_rt/__init__.py": b"VERSION = 1\n",
        "browser_rt/core.py": b"def f():\n    return 1\n",
        "browser_rt/py.typed": b"",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def project_wheel(tmp_path: Path, root: Path, name: str = "browser_rt-0.1.0-py3-none-any.whl") -> Path:
    sources = {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "browser_rt").rglob("*")}
    source_wheel = tmp_path / name
    info = "browser_rt-0.1.0.dist-info"
    with zipfile.ZipFile(source_wheel, "w") as archive:
        for member, data in sources.items():
            archive.writestr(member, data)
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")
    return source_wheel


def wheel_findings(wheel: Path, root: Path) -> list[str]:
    result = CheckResult("integrity", True)
    _check_wheel(result, wheel, root)
    return [f.message for f in result.findings]


def test_the_gate_accepts_source_and_bytecode_wheels_built_from_the_tree(tmp_path: Path) -> None:
    root = fake_repository(tmp_path)
    source_wheel = project_wheel(tmp_path, root)
    compiled = tmp_path / "browser_rt-0.1.0-cp3-none-any.whl"
    compile_wheel(str(source_wheel), str(compiled), "/site")
    assert wheel_findings(source_wheel, root) == []
    assert wheel_findings(compiled, root) == []


def test_the_gate_refuses_bytecode_of_another_source(tmp_path: Path) -> None:
    root = fake_repository(tmp_path)
    compiled = tmp_path / "browser_rt-0.1.0-cp3-none-any.whl"
    compile_wheel(str(project_wheel(tmp_path, root)), str(compiled), "/site")
    (root / "browser_rt" / "core.py").write_bytes(b"def f():\n    return 2\n")
    assert wheel_findings(compiled, root) == [
        "browser_rt/core.pyc is not the bytecode of browser_rt/core.py (rebuild it)"
    ]


def test_the_gate_refuses_timestamp_bytecode_and_a_module_shipped_twice(tmp_path: Path) -> None:
    root = fake_repository(tmp_path)
    wheel = tmp_path / "browser_rt-0.1.0-cp3-none-any.whl"
    timestamp_pyc = importlib.util.MAGIC_NUMBER + bytes(12) + b"code"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("browser_rt/__init__.pyc", timestamp_pyc)
        archive.writestr("browser_rt/core.py", (root / "browser_rt" / "core.py").read_bytes())
        archive.writestr("browser_rt/core.pyc", b"")
        archive.writestr("browser_rt/py.typed", b"")
    findings = wheel_findings(wheel, root)
    assert (
        "browser_rt/__init__.pyc is not the bytecode of browser_rt/__init__.py (rebuild it)"
        in findings
    )
    assert "browser_rt/core.py is in the wheel as source and as bytecode (rebuild it)" in findings


def test_the_built_bundle_ships_bytecode_for_the_runtime_and_its_lock_points_at_it() -> None:
    bundle = ROOT / "build" / "bundle" / "pyodide"
    if not (bundle / "pyodide-lock.json").is_file():
        pytest.skip("no bundle at build/bundle: run `make bundle` first")
    lock = json.loads((bundle / "pyodide-lock.json").read_text(encoding="utf-8"))
    tag = "cp" + "".join(lock["info"]["python"].split(".")[:2])
    for name in ("browser-rt", "idna"):
        entry = lock["packages"][name]
        assert entry["file_name"].endswith(f"-{tag}-none-any.whl"), entry["file_name"]
        data = (bundle / entry["file_name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        with zipfile.ZipFile(bundle / entry["file_name"]) as archive:
            modules = [n for n in archive.namelist() if n.endswith((".py", ".pyc"))]
        assert modules and all(n.endswith(".pyc") for n in modules)


def bytecode_dependency_bundle(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A bundle shipping the bytecode build of a pinned `demo_pkg`; the pinned wheel in `pinned/`."""
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    source = make_wheel(pinned)
    pyodide = tmp_path / "bundle" / "pyodide"
    pyodide.mkdir(parents=True)
    for name in PYODIDE_CORE_FILES:
        (pyodide / name).write_bytes(name.encode())
    shipped = pyodide / f"demo_pkg-1.0-{python_tag()}-none-any.whl"
    compile_wheel(str(source), str(shipped), "/site")
    write_lock(pyodide, shipped)
    pins = tmp_path / "pins.txt"
    pins.write_text(f"demo_pkg==1.0 --hash=sha256:{hashlib.sha256(source.read_bytes()).hexdigest()}\n")
    return tmp_path / "bundle", shipped, pins, pinned


def write_lock(pyodide: Path, wheel: Path) -> None:
    entry = {
        "name": "demo-pkg",
        "version": "1.0",
        "file_name": wheel.name,
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "depends": [],
    }
    lock = {"info": {}, "packages": {"demo-pkg": entry}}
    (pyodide / "pyodide-lock.json").write_text(json.dumps(lock), encoding="utf-8")


def dependency_codes(bundle: Path, pins: Path, pinned: Path | None) -> set[str]:
    result = CheckResult("dependencies", True)
    check_dependencies(result, bundle, (AllowedPackage("demo-pkg", "1.0", "runtime"),), [pins], pinned)
    return {f.code for f in result.findings}


def test_a_bytecode_build_of_the_pinned_wheel_passes_the_dependency_check(tmp_path: Path) -> None:
    bundle, _, pins, pinned = bytecode_dependency_bundle(tmp_path)
    assert dependency_codes(bundle, pins, pinned) == set()


def test_bytecode_not_made_from_the_pinned_wheel_fails_the_dependency_check(tmp_path: Path) -> None:
    bundle, shipped, pins, pinned = bytecode_dependency_bundle(tmp_path)
    other = make_wheel(tmp_path, {**SOURCES, "demo_pkg/core.py": b"def answer():\n    return 41\n"})
    compile_wheel(str(other), str(shipped), "/site")
    write_lock(shipped.parent, shipped)
    assert dependency_codes(bundle, pins, pinned) == {"bytecode_mismatch", "pin_mismatch"}


def test_bytecode_cannot_be_checked_without_the_pinned_wheel(tmp_path: Path) -> None:
    bundle, _, pins, _ = bytecode_dependency_bundle(tmp_path)
    assert dependency_codes(bundle, pins, None) == {"pinned_source_missing", "pin_mismatch"}
    assert dependency_codes(bundle, pins, tmp_path / "empty") == {"pinned_source_missing", "pin_mismatch"}
