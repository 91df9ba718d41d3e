"""Acceptance: `pip install browser_rt` plus npm's `pyodide` is everything an embedder needs.

Done as a new user would, outside the repository and offline:
- the wheel is built from the sdist (twice, and the two wheels must be byte-identical);
- a fresh venv installs only that wheel and idna, with `pip install --no-index` from a folder;
- `browser-rt init` writes the app; npm's `pyodide` comes from a lock with `npm ci --offline`,
  which checks each tarball's integrity against the lock (the repository's own
  package-lock.json entries), the way a user's CI would install it;
- `browser-rt bundle` runs from the installed package, with an app wheel of its own through
  `--requirements`; pip gets wheels from a local folder through PIP_NO_INDEX/PIP_FIND_LINKS;
- a second build with an empty cache gives the same bytes, file by file;
- `--verify` passes on the build and names a changed, a missing and an extra file on a copy;
- `python -m http.server` serves the folder, and Chromium runs it in worker mode: Python
  answers, imports the app's own package, the worker runs from a blob: URL under the page's
  `<meta>` CSP, and every way out of the boundary fails while the other origin sees nothing.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from browser_rt.testing.chromium import for_playwright, read_flags
from browser_rt.tooling.requirements import read_pins

pytestmark = pytest.mark.host_only(reason="builds a venv, runs pip, npm and Chromium on the host")

ROOT = Path(__file__).resolve().parent.parent
WHEEL_CACHE = ROOT / ".cache" / "pyodide-wheels"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = for_playwright(read_flags(ROOT / "tests" / "chromium-flags.json"))

APP_PACKAGE = {
    "greeting_pkg/__init__.py": b'def hello() -> str:\n    return "hello from greeting_pkg"\n',
}

PROBE = """
import json
import sys

import js
from browser_rt import current_cx

OTHER = "{other}"


async def main():
    import greeting_pkg

    result = {{
        "python": sys.version.split()[0],
        "platform": sys.platform,
        # The realm is default-deny: the worker's own URL is not Python's to read.
        "location_reachable": hasattr(js, "location"),
        "package": greeting_pkg.hello(),
    }}
    attempts = {{}}

    async def attempt(name, action):
        try:
            value = action()
            if hasattr(value, "__await__"):
                await value
            attempts[name] = "reached"
        except Exception as exc:
            attempts[name] = type(exc).__name__

    await attempt("js.fetch", lambda: js.fetch(OTHER + "js-fetch"))
    await attempt("XMLHttpRequest", lambda: js.XMLHttpRequest.new())
    await attempt("pyfetch", lambda: __import__("pyodide.http").http.pyfetch(OTHER + "pyfetch"))
    await attempt("run_js", lambda: __import__("pyodide.code").code.run_js(f"fetch('{{OTHER}}run-js')"))
    await attempt("cx.fetch", lambda: current_cx().fetch(OTHER + "cx-fetch"))
    result["attempts"] = attempts
    return json.dumps(result)
"""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    print(f"{time.monotonic() - started:6.1f}s {' '.join(map(str, command))[:150]}")
    assert done.returncode == expect, (
        f"{' '.join(map(str, command))} exited {done.returncode}, expected {expect}:\n"
        f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    return done


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_app_wheel(folder: Path) -> Path:
    info = "greeting_pkg-1.0.dist-info"
    members = dict(APP_PACKAGE)
    members[f"{info}/METADATA"] = b"Metadata-Version: 2.1\nName: greeting-pkg\nVersion: 1.0\n"
    members[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    members[f"{info}/RECORD"] = "".join(f"{n},,\n" for n in [*members, f"{info}/RECORD"]).encode()
    wheel = folder / "greeting_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return wheel


def pyodide_lock_for_app() -> dict[str, object]:
    """The repository lock's entries for npm `pyodide` and what it depends on."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    packages = lock["packages"]
    wanted, queue = {}, ["pyodide"]
    while queue:
        name = queue.pop()
        key = f"node_modules/{name}"
        if key in wanted:
            continue
        wanted[key] = packages[key]
        queue.extend(packages[key].get("dependencies", {}))
    version = packages["node_modules/pyodide"]["version"]
    root = {"name": "browser-rt-app", "devDependencies": {"pyodide": version}}
    return {
        "name": "browser-rt-app",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": root, **wanted},
    }


@dataclass(frozen=True)
class App:
    work: Path
    venv: Path
    folder: Path
    env: dict[str, str]
    build_output: str


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    work = tmp_path_factory.mktemp("installed")
    assert ROOT not in work.parents, "the test must run outside the repository"
    pin = read_pins(ROOT / "requirements" / "pyodide-runtime.txt")[0]
    idna = [p for p in WHEEL_CACHE.glob(f"idna-{pin.version}-*.whl") if sha(p) == pin.sha256]
    if not idna:
        pytest.skip(f"the pinned idna wheel is not in {WHEEL_CACHE}: run `make bundle` once")

    # The wheel, from the sdist, twice: the same sources must give the same bytes.
    run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", str(work / "sdist"), str(ROOT)],
        work,
    )
    sdist = next((work / "sdist").glob("browser_rt-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        archive.extractall(work / "src", filter="data")
    source = next((work / "src").iterdir())
    wheels = []
    for attempt in ("a", "b"):
        run(
            [
                sys.executable,
                "-m",
                "build",
                "--wheel",
                "--no-isolation",
                "-o",
                str(work / attempt),
                str(source),
            ],
            work,
        )
        wheels.append(next((work / attempt).glob("browser_rt-*.whl")))
    assert wheels[0].read_bytes() == wheels[1].read_bytes(), "two wheel builds of one sdist differ"
    dist = work / "dist"
    dist.mkdir()
    shutil.copy(wheels[0], dist / wheels[0].name)
    shutil.copy(idna[0], dist / idna[0].name)
    with zipfile.ZipFile(wheels[0]) as archive:
        names = archive.namelist()
    assert "browser_rt/_data/js_bridge/index.mjs" in names
    assert "browser_rt/_data/requirements/pyodide-runtime.txt" in names

    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)], work)
    run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-index", "--find-links", str(dist), "browser_rt"],
        work,
    )
    listed = json.loads(run([str(venv / "bin" / "pip"), "list", "--format", "json"], work).stdout)
    assert {p["name"].lower().replace("_", "-") for p in listed} == {"browser-rt", "idna", "pip"}, listed

    folder = work / "app"
    made = run([str(venv / "bin" / "browser-rt"), "init", str(folder)], work)
    assert "browser-rt bundle --out bundle" in made.stdout
    run([str(venv / "bin" / "browser-rt"), "init", str(folder)], work, expect=2)

    (folder / "package-lock.json").write_text(json.dumps(pyodide_lock_for_app(), indent=2), encoding="utf-8")
    run(["npm", "ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], folder)

    app_wheel = make_app_wheel(dist)
    (folder / "requirements.txt").write_text(
        f"greeting-pkg==1.0 --hash=sha256:{sha(app_wheel)}\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(dist), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    built = run(
        [
            "browser-rt",
            "bundle",
            "--out",
            "bundle",
            "--production",
            "--policy",
            "policy.json",
            "--requirements",
            "requirements.txt",
        ],
        folder,
        env,
    )
    return App(work, venv, folder, env, built.stdout)


def test_the_installed_package_builds_the_bundle_and_ships_itself(app: App) -> None:
    assert "made from the installed package" in app.build_output
    manifest = json.loads((app.folder / "bundle" / "bundle-manifest.json").read_text(encoding="utf-8"))
    from browser_rt import __version__

    assert manifest["browser_rt"] == manifest["js_bridge"] == __version__
    assert (
        manifest["pyodide"]["version"]
        == json.loads((app.folder / "node_modules" / "pyodide" / "package.json").read_text(encoding="utf-8"))[
            "version"
        ]
    )
    assert {name: record["role"] for name, record in manifest["wheels"].items()} == {
        "browser-rt": "project",
        "idna": "runtime",
        "greeting-pkg": "app",
    }
    lock = json.loads((app.folder / "bundle" / "pyodide" / "pyodide-lock.json").read_text(encoding="utf-8"))
    assert sorted(lock["packages"]) == ["browser-rt", "greeting-pkg", "idna"]
    assert lock["packages"]["browser-rt"]["depends"] == ["idna"]
    bundled = set(tree(app.folder / "bundle" / "js_bridge"))
    packaged = {p.relative_to(ROOT / "js_bridge").as_posix() for p in (ROOT / "js_bridge").rglob("*.mjs")}
    assert packaged <= bundled, "the wheel's js_bridge lacks modules the checkout has (stale wheel?)"


def test_a_second_build_from_an_empty_cache_gives_identical_bytes(app: App) -> None:
    again = run(
        [
            "browser-rt",
            "bundle",
            "--out",
            "bundle-again",
            "--production",
            "--policy",
            "policy.json",
            "--requirements",
            "requirements.txt",
            "--cache",
            ".cache-again/pyodide-wheels",
        ],
        app.folder,
        app.env,
    )
    assert "compiling bytecode" in again.stdout, "the second build was meant to compile afresh"
    first, second = tree(app.folder / "bundle"), tree(app.folder / "bundle-again")
    assert first == second
    assert len(first) > 20
    rerun = run(
        [
            "browser-rt",
            "bundle",
            "--out",
            "bundle",
            "--production",
            "--policy",
            "policy.json",
            "--requirements",
            "requirements.txt",
        ],
        app.folder,
        app.env,
    )
    assert " 0 written," in rerun.stdout and tree(app.folder / "bundle") == first


def test_verify_passes_on_the_build_and_names_each_difference_in_a_copy(app: App) -> None:
    ok = run(["browser-rt", "bundle", "--verify", "bundle"], app.folder, app.env)
    assert ok.stdout.startswith("OK: ") and "browser_rt " in ok.stdout
    deployed = app.work / "deployed"
    shutil.copytree(app.folder / "bundle", deployed)
    with (deployed / "js_bridge" / "index.mjs").open("a", encoding="utf-8") as handle:
        handle.write("\n// edited on the server\n")
    (deployed / "pyodide" / "package.json").unlink()
    (deployed / "notes.txt").write_text("left behind\n", encoding="utf-8")
    failed = run(["browser-rt", "bundle", "--verify", str(deployed)], app.folder, app.env, expect=1)
    assert "changed: js_bridge/index.mjs" in failed.stderr
    assert "missing: pyodide/package.json" in failed.stderr
    assert "extra: notes.txt" in failed.stderr
    assert "FAILED: 3 differences" in failed.stderr
    doctor = run(["browser-rt", "doctor", "--no-engines", "--bundle", "bundle"], app.folder, app.env)
    assert "js_bridge and pins from the installed" in doctor.stdout
    assert doctor.stdout.rstrip().endswith("everything is in place")
    broken = run(
        ["browser-rt", "doctor", "--no-engines", "--bundle", str(deployed)], app.folder, app.env, expect=1
    )
    assert broken.stdout.rstrip().endswith("1 problems: bundle")


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"reached")

    do_POST = do_GET

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def other_origin() -> Iterator[tuple[str, list[str]]]:
    """A server Python must not reach: every request it gets is recorded."""
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", _Recorder.seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_app_runs_in_chromium_in_worker_mode_and_the_boundary_holds(
    app: App, other_origin: tuple[str, list[str]]
) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing (make setup installs chromium)")
    from playwright.sync_api import sync_playwright

    other, seen = other_origin
    (app.folder / "app.py").write_text(PROBE.format(other=other), encoding="utf-8")
    script = (app.folder / "main.mjs").read_text(encoding="utf-8")
    (app.folder / "main.mjs").write_text(
        script.replace("packages: [],", 'packages: ["greeting-pkg"],'), encoding="utf-8"
    )
    port = free_port()
    server = subprocess.Popen(
        [str(app.venv / "bin" / "python"), "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=app.folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    console: list[str] = []
    try:
        _wait_for_port(port)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                page = browser.new_page()
                page.on("console", lambda message: console.append(message.text))
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector("body[data-state]", state="attached", timeout=90_000)
                state = page.get_attribute("body", "data-state")
                status = page.text_content("#status")
                isolation = page.text_content("#isolation")
                result = page.text_content("#result") or ""
                output = page.text_content("#output") or ""
                worker_urls = [worker.url for worker in page.workers]
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert state == "ready", f"status {status!r}; console:\n" + "\n".join(console[-30:])
    assert isolation == "worker, policy from meta"
    answer = json.loads(result)
    assert answer["platform"] == "emscripten" and answer["python"].startswith("3.14")
    assert any(url.startswith("blob:http://127.0.0.1:") for url in worker_urls), (
        f"the worker must start from a blob: URL: {worker_urls}"
    )
    assert answer["location_reachable"] is False
    assert answer["package"] == "hello from greeting_pkg"
    attempts = answer["attempts"]
    assert all(outcome != "reached" for outcome in attempts.values()), attempts
    assert attempts["cx.fetch"] == "FetchDenied"
    assert seen == [], f"the other origin was reached: {seen}"
    del output


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"http.server did not start on port {port}")
