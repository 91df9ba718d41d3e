"""`browser-rt bundle`, `browser-rt init` and `browser-rt doctor`: the embedder's commands.

They live here rather than in `browser_rt/cli.py` so that the command line stays a list of
registrations; each handler imports its module only when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_tooling_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `bundle`, `init` and `doctor` on the `browser-rt` parser."""
    _add_bundle(commands)
    _add_init(commands)
    _add_doctor(commands)


def _add_bundle(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bundle = commands.add_parser(
        "bundle",
        help="build the self-contained offline bundle, or --verify a deployed one",
        description="Build the offline bundle into --out, from a browser_rt checkout (when run in "
        "one) or from the installed browser_rt; or check a deployed folder with --verify.",
    )
    target = bundle.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="output folder")
    target.add_argument(
        "--verify",
        type=Path,
        metavar="DIR",
        help="re-check DIR against its bundle-manifest.json; names every changed, missing or extra file",
    )
    bundle.add_argument(
        "--manifest",
        type=Path,
        help="with --verify: check against this manifest (e.g. the build machine's) instead of DIR's own",
    )
    bundle.add_argument(
        "--project-root",
        type=Path,
        default=Path.cwd(),
        help="where node_modules/pyodide and .cache/ are looked up (default: here); a browser_rt "
        "checkout there also supplies js_bridge/, requirements/ and dist/",
    )
    bundle.add_argument("--pyodide-dir", type=Path, help="Pyodide core (default node_modules/pyodide)")
    bundle.add_argument(
        "--js-bridge", type=Path, help="js_bridge sources (default: the checkout's or the package's)"
    )
    bundle.add_argument(
        "--wheel",
        type=Path,
        help="browser_rt wheel (default: newest in dist/ in a checkout, else made from the installed one)",
    )
    bundle.add_argument("--cache", type=Path, help="wheel download cache (default .cache/pyodide-wheels)")
    bundle.add_argument(
        "--requirements",
        type=Path,
        metavar="FILE",
        help="the app's own pure-Python wheels: exact pins, each with --hash=sha256 "
        "(as pip-compile --generate-hashes writes them)",
    )
    bundle.add_argument(
        "--policy",
        type=Path,
        help="policy JSON the bundle's page grants; its CSP goes into the page as a <meta> "
        "(default: nothing granted)",
    )
    bundle.add_argument(
        "--production",
        action="store_true",
        help="leave out the test-only wheels (micropip, pytest, hypothesis, ...)",
    )
    bundle.add_argument(
        "--sources",
        action="store_true",
        help="ship browser_rt and idna as sources, not bytecode (slower start; source lines in tracebacks)",
    )
    bundle.add_argument(
        "--no-snapshot",
        action="store_true",
        help="ship no memory snapshot: every start boots Pyodide and imports browser_rt",
    )
    bundle.add_argument(
        "--snapshot-without-app",
        action="store_true",
        help="keep the app's own wheels out of the memory snapshot (they load after the restore)",
    )
    bundle.set_defaults(handler=_bundle)


def _bundle(args: argparse.Namespace) -> int:
    if args.verify is not None:
        return _verify(args)
    if args.manifest is not None:
        print("browser-rt bundle: error: --manifest goes with --verify", file=sys.stderr)
        return 2
    from browser_rt.policy import FetchAuthority, PolicyError
    from browser_rt.tooling.app_requirements import AppRequirementsError
    from browser_rt.tooling.bundle import BundleError, BundleInputs, build_bundle
    from browser_rt.tooling.package_data import PackageDataError, is_checkout
    from browser_rt.tooling.requirements import RequirementsError

    page_policy = None
    if args.policy is not None:
        try:
            page_policy = FetchAuthority.from_json(args.policy.read_text(encoding="utf-8"))
        except (PolicyError, OSError) as exc:
            print(f"browser-rt bundle: error: --policy {args.policy}: {exc}", file=sys.stderr)
            return 2
    overrides = {
        "pyodide_dir": args.pyodide_dir,
        "js_bridge_dir": args.js_bridge,
        "project_wheel": args.wheel,
        "cache_dir": args.cache,
        "include_test_wheels": not args.production,
        "bytecode": not args.sources,
        "app_requirements": args.requirements,
        "snapshot": not args.no_snapshot,
        "snapshot_app": not args.snapshot_without_app,
    }
    try:
        root = args.project_root
        inputs = (
            BundleInputs.for_checkout(root, **overrides)
            if is_checkout(root)
            else BundleInputs.for_installed(root, **overrides)
        )
        build_bundle(inputs, args.out, page_policy=page_policy)
    except (BundleError, RequirementsError, AppRequirementsError, PackageDataError) as exc:
        print(f"browser-rt bundle: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _verify(args: argparse.Namespace) -> int:
    from browser_rt.tooling.verify import format_report, verify_bundle

    report = verify_bundle(args.verify, args.manifest)
    stream = sys.stdout if report.ok else sys.stderr
    print(format_report(report), file=stream)
    return 0 if report.ok else 1


def _add_init(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser(
        "init",
        help="write a minimal worker-mode app into an empty folder",
        description="Write index.html (worker mode, <meta> CSP), main.mjs, app.py, policy.json, "
        "package.json and README.md into DIR; refuses to overwrite anything.",
    )
    init.add_argument(
        "dir", type=Path, help="the app folder (created if missing; must hold none of the files)"
    )
    init.add_argument(
        "--origin",
        default="https://api.example.com",
        help="the one origin policy.json grants (default https://api.example.com)",
    )
    init.set_defaults(handler=_init)


def _init(args: argparse.Namespace) -> int:
    from browser_rt.tooling.init import InitError, write_starter

    try:
        written = write_starter(args.dir, origin=args.origin)
    except InitError as exc:
        print(f"browser-rt init: error: {exc}", file=sys.stderr)
        return 2
    print(written.summary())
    return 0


def _add_doctor(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check Python, Node, npm, the Pyodide core, the browsers and the bundle",
        description="Report what `make setup` would install or fix; exit 1 naming anything missing.",
    )
    doctor.add_argument(
        "--project-root",
        type=Path,
        default=Path.cwd(),
        help="where node_modules/pyodide is looked up (default: here)",
    )
    doctor.add_argument(
        "--bundle",
        type=Path,
        help="bundle folder to verify (default build/bundle in a checkout; none elsewhere)",
    )
    doctor.add_argument(
        "--no-engines",
        action="store_true",
        help="skip the browser checks (an embedder who only builds bundles needs none of them)",
    )
    doctor.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    from browser_rt.tooling.doctor import format_checks, run_checks

    checks = run_checks(args.project_root, bundle=args.bundle, engines=not args.no_engines)
    print(format_checks(checks))
    return 0 if all(check.ok for check in checks) else 1
