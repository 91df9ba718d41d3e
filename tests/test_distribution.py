"""The pieces of `pip install browser_rt` as a product: package data, the app's requirements,
the stdlib lock writer, the Pyodide-side project wheel, --verify, init, doctor and versions.

The end-to-end check (a fresh venv, a browser) is tests/test_installed_app.py; these are the
fast checks of each piece, with wheels made here and a local wheelhouse instead of PyPI.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from browser_rt.tooling import doctor
from browser_rt.tooling.app_requirements import AppRequirementsError, read_app_requirements
from browser_rt.tooling.bundle import BundleError, BundleInputs, bridge_files, build_bundle
from browser_rt.tooling.csp import page_meta_tag
from browser_rt.tooling.init import STARTER_FILES, InitError, write_starter
from browser_rt.tooling.lockfile import LockError, is_pure_python_wheel_name, write_lock
from browser_rt.tooling.package_data import PYODIDE_NPM_VERSION, data_files, is_checkout
from browser_rt.tooling.project_wheel import from_installed, from_wheel
from browser_rt.tooling.requirements import normalize_name, read_pins
from browser_rt.tooling.verify import format_report, verify_bundle

pytestmark = pytest.mark.host_only(
    reason="builds wheels and bundles in temporary folders with pip and the npm core"
)

ROOT = Path(__file__).resolve().parent.parent
PYODIDE = ROOT / "node_modules" / "pyodide"
WHEEL_CACHE = ROOT / ".cache" / "pyodide-wheels"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    *,
    requires: tuple[str, ...] = (),
    tag: str = "py3-none-any",
    modules: dict[str, bytes] | None = None,
) -> Path:
    """A minimal wheel, laid out as a build backend would."""
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    members = dict(modules or {f"{dist}/__init__.py": f"NAME = {name!r}\n".encode()})
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    members[f"{info}/METADATA"] = metadata.encode()
    members[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    record = "".join(f"{n},sha256={_b64(d)},{len(d)}\n" for n, d in members.items()) + f"{info}/RECORD,,\n"
    members[f"{info}/RECORD"] = record.encode()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for member, data in members.items():
            archive.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return wheel


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def pin_line(wheel: Path, name: str, version: str = "1.0") -> str:
    return f"{name}=={version} --hash=sha256:{sha(wheel.read_bytes())}"


# -- versions and package data ----------------------------------------------------------------


def test_js_package_python_package_and_pyodide_pins_share_one_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    js_package = json.loads((ROOT / "js_bridge" / "package.json").read_text(encoding="utf-8"))
    from browser_rt import __version__

    assert js_package["version"] == project["version"] == __version__, (
        "js_bridge/package.json, pyproject.toml and browser_rt.__version__ must carry one version"
    )
    workspace = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    assert workspace["devDependencies"]["pyodide"] == PYODIDE_NPM_VERSION


def test_the_wheel_build_copies_what_the_builder_reads_into_the_package() -> None:
    """pyproject's force-include names the js_bridge folder and both pin lists, and the checkout
    is recognised as one (so `browser-rt bundle` here keeps using the live files)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    forced = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert forced == {
        "js_bridge": "browser_rt/_data/js_bridge",
        "requirements/pyodide-runtime.txt": "browser_rt/_data/requirements/pyodide-runtime.txt",
        "requirements/pyodide-test.txt": "browser_rt/_data/requirements/pyodide-test.txt",
    }
    sdist = set(config["tool"]["hatch"]["build"]["targets"]["sdist"]["include"])
    assert set(forced) <= sdist, "a wheel built from the sdist needs the same files"
    assert is_checkout(ROOT)
    assert data_files().origin in {"checkout", "installed"}


def test_the_bundle_ships_the_js_package_files_and_nothing_else() -> None:
    names = {p.relative_to(ROOT / "js_bridge").as_posix() for p in bridge_files(ROOT / "js_bridge")}
    on_disk = {
        p.relative_to(ROOT / "js_bridge").as_posix()
        for p in (ROOT / "js_bridge").rglob("*")
        if p.is_file() and p.suffix in {".mjs", ".ts", ".mts"}
    }
    assert on_disk <= names, f"modules or types left out of package.json files: {sorted(on_disk - names)}"
    assert "package.json" in names and "index.d.ts" in names


# -- the app's requirements file --------------------------------------------------------------

GOOD_HASH = "a" * 64


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("requests", "'requests' is not pinned"),
        ("requests>=2", "'requests>=2' is not pinned"),
        ("requests==2.*  --hash=sha256:" + GOOD_HASH, "'requests==2.*' is not pinned"),
        ("requests==2.32.3", "requests==2.32.3 has no --hash=sha256"),
        ("requests==2.32.3 --hash=md5:abc", "is not a sha256"),
        ("requests @ https://example.com/r.whl", "is not pinned"),
        ("-r other.txt", "options and nested files are not supported"),
        ("--index-url https://example.com", "options and nested files are not supported"),
        ("requests[socks]==2.32.3 --hash=sha256:" + GOOD_HASH, "extras are not supported"),
        ('requests==2.32.3 ; python_version < "3.9" --hash=sha256:' + GOOD_HASH, "markers are not supported"),
    ],
)
def test_loose_requirement_lines_are_refused_naming_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "app-requirements.txt"
    path.write_text(f"# the app\nattrs==26.1.0 --hash=sha256:{GOOD_HASH}\n{line}\n", encoding="utf-8")
    with pytest.raises(AppRequirementsError, match=r"app-requirements\.txt:3: .*") as caught:
        read_app_requirements(path)
    assert message in str(caught.value)


def test_pip_compile_output_is_read_with_continuations_and_several_hashes(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(
        "#\n# This file is autogenerated by pip-compile\n#\n"
        f"attrs==26.1.0 \\\n    --hash=sha256:{'b' * 64} \\\n    --hash=sha256:{'c' * 64}\n"
        "    # via my-app\n"
        f"Six==1.17.0 --hash=sha256:{'d' * 64}  # a comment\n",
        encoding="utf-8",
    )
    pins = read_app_requirements(path)
    assert [(p.name, p.version, p.hashes, p.where.rsplit(":", 1)[1]) for p in pins] == [
        ("attrs", "26.1.0", ("b" * 64, "c" * 64), "4"),
        ("Six", "1.17.0", ("d" * 64,), "8"),
    ]
    (tmp_path / "twice.txt").write_text(
        f"six==1.17.0 --hash=sha256:{GOOD_HASH}\nsix==1.16.0 --hash=sha256:{GOOD_HASH}\n", encoding="utf-8"
    )
    with pytest.raises(AppRequirementsError, match=r"twice\.txt:2: six is pinned twice \(also at .*:1\)"):
        read_app_requirements(tmp_path / "twice.txt")


@pytest.mark.parametrize(
    ("name", "pure"),
    [
        ("a-1.0-py3-none-any.whl", True),
        ("a-1.0-py2.py3-none-any.whl", True),
        ("a-1.0-py314-none-any.whl", True),
        ("a-1.0-py315-none-any.whl", False),
        ("a-1.0-py2-none-any.whl", False),
        ("a-1.0-cp314-cp314-manylinux_2_17_x86_64.whl", False),
        ("a-1.0-cp314-cp314-pyodide_2026_0_wasm32.whl", False),
        ("a-1.0-cp39-abi3-any.whl", False),
        ("a-1.0.tar.gz", False),
    ],
)
def test_only_pure_python_wheels_count_as_pure(name: str, pure: bool) -> None:
    assert is_pure_python_wheel_name(name, "3.14") is pure


# -- the lock writer --------------------------------------------------------------------------


def reference_lock(source_lock: Path, pyodide_out: Path, shipped: dict[Path, Path]) -> str:
    """What the bundle wrote with pyodide-lock 0.2.1 before it had its own writer."""
    from pyodide_lock import PyodideLockSpec
    from pyodide_lock.utils import add_wheels_to_spec

    spec = PyodideLockSpec.from_json(source_lock)
    spec.packages = {n: p for n, p in spec.packages.items() if (pyodide_out / p.file_name).is_file()}
    spec = add_wheels_to_spec(spec, list(shipped), base_path=next(iter(shipped)).parent)
    for package in spec.packages.values():
        for source, target in shipped.items():
            if normalize_name(source.name.split("-")[0]) == package.name:
                package.file_name = target.name
                package.sha256 = sha(target.read_bytes())
    return json.dumps(spec.to_dict(), indent=1, sort_keys=True) + "\n"


def test_the_lock_matches_pyodide_lock_on_markers_extras_and_real_wheels(tmp_path: Path) -> None:
    pytest.importorskip("pyodide_lock", reason="the reference implementation is a dev dependency")
    wheels = tmp_path / "wheels"
    made = [
        make_wheel(
            wheels,
            "app-core",
            requires=(
                "fast-lib[speed]>=1",
                'legacy-shim ; python_version < "3.11"',
                'wasm-helper ; sys_platform == "emscripten"',
                'win-only ; sys_platform == "win32"',
                'docs-tool ; extra == "docs"',
            ),
        ),
        make_wheel(
            wheels, "fast-lib", requires=('speedups ; extra == "speed"', 'slow-extra ; extra == "slow"')
        ),
        make_wheel(wheels, "speedups"),
        make_wheel(wheels, "wasm-helper", modules={"wasm_helper.py": b"x = 1\n", "data/x.txt": b"x"}),
    ]
    real = [p for p in sorted(WHEEL_CACHE.glob("*.whl")) if is_pure_python_wheel_name(p.name)]
    together = tmp_path / "together"  # pyodide-lock wants one base folder
    together.mkdir()
    shipped = {}
    for wheel in [*made, *real]:
        shutil.copy(wheel, together / wheel.name)
        shipped[together / wheel.name] = together / wheel.name
    out = tmp_path / "out"
    out.mkdir()
    write_lock(PYODIDE / "pyodide-lock.json", out, shipped)
    mine = (out / "pyodide-lock.json").read_text(encoding="utf-8")
    assert mine == reference_lock(PYODIDE / "pyodide-lock.json", out, shipped)
    packages = json.loads(mine)["packages"]
    assert packages["app-core"]["depends"] == ["fast-lib", "wasm-helper"]
    assert packages["fast-lib"]["depends"] == ["speedups"], "an extra asked for adds its dependencies"
    assert packages["wasm-helper"]["imports"] == ["wasm_helper"]


def test_a_dependency_the_bundle_does_not_ship_is_named(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "needs-more", requires=("missing-dep>=2",))
    with pytest.raises(
        LockError, match=r"needs-more 1\.0 needs missing-dep \(Requires-Dist: missing-dep>=2\)"
    ):
        write_lock(PYODIDE / "pyodide-lock.json", tmp_path, {wheel: wheel})


# -- the Pyodide-side project wheel -----------------------------------------------------------


def test_the_project_wheel_drops_host_data_and_is_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    source = make_wheel(
        tmp_path / "src",
        "browser_rt",
        modules={
            "browser_rt/__init__.py": b"x = 1\n",
            "browser_rt/_data/js_bridge/index.mjs": b"export {};\n",
            "browser_rt/__pycache__/x.cpython-313.pyc": b"junk",
        },
    )
    first = from_wheel(source, tmp_path / "a")
    second = from_wheel(source, tmp_path / "b")
    assert first.name == "browser_rt-1.0-py3-none-any.whl"
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == [
            "browser_rt/__init__.py",
            "browser_rt-1.0.dist-info/METADATA",
            "browser_rt-1.0.dist-info/WHEEL",
            "browser_rt-1.0.dist-info/RECORD",
        ]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_wheel_made_from_this_environment_holds_the_package_and_no_host_data(tmp_path: Path) -> None:
    """Here browser_rt is installed editable: its RECORD lists only the package data, so the
    wheel is made from the source tree; either way `_data/` and bytecode caches stay out."""
    wheel = from_installed(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert {"browser_rt/__init__.py", "browser_rt/tooling/bundle.py", "browser_rt/py.typed"} <= set(names)
    assert not [n for n in names if "/_data/" in n or n.endswith(".pyc") or "__pycache__" in n]
    assert [n for n in names if ".dist-info/" in n][-1].endswith(".dist-info/RECORD")


# -- bundles with the app's own wheels --------------------------------------------------------


@pytest.fixture
def wheelhouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local index for pip (PIP_NO_INDEX + PIP_FIND_LINKS): browser_rt's runtime pin and the
    app's packages, so nothing here needs the network."""
    house = tmp_path / "wheelhouse"
    house.mkdir()
    for pin in read_pins(ROOT / "requirements" / "pyodide-runtime.txt"):
        found = [
            p
            for p in WHEEL_CACHE.glob(f"{pin.name}-{pin.version}-*.whl")
            if sha(p.read_bytes()) == pin.sha256
        ]
        if not found:
            pytest.skip(f"{pin.name}=={pin.version} is not in {WHEEL_CACHE}: run `make bundle` once")
        shutil.copy(found[0], house / found[0].name)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(house))
    return house


def bundle_with(tmp_path: Path, requirements: str, *, production: bool = True) -> tuple[Path, Any]:
    project = make_wheel(tmp_path / "project", "browser_rt", "0.1.0", requires=("idna==3.20",))
    app_requirements = tmp_path / "app-requirements.txt"
    app_requirements.write_text(requirements, encoding="utf-8")
    inputs = BundleInputs.for_checkout(
        ROOT,
        project_wheel=project,
        cache_dir=tmp_path / "cache",
        include_test_wheels=not production,
        bytecode=False,
        app_requirements=app_requirements,
        # A stand-in browser_rt wheel: there is no runtime to snapshot (tests/test_snapshot.py).
        snapshot=False,
    )
    out = tmp_path / "bundle"
    return out, build_bundle(inputs, out, progress=lambda _line: None)


def test_app_wheels_are_downloaded_hash_pinned_and_registered_by_normalized_name(
    tmp_path: Path, wheelhouse: Path
) -> None:
    helper = make_wheel(wheelhouse, "Tiny_Helper", "2.0")
    app = make_wheel(wheelhouse, "my.app-lib", "1.5", requires=("tiny-helper>=2", "idna"))
    out, report = bundle_with(
        tmp_path, f"{pin_line(app, 'my.app-lib', '1.5')}\n{pin_line(helper, 'Tiny_Helper', '2.0')}\n"
    )
    assert set(report.downloaded) >= {"my.app-lib", "Tiny_Helper"}
    lock = json.loads((out / "pyodide" / "pyodide-lock.json").read_text(encoding="utf-8"))["packages"]
    assert lock["my-app-lib"]["name"] == "my-app-lib"
    assert lock["my-app-lib"]["depends"] == ["tiny-helper", "idna"]
    assert lock["tiny-helper"]["file_name"] == "Tiny_Helper-2.0-py3-none-any.whl"
    assert lock["tiny-helper"]["sha256"] == sha(helper.read_bytes())
    manifest = json.loads((out / "bundle-manifest.json").read_text(encoding="utf-8"))
    assert manifest["wheels"]["my-app-lib"] == {
        "version": "1.5",
        "file": "pyodide/my_app_lib-1.5-py3-none-any.whl",
        "role": "app",
    }
    assert manifest["browser_rt"] == "0.1.0" and manifest["pyodide"]["version"] == PYODIDE_NPM_VERSION
    assert verify_bundle(out).ok
    # A second run downloads nothing: the wheels are cached like browser_rt's own pins.
    _, again = bundle_with(
        tmp_path, f"{pin_line(app, 'my.app-lib', '1.5')}\n{pin_line(helper, 'Tiny_Helper', '2.0')}\n"
    )
    assert again.downloaded == []


def test_a_platform_specific_or_sdist_only_package_is_refused_by_name(
    tmp_path: Path, wheelhouse: Path
) -> None:
    native = make_wheel(wheelhouse, "native-ext", "1.0", tag="cp314-cp314-manylinux_2_17_x86_64")
    sdist = wheelhouse / "sdist_only-3.0.tar.gz"
    sdist.write_bytes(b"not really an sdist")
    pure = make_wheel(wheelhouse, "fine-pkg", "1.0")
    requirements = (
        f"{pin_line(pure, 'fine-pkg')}\n{pin_line(native, 'native-ext')}\n"
        f"sdist-only==3.0 --hash=sha256:{sha(sdist.read_bytes())}\n"
    )
    with pytest.raises(BundleError) as caught:
        bundle_with(tmp_path, requirements)
    message = str(caught.value)
    assert "no pure-Python wheel (py3-none-any) matches native-ext==1.0" in message
    assert "sdist-only==3.0" in message and "fine-pkg" not in message
    assert "platform-specific" in message and "sdist" in message


def test_an_undeclared_dependency_of_an_app_wheel_is_named(tmp_path: Path, wheelhouse: Path) -> None:
    app = make_wheel(wheelhouse, "lonely", "1.0", requires=("not-pinned-anywhere",))
    with pytest.raises(BundleError, match=r"lonely 1\.0 needs not-pinned-anywhere .* add a hash-pinned line"):
        bundle_with(tmp_path, pin_line(app, "lonely") + "\n")
    assert not (tmp_path / "bundle").exists(), "a refused build must not leave a half-written folder"


def test_an_app_pin_conflicting_with_browser_rt_s_own_is_refused(tmp_path: Path, wheelhouse: Path) -> None:
    with pytest.raises(
        AppRequirementsError, match=r"idna==3\.10 conflicts with browser_rt's own pin idna==3\.20"
    ):
        bundle_with(tmp_path, f"idna==3.10 --hash=sha256:{GOOD_HASH}\n")


def test_a_missing_pyodide_core_is_named_with_the_fix(tmp_path: Path) -> None:
    inputs = BundleInputs.for_checkout(ROOT, pyodide_dir=tmp_path / "node_modules" / "pyodide")
    with pytest.raises(BundleError, match=r"no Pyodide core at .*: run `npm install pyodide@314\.0\.7`"):
        build_bundle(inputs, tmp_path / "out", progress=lambda _line: None)
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "pyodide.mjs").write_text("", encoding="utf-8")
    inputs = BundleInputs.for_checkout(ROOT, pyodide_dir=partial)
    with pytest.raises(
        BundleError, match=r"not a complete Pyodide core: pyodide\.js, pyodide\.asm\.mjs, .* missing"
    ):
        build_bundle(inputs, tmp_path / "out", progress=lambda _line: None)


# -- --verify ---------------------------------------------------------------------------------


def test_verify_names_every_changed_missing_and_extra_file(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    (folder / "pyodide").mkdir(parents=True)
    files = {"index.html": b"<p>", "pyodide/a.whl": b"a", "pyodide/b.whl": b"b"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    manifest = {"schema": "x", "browser_rt": "0.1.0", "files": {n: sha(d) for n, d in files.items()}}
    (folder / "bundle-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert verify_bundle(folder).ok
    (folder / "index.html").write_bytes(b"<p>changed")
    (folder / "pyodide" / "b.whl").unlink()
    (folder / "pyodide" / "stray.whl").write_bytes(b"s")
    report = verify_bundle(folder)
    assert (report.changed, report.missing, report.extra) == (
        ["index.html"],
        ["pyodide/b.whl"],
        ["pyodide/stray.whl"],
    )
    text = format_report(report)
    assert (
        "changed: index.html" in text
        and "missing: pyodide/b.whl" in text
        and "extra: pyodide/stray.whl" in text
    )
    assert "FAILED: 3 differences" in text
    assert not verify_bundle(tmp_path / "nowhere").ok
    assert "not a folder" in str(verify_bundle(tmp_path / "nowhere").problem)


# -- init -------------------------------------------------------------------------------------


def test_init_writes_a_worker_mode_starter_and_never_overwrites(tmp_path: Path) -> None:
    from browser_rt.cli import main
    from browser_rt.policy import FetchAuthority

    folder = tmp_path / "app"
    starter = write_starter(folder, origin="https://api.example.org:8443")
    assert sorted(p.name for p in folder.iterdir()) == sorted(STARTER_FILES)
    policy = FetchAuthority.from_json((folder / "policy.json").read_text(encoding="utf-8"))
    assert sorted(policy.origins) == ["https://api.example.org:8443"]
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert page_meta_tag(policy) in page
    assert page.index("Content-Security-Policy") < page.index("<script")
    script = (folder / "main.mjs").read_text(encoding="utf-8")
    assert 'isolation: "worker"' in script and "./bundle/js_bridge/index.mjs" in script
    compile((folder / "app.py").read_text(encoding="utf-8"), "app.py", "exec")
    assert any("browser-rt bundle --out bundle" in c for c in starter.commands)
    assert "browser-rt bundle --out bundle" in (folder / "README.md").read_text(encoding="utf-8")
    assert json.loads((folder / "package.json").read_text(encoding="utf-8"))["devDependencies"] == {
        "pyodide": PYODIDE_NPM_VERSION
    }

    (folder / "app.py").write_text("# mine\n", encoding="utf-8")
    with pytest.raises(
        InitError, match=r"already has index\.html, main\.mjs, app\.py, .*refusing to overwrite"
    ):
        write_starter(folder)
    assert (folder / "app.py").read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", str(folder)]) == 2
    with pytest.raises(InitError, match="expected one exact origin"):
        write_starter(tmp_path / "other", origin="https://*.example.com")


# -- doctor -----------------------------------------------------------------------------------


def test_doctor_names_what_is_missing(tmp_path: Path) -> None:
    fake_bin = tmp_path / "chromium"
    fake_bin.write_text("#!/bin/sh\n", encoding="utf-8")
    fake_bin.chmod(0o755)
    env = {var: str(fake_bin) for _, var, _, _ in doctor.ENGINE_BINARIES}
    env["FIREFOX_PATH"] = str(tmp_path / "no-firefox")
    checks = doctor.run_checks(
        tmp_path,
        which=lambda name: f"/usr/bin/{name}" if name == "npm" else None,
        run=lambda command: "11.0.0",
        env=env,
        python=(3, 11, 9),
        bundle=tmp_path / "no-bundle",
    )
    missing = {c.name: c for c in checks if not c.ok}
    assert set(missing) == {"python", "node", "node_modules/pyodide", "firefox-esr", "bundle"}
    assert "older than 3.12" in missing["python"].detail
    assert "apt-get install firefox-esr" in missing["firefox-esr"].fix
    assert "npm install pyodide@" in missing["node_modules/pyodide"].fix
    report = doctor.format_checks(checks)
    assert report.splitlines()[-1] == "5 problems: python, node, node_modules/pyodide, firefox-esr, bundle"


def test_doctor_passes_on_a_complete_checkout_with_a_verified_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "index.html").write_bytes(b"x")
    manifest = {
        "browser_rt": "0.1.0",
        "pyodide": {"version": PYODIDE_NPM_VERSION},
        "files": {"index.html": sha(b"x")},
    }
    (bundle / "bundle-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    checks = doctor.run_checks(ROOT, bundle=bundle, engines=False)
    assert [c.name for c in checks if not c.ok] == [], doctor.format_checks(checks)
    done = subprocess.run(
        [sys.executable, "-m", "browser_rt", "doctor", "--no-engines", "--bundle", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("everything is in place")
