"""`browser-rt` command line: bundle, policy checks and the other host-side tools."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from browser_rt.cli_lab import add_lab_commands
from browser_rt.gate.cli import add_gate_command
from browser_rt.testing.cli import add_test_command
from browser_rt.tooling.commands import add_tooling_commands


def _serve(args: argparse.Namespace) -> int:
    from browser_rt.tooling.serve import ServeError, serve_forever

    try:
        return serve_forever(
            bundle=args.bundle,
            site=args.site,
            host=args.host,
            port=args.port,
            policy_path=args.policy,
            api_ports=args.api_ports,
            mounts=args.mount,
            cross_origin_isolated=args.cross_origin_isolated,
        )
    except ServeError as exc:
        print(f"browser-rt serve: error: {exc}", file=sys.stderr)
        return 2


def _policy_check(args: argparse.Namespace) -> int:
    from browser_rt.policy import FetchAuthority, PolicyError

    try:
        authority = FetchAuthority.from_json(_read_text(args.policy))
    except (PolicyError, OSError) as exc:
        print(f"browser-rt policy check: {args.policy}: {exc}", file=sys.stderr)
        return 1
    print(authority.to_json())
    return 0


def _policy_csp(args: argparse.Namespace) -> int:
    from browser_rt.policy import FetchAuthority, PolicyError
    from browser_rt.tooling.csp import page_csp, page_meta_tag, worker_csp

    try:
        authority = FetchAuthority.from_json(_read_text(args.policy))
    except (PolicyError, OSError) as exc:
        print(f"browser-rt policy csp: {args.policy}: {exc}", file=sys.stderr)
        return 1
    if args.target in ("page", "both"):
        print(f"page: Content-Security-Policy: {page_csp(authority)}")
    if args.target in ("worker", "both"):
        print(f"worker: Content-Security-Policy: {worker_csp()}")
    if args.target == "meta":
        print(page_meta_tag(authority))
    return 0


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OSError(exc.strerror or "cannot read the file") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="browser-rt", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    add_tooling_commands(commands)

    policy = commands.add_parser("policy", help="validate a policy or derive its CSP")
    policy_commands = policy.add_subparsers(dest="policy_command", required=True)
    check = policy_commands.add_parser("check", help="validate a policy JSON file and print it canonical")
    check.add_argument("policy", type=Path)
    check.set_defaults(handler=_policy_check)
    csp = policy_commands.add_parser("csp", help="print the Content-Security-Policy headers for a policy")
    csp.add_argument("policy", type=Path)
    csp.add_argument(
        "--target",
        choices=["page", "worker", "both", "meta"],
        default="both",
        help="header lines (page, worker, both), or the <meta> element for a host that sends no headers",
    )
    csp.set_defaults(handler=_policy_csp)

    serve = commands.add_parser("serve", help="serve a bundle (and optionally a site) on loopback")
    serve.add_argument("--bundle", type=Path, default=Path("build/bundle"), help="bundle folder")
    serve.add_argument("--site", type=Path, help="site folder served at / (default: the bundle)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks one)")
    serve.add_argument("--policy", type=Path, help="policy JSON: pages get the CSP derived from it")
    serve.add_argument(
        "--api-ports",
        metavar="API,OTHER",
        help="also start the 'api' and 'other' loopback API servers on these ports "
        "(0,0 picks free ones); their origins are served at /config.json",
    )
    serve.add_argument(
        "--mount",
        action="append",
        default=[],
        metavar="/PREFIX/=DIR",
        help="serve DIR under /PREFIX/ as well (repeatable)",
    )
    serve.add_argument(
        "--cross-origin-isolated",
        action="store_true",
        help="send COOP/COEP so the page is cross-origin isolated: then rt.interrupt() and run timeouts "
        "raise KeyboardInterrupt and keep the runtime instead of restarting it",
    )
    serve.set_defaults(handler=_serve)

    add_lab_commands(commands)
    add_gate_command(commands)
    add_test_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `browser-rt` console script."""
    args = build_parser().parse_args(argv)
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
