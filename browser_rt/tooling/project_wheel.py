"""The browser_rt wheel the bundle ships into Pyodide, made the same way from any source.

In a checkout the source is the wheel `make wheel` built in `dist/`; for an installed browser_rt
it is the installed package itself (its files, checked against the RECORD pip wrote). Both go
through one writer: the package's files without the host-only `browser_rt/_data/` (js_bridge
and the pin lists, which the bundle ships in their own places), the wheel's own metadata
without what an installer adds (INSTALLER, REQUESTED, direct_url.json), a fresh RECORD, sorted
members, fixed dates and modes. So the installed package and the wheel it came from give the
same bytes, and a rebuild gives the same bytes again.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import zipfile
from pathlib import Path

from browser_rt.tooling.package_data import PACKAGE_DIR

DISTRIBUTION = "browser_rt"
HOST_ONLY_PREFIX = "browser_rt/_data/"
"""Package data the bundle builder reads on the host; Pyodide never needs it."""
INSTALLER_FILES = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
"""dist-info files an installer writes (RECORD is rewritten), not part of the built wheel."""
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


class ProjectWheelError(RuntimeError):
    """The installed package or the wheel cannot give a faithful wheel; the message says why."""


def from_wheel(wheel: Path, dest_dir: Path) -> Path:
    """The Pyodide-side copy of a built browser_rt wheel, written into `dest_dir`."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise ProjectWheelError(f"{wheel}: not a readable wheel ({exc})") from None
    return _write(_kept(members), dest_dir)


def from_installed(dest_dir: Path) -> Path:
    """The Pyodide-side wheel of the browser_rt this interpreter imports, written into `dest_dir`.

    Each file is checked against the installer's RECORD: a locally edited install is refused
    rather than shipped. An editable install has no package files in its RECORD; its source
    tree is read instead.
    """
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ProjectWheelError("browser_rt is not installed in this environment (no dist-info)") from None
    recorded = list(dist.files or [])
    members: dict[str, bytes] = {}
    changed: list[str] = []
    for entry in recorded:
        name = entry.as_posix()
        top = name.split("/", 1)[0]
        if not (top == "browser_rt" or top.endswith(".dist-info")) or name.endswith(".pyc"):
            continue
        if name.startswith(HOST_ONLY_PREFIX):
            continue  # dropped below anyway; an editable install records these and nothing else
        path = Path(str(dist.locate_file(entry)))
        try:
            data = path.read_bytes()
        except OSError:
            raise ProjectWheelError(
                f"installed browser_rt is incomplete: {name} is missing; reinstall it"
            ) from None
        if entry.hash is not None and entry.hash.mode == "sha256" and _digest(data) != entry.hash.value:
            changed.append(name)
        members[name] = data
    if changed:
        raise ProjectWheelError(
            "installed browser_rt differs from what was installed (its RECORD): "
            + ", ".join(sorted(changed))
            + "; reinstall it, or pass --wheel"
        )
    if not any(name.startswith("browser_rt/") for name in members):
        members.update(_source_tree())
    return _write(_kept(members), dest_dir)


def _source_tree() -> dict[str, bytes]:
    """The package's files on disk, for an editable install."""
    return {
        path.relative_to(PACKAGE_DIR.parent).as_posix(): path.read_bytes()
        for path in sorted(PACKAGE_DIR.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def _kept(members: dict[str, bytes]) -> dict[str, bytes]:
    kept: dict[str, bytes] = {}
    for name, data in members.items():
        top, _, rest = name.partition("/")
        if top.endswith(".dist-info"):
            if rest in INSTALLER_FILES:
                continue
        elif name.startswith(HOST_ONLY_PREFIX) or "__pycache__/" in name or name.endswith(".pyc"):
            continue
        kept[name] = data
    return kept


def _write(members: dict[str, bytes], dest_dir: Path) -> Path:
    dist_infos = {name.split("/", 1)[0] for name in members if name.split("/", 1)[0].endswith(".dist-info")}
    if len(dist_infos) != 1:
        raise ProjectWheelError(f"expected one .dist-info folder, found {sorted(dist_infos) or 'none'}")
    dist_info = dist_infos.pop()
    if f"{dist_info}/WHEEL" not in members or f"{dist_info}/METADATA" not in members:
        raise ProjectWheelError(f"{dist_info} lacks WHEEL or METADATA")
    tag = _tag(members[f"{dist_info}/WHEEL"].decode("utf-8"))
    file_name = f"{dist_info.removesuffix('.dist-info')}-{tag}.whl"
    record_name = f"{dist_info}/RECORD"
    order = sorted(n for n in members if not n.startswith(dist_info + "/"))
    order += sorted(n for n in members if n.startswith(dist_info + "/"))
    record = "".join(f"{name},sha256={_digest(members[name])},{len(members[name])}\n" for name in order)
    record += f"{record_name},,\n"
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / file_name
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in [*((n, members[n]) for n in order), (record_name, record.encode("utf-8"))]:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return target


def _tag(wheel_metadata: str) -> str:
    """The file-name tag from the WHEEL file's `Tag:` lines (`py2-none-any` + `py3-none-any`
    -> `py2.py3-none-any`); only pure-Python tags are expected."""
    tags = [line.split(":", 1)[1].strip() for line in wheel_metadata.splitlines() if line.startswith("Tag:")]
    split = [tag.split("-") for tag in tags]
    if not split or any(len(parts) != 3 or parts[1:] != ["none", "any"] for parts in split):
        raise ProjectWheelError(f"browser_rt's WHEEL file has tags {tags}, expected pure-Python ones")
    return ".".join(dict.fromkeys(parts[0] for parts in split)) + "-none-any"


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
