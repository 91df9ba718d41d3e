"""A deliberately racy program, and seed exploration finding the schedule that breaks it.

Two customers try to buy the last seat. `buy` checks the stock, pays (a fetch), then takes the
seat: a check-then-act across an await. The second customer arrives exactly when the first
one's payment completes, so whether the seat is sold twice depends only on which of the two
ready tasks runs first: a coin the seed flips.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from browser_rt import Cx
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority

SHOP = "https://shop.example.com"
AUTH = FetchAuthority.from_dict({"origins": [SHOP], "methods": ["GET", "POST"]})
EXPLORED_SEEDS = 16


@dataclass
class Inventory:
    stock: int
    sold: list[str] = field(default_factory=list)


async def buy(cx: Cx, inventory: Inventory, customer: str, arrival: float) -> None:
    await cx.sleep(arrival)
    if inventory.stock == 0:
        return
    await cx.fetch(f"{SHOP}/charge/{customer}", method="POST")
    inventory.stock -= 1
    inventory.sold.append(customer)


async def buy_reserving_first(cx: Cx, inventory: Inventory, customer: str, arrival: float) -> None:
    await cx.sleep(arrival)
    if inventory.stock == 0:
        return
    inventory.stock -= 1
    with cx.obligation("seat") as seat:
        await cx.fetch(f"{SHOP}/charge/{customer}", method="POST")
        seat.commit(customer)
    inventory.sold.append(customer)


def sell_last_seat(lab: LabRuntime, buyer) -> Inventory:
    for customer in ("ann", "bob"):
        lab.fetch_host.respond(f"{SHOP}/charge/{customer}", method="POST", body=b"paid", delay=0.05)

    async def sale(cx: Cx) -> Inventory:
        inventory = Inventory(stock=1)
        async with cx.region("sale") as r:
            r.spawn(buyer, inventory, "ann", 0.0)
            r.spawn(buyer, inventory, "bob", 0.05)
        return inventory

    return lab.run(sale, authority=AUTH)


def test_seed_exploration_finds_the_oversell_and_its_seed_replays_it():
    outcomes = {}
    for seed in range(EXPLORED_SEEDS):
        lab = LabRuntime(seed)
        inventory = sell_last_seat(lab, buy)
        outcomes[seed] = (inventory.stock, inventory.sold, lab.fingerprint)
    oversold = [seed for seed, (stock, _, _) in outcomes.items() if stock < 0]
    assert oversold, "no explored seed exposed the race"
    assert len(oversold) < EXPLORED_SEEDS, "the bug must depend on the schedule, not show every time"

    seed = oversold[0]
    replay = LabRuntime(seed)
    inventory = sell_last_seat(replay, buy)
    assert (inventory.stock, inventory.sold, replay.fingerprint) == outcomes[seed]
    assert sorted(inventory.sold) == ["ann", "bob"]


@pytest.mark.lab_explore(seeds=EXPLORED_SEEDS)
def test_reserving_before_paying_never_oversells(lab):
    inventory = sell_last_seat(lab, buy_reserving_first)
    assert inventory.stock == 0
    assert len(inventory.sold) == 1
