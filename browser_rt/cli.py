"""`browser-rt` command line: bundle, policy checks and the other host-side tools."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _bundle(args: argparse.Namespace) -> int:
    from browser_rt.tooling.bundle import BundleError, BundleInputs, build_bundle
    from browser_rt.tooling.requirements import RequirementsError

    root: Path = args.project_root
    inputs = BundleInputs(
        pyodide_dir=args.pyodide_dir or root / "node_modules" / "pyodide",
        js_bridge_dir=args.js_bridge or root / "js_bridge",
        project_wheel=args.wheel,
        wheel_dist_dir=root / "dist",
        runtime_pins=root / "requirements" / "pyodide-runtime.txt",
        test_pins=root / "requirements" / "pyodide-test.txt",
        cache_dir=args.cache or root / ".cache" / "pyodide-wheels",
        include_test_wheels=not args.production,
    )
    try:
        build_bundle(inputs, args.out)
    except (BundleError, RequirementsError) as exc:
        print(f"browser-rt bundle: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _serve(args: argparse.Namespace) -> int:
    import time

    from browser_rt.tooling.static_server import start_static_server

    bundle: Path = args.bundle
    if not (bundle / "pyodide" / "pyodide.mjs").is_file():
        print(
            f"browser-rt serve: error: {bundle} is not a bundle: run `browser-rt bundle --out "
            f"{bundle}` first",
            file=sys.stderr,
        )
        return 2
    roots = {"/": bundle}
    if args.site is not None:
        if not (args.site / "index.html").is_file():
            print(f"browser-rt serve: error: {args.site}/index.html is missing", file=sys.stderr)
            return 2
        roots = {"/": args.site, "/pyodide/": bundle / "pyodide", "/js_bridge/": bundle / "js_bridge"}
    server, _log = start_static_server(roots, host=args.host, port=args.port)
    port = server.server_address[1]
    print(f"browser-rt serve: open http://{args.host}:{port}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="browser-rt", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    bundle = commands.add_parser("bundle", help="build the self-contained offline bundle")
    bundle.add_argument("--out", type=Path, required=True, help="output folder")
    bundle.add_argument(
        "--project-root",
        type=Path,
        default=Path.cwd(),
        help="folder with node_modules/, js_bridge/, dist/ and requirements/",
    )
    bundle.add_argument("--pyodide-dir", type=Path, help="Pyodide core (default node_modules/pyodide)")
    bundle.add_argument("--js-bridge", type=Path, help="js_bridge sources (default ./js_bridge)")
    bundle.add_argument("--wheel", type=Path, help="browser_rt wheel (default newest in dist/)")
    bundle.add_argument("--cache", type=Path, help="wheel download cache (default .cache/pyodide-wheels)")
    bundle.add_argument(
        "--production",
        action="store_true",
        help="leave out the test-only wheels (micropip, pytest, hypothesis, ...)",
    )
    bundle.set_defaults(handler=_bundle)

    serve = commands.add_parser("serve", help="serve a bundle (and optionally a site) on loopback")
    serve.add_argument("--bundle", type=Path, default=Path("build/bundle"), help="bundle folder")
    serve.add_argument("--site", type=Path, help="site folder served at / (default: the bundle)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks one)")
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `browser-rt` console script."""
    args = build_parser().parse_args(argv)
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
