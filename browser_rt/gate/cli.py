"""`browser-rt gate`: the security release gate, its self-test, and the manifest refresh."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def add_gate_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `gate` on the `browser-rt` parser."""
    gate = commands.add_parser(
        "gate",
        help="security release gate: run the adversarial scenarios and the release checks",
        description="Run every check in the security policy; exit 1 on a blocking failure.",
    )
    gate.add_argument("--policy", type=Path, default=Path("security/policy.json"), help="the gate's policy")
    gate.add_argument("--bundle", type=Path, default=Path("build/bundle"), help="the built offline bundle")
    gate.add_argument("--out", type=Path, default=Path("artifacts"), help="where the report and logs go")
    gate.add_argument(
        "--only", type=_names, default=(), metavar="ADV-03,...", help="run only these scenarios and/or checks"
    )
    gate.add_argument(
        "--runtimes",
        type=_names,
        default=None,
        metavar="host,node,...",
        help="runtimes to run tests in (default all)",
    )
    gate.add_argument("--project-root", type=Path, default=Path.cwd(), help="repository root (default: here)")
    gate.add_argument(
        "--reports",
        type=Path,
        default=None,
        metavar="DIR",
        help="take passed tests from the stamped reports in DIR (browser-rt gate-record) when their "
        "commit, changes and bundle match; run the rest",
    )
    action = gate.add_mutually_exclusive_group()
    action.add_argument("--self-test", action="store_true", help="break each check on purpose; all must fail")
    action.add_argument(
        "--write-manifest",
        action="store_true",
        help="refresh the integrity manifest from the bundle (after review)",
    )
    gate.set_defaults(handler=_gate)

    record = commands.add_parser(
        "gate-record",
        help="run a test suite and stamp its report so `gate --reports` may take it",
        description="Run COMMAND, which writes REPORT; then stamp REPORT with the commit, the "
        "uncommitted changes' digest and the bundle's digest. Exits with COMMAND's exit code.",
    )
    record.add_argument("--report", type=Path, required=True, help="the report file COMMAND writes")
    record.add_argument("--format", required=True, choices=["pytest-junit", "playwright-json"], dest="fmt")
    record.add_argument(
        "--runtimes", type=_names, required=True, metavar="host|node,...", help="what it ran in"
    )
    record.add_argument("--bundle", type=Path, default=Path("build/bundle"), help="the bundle the suite used")
    record.add_argument(
        "--project-root", type=Path, default=Path.cwd(), help="repository root (default: here)"
    )
    record.add_argument("command", nargs=argparse.REMAINDER, help="-- then the suite's command")
    record.set_defaults(handler=_gate_record)


def _names(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return names


def _gate(args: argparse.Namespace) -> int:
    from browser_rt.gate.config import GateConfigError, load_config
    from browser_rt.gate.engine import GateOptions, run_gate
    from browser_rt.gate.integrity import write_manifest
    from browser_rt.gate.selftest import run_self_test
    from browser_rt.gate.testids import RUNTIMES

    # A stopped gate must not leave test tools running: SIGTERM unwinds like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    root: Path = args.project_root.resolve()
    options = GateOptions(
        root=root,
        policy=_under(root, args.policy),
        bundle=_under(root, args.bundle),
        out=_under(root, args.out),
        only=args.only,
        runtimes=args.runtimes or RUNTIMES,
        reports=None if args.reports is None else _under(root, args.reports),
    )
    if args.self_test:
        return run_self_test(options)
    if args.write_manifest:
        try:
            config = load_config(options.policy, root)
        except GateConfigError as exc:
            print(f"browser-rt gate: {exc}", file=sys.stderr)
            return 2
        result = write_manifest(options.bundle, root, root / config.manifest)
        for finding in result.findings:
            print(f"browser-rt gate: {finding.code} [{finding.subject}]: {finding.message}", file=sys.stderr)
        if not result.passed:
            print(
                "browser-rt gate: manifest not written; rebuild the bundle (make bundle) first",
                file=sys.stderr,
            )
            return 1
        print(f"wrote {root / config.manifest}; review the diff before committing it")
        return 0
    return run_gate(options)


def _gate_record(args: argparse.Namespace) -> int:
    from browser_rt.gate.prior import record_run

    root: Path = args.project_root.resolve()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        return record_run(
            _under(root, args.report), args.fmt, args.runtimes, command, root, _under(root, args.bundle)
        )
    except ValueError as exc:
        print(f"browser-rt gate-record: {exc}", file=sys.stderr)
        return 2


def _under(root: Path, path: Path) -> Path:
    return path if path.is_absolute() else root / path
