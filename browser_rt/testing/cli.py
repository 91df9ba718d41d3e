"""`browser-rt test`: a project's pytest suite on the host, in Pyodide in Node and in Chromium.

browser-rt test [--rt host,node,chrome] [--dist-dir DIR] [--project DIR] [-- pytest args]
browser-rt test --sample DIR        write the sample project into DIR
browser-rt test --self-test         turn off each plugin fix in turn; results must go wrong
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from browser_rt.testing.matrix import RUNTIMES


def add_test_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `test` on the `browser-rt` parser."""
    test = commands.add_parser(
        "test",
        help="run a project's pytest suite on the host and inside Pyodide (Node, Chromium)",
        description="Run pytest once per runtime from the project's folder, print one line per "
        "runtime, exit 1 if any failed. Arguments after `--` go to every pytest run.",
    )
    test.add_argument(
        "--rt",
        type=_runtimes,
        default=RUNTIMES,
        metavar="host,node,chrome",
        help="runtimes to run in, in this order (default all three)",
    )
    test.add_argument(
        "--dist-dir",
        type=Path,
        help="a Pyodide folder with pytest and micropip in its lock, such as build/bundle/pyodide "
        "(default: build or refresh .browser-rt/bundle in the project)",
    )
    test.add_argument("--project", type=Path, default=Path.cwd(), help="the project's folder (default: here)")
    action = test.add_mutually_exclusive_group()
    action.add_argument(
        "--sample", type=Path, metavar="DIR", help="write the sample project into DIR and stop"
    )
    action.add_argument(
        "--self-test",
        action="store_true",
        help="run the sample project with each plugin fix turned off in turn (in node, or the "
        "Pyodide runtimes given with --rt); every fault must change a result",
    )
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="pytest arguments, after --")
    test.set_defaults(handler=_test)


def _runtimes(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in RUNTIMES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(RUNTIMES)}")
    return names


def _test(args: argparse.Namespace) -> int:
    from browser_rt.testing.bundle import BundleUnavailable, check_pyodide_dir, ensure_test_bundle
    from browser_rt.testing.matrix import run_matrix
    from browser_rt.testing.sample import write_sample
    from browser_rt.testing.selftest import run_self_test

    if args.sample is not None:
        try:
            written = write_sample(args.sample)
        except FileExistsError as exc:
            print(f"browser-rt test: {exc}", file=sys.stderr)
            return 2
        print(f"browser-rt test: wrote {len(written)} files into {args.sample}")
        print(f"next: cd {args.sample} && browser-rt test")
        return 0
    project: Path = args.project.resolve()
    extra: list[str] = list(args.pytest_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    runtimes: tuple[str, ...] = args.rt
    pyodide_runtimes = [rt for rt in runtimes if rt != "host"]
    if args.self_test and (runtimes == RUNTIMES or not pyodide_runtimes):
        pyodide_runtimes = ["node"]  # the self-test's default: it runs the sample once per fix
    dist_dir: Path | None = None
    if pyodide_runtimes:
        try:
            if args.dist_dir is not None:
                dist_dir = args.dist_dir.resolve()
                check_pyodide_dir(dist_dir)
            else:
                dist_dir = ensure_test_bundle(project)
        except BundleUnavailable as exc:
            print(f"browser-rt test: {exc}", file=sys.stderr)
            return 2
    if args.self_test:
        assert dist_dir is not None
        return run_self_test(dist_dir, pyodide_runtimes)
    return run_matrix(project, runtimes, extra, dist_dir)
