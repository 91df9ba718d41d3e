"""`browser-rt lab replay --seed N <nodeid>`: rerun one lab test with one seed."""

from __future__ import annotations

import argparse

from browser_rt.lab.rng import MAX_SEED


def add_lab_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `lab` and its subcommands on the `browser-rt` parser."""
    lab = commands.add_parser("lab", help="the deterministic lab runtime")
    lab_commands = lab.add_subparsers(dest="lab_command", required=True)
    replay = lab_commands.add_parser(
        "replay",
        help="rerun one test with one lab seed",
        description="Run pytest on NODEID with --lab-seed SEED; arguments after `--` go to pytest.",
    )
    replay.add_argument("--seed", type=parse_seed, required=True, help="the seed a failure printed")
    replay.add_argument(
        "nodeid", help="the test id a failure printed, such as tests/test_x.py::test_y[seed3]"
    )
    replay.add_argument("pytest_args", nargs=argparse.REMAINDER, help="more pytest arguments, after --")
    replay.set_defaults(handler=_replay)


def parse_seed(text: str) -> int:
    """An argparse type: a lab seed, 0 to 2**64-1."""
    try:
        seed = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"lab seed must be a decimal integer, got {text!r}") from None
    if not 0 <= seed <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"lab seed must be from 0 to 2**64-1, got {seed}")
    return seed


def _replay(args: argparse.Namespace) -> int:
    import pytest

    extra: list[str] = list(args.pytest_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return int(pytest.main([args.nodeid, "--lab-seed", str(args.seed), *extra]))
