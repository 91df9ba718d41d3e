"""The pytest plugin: the lab fixture, --lab-seed, lab_explore, replay commands, and the CLI."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from browser_rt import cli

pytest_plugins = ["pytester"]

RACY_TEST = """
import pytest
from browser_rt.policy import FetchAuthority

SHOP = "https://shop.example.com"
AUTH = FetchAuthority.from_dict({"origins": [SHOP], "methods": ["POST"]})


async def buy(cx, inventory, customer, arrival):
    await cx.sleep(arrival)
    if inventory["stock"] == 0:
        return
    await cx.fetch(f"{SHOP}/charge/{customer}", method="POST")
    inventory["stock"] -= 1


@pytest.mark.lab_explore(seeds=12)
def test_never_oversells(lab):
    for customer in ("ann", "bob"):
        lab.fetch_host.respond(f"{SHOP}/charge/{customer}", method="POST", delay=0.05)

    async def sale(cx):
        inventory = {"stock": 1}
        async with cx.region("sale") as r:
            r.spawn(buy, inventory, "ann", 0.0)
            r.spawn(buy, inventory, "bob", 0.05)
        return inventory

    assert lab.run(sale, authority=AUTH)["stock"] == 0


def test_default_seed(lab):
    print("seed", lab.seed)
"""


def failing_seeds(output: str) -> list[int]:
    return sorted(
        {int(seed) for seed in re.findall(r"FAILED test_shop.py::test_never_oversells\[seed(\d+)\]", output)}
    )


def test_lab_explore_runs_one_test_per_seed_and_prints_replay_commands(pytester):
    pytester.makepyfile(test_shop=RACY_TEST)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    output = result.stdout.str()
    failed = failing_seeds(output)
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] + outcomes["failed"] == 13
    assert failed and len(failed) == outcomes["failed"] < 12
    for seed in failed:
        command = f"browser-rt lab replay --seed {seed} test_shop.py::test_never_oversells[seed{seed}]"
        assert f"replay with: {command}" in output
        assert output.count(command) >= 2, "in the failure report and in the summary"
    assert "browser_rt lab: replay failing seeds" in output


def test_lab_seed_selects_one_seed_and_sets_the_fixture(pytester):
    pytester.makepyfile(test_shop=RACY_TEST)
    explored = pytester.runpytest("-q", "-p", "no:cacheprovider")
    seed = failing_seeds(explored.stdout.str())[0]

    result = pytester.runpytest(
        "-q",
        "-s",
        "-p",
        "no:cacheprovider",
        "--lab-seed",
        str(seed),
        f"test_shop.py::test_never_oversells[seed{seed}]",
    )
    result.assert_outcomes(failed=1)
    default = pytester.runpytest(
        "-q", "-s", "-p", "no:cacheprovider", "--lab-seed", "77", "test_shop.py::test_default_seed"
    )
    default.assert_outcomes(passed=1)
    assert "seed 77" in default.stdout.str()


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("lab_explore(seeds=0)", "lab_explore(seeds=K) needs an int K from 1 to 10000, got 0"),
        ("lab_explore(seeds='3')", "needs an int K"),
        ("lab_explore(3, seeds=3)", "takes the seed count once"),
    ],
)
def test_bad_explore_markers_fail_collection_with_a_reason(pytester, marker, message):
    pytester.makepyfile(test_bad=f"import pytest\n\n@pytest.mark.{marker}\ndef test_x(lab):\n    pass\n")
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert "test_bad.py::test_x: lab_explore" in result.stdout.str()
    assert message in result.stdout.str()


def test_explore_without_the_lab_fixture_fails_collection(pytester):
    pytester.makepyfile(
        test_bad="import pytest\n\n@pytest.mark.lab_explore(seeds=2)\ndef test_x():\n    pass\n"
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert "lab_explore needs the test to use the `lab` fixture" in result.stdout.str()


def test_bad_lab_seed_option_is_refused(pytester):
    result = pytester.runpytest("--lab-seed", "-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "lab seed must be from 0 to 2**64-1, got -1" in result.stderr.str()


def test_replay_command_runs_pytest_with_the_seed(monkeypatch):
    calls = []
    monkeypatch.setattr(pytest, "main", lambda args: calls.append(args) or 1)
    code = cli.main(["lab", "replay", "--seed", "5", "tests/test_x.py::test_y[seed5]", "--", "-x", "-q"])
    assert code == 1
    assert calls == [["tests/test_x.py::test_y[seed5]", "--lab-seed", "5", "-x", "-q"]]


def test_replay_command_refuses_a_bad_seed(capsys):
    with pytest.raises(SystemExit):
        cli.main(["lab", "replay", "--seed", "x", "tests/test_x.py::test_y"])
    assert "lab seed must be a decimal integer, got 'x'" in capsys.readouterr().err


@pytest.mark.host_only(reason="starts the browser-rt console script in a subprocess")
def test_replay_reproduces_a_failing_seed_end_to_end(pytester):
    pytester.makepyfile(test_shop=RACY_TEST)
    seed = failing_seeds(pytester.runpytest("-q", "-p", "no:cacheprovider").stdout.str())[0]
    nodeid = f"test_shop.py::test_never_oversells[seed{seed}]"
    replay = subprocess.run(
        [
            sys.executable,
            "-m",
            "browser_rt",
            "lab",
            "replay",
            "--seed",
            str(seed),
            nodeid,
            "--",
            "-p",
            "no:cacheprovider",
        ],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert replay.returncode == 1, replay.stdout + replay.stderr
    assert "1 failed" in replay.stdout
    assert f"browser-rt lab replay --seed {seed} {nodeid}" in replay.stdout
