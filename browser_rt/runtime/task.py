"""Per-task bookkeeping shared by every `Cx` view of a task: name, current region, obligations."""

from __future__ import annotations

from browser_rt.runtime.budget import BudgetMeter
from browser_rt.runtime.obligation import Obligation


class TaskState:
    """The name a task is reported under, the region it is in now, and its obligations.

    `region` and `meter` follow the task into and out of the regions it opens, so the body of a
    region works under that region's name and budget just like the region's children do.
    """

    __slots__ = ("meter", "name", "obligations", "region")

    def __init__(self, name: str, region: str, meter: BudgetMeter | None, /) -> None:
        self.name = name
        self.region = region
        self.meter = meter
        self.obligations: list[Obligation] | None = None

    def open_obligation(self, name: str) -> Obligation:
        obligation = Obligation(name, task=self.name, region=self.region)
        if self.obligations is None:
            self.obligations = []
        self.obligations.append(obligation)
        return obligation

    def leaked_obligations(self) -> list[Obligation]:
        """Mark every still-pending obligation leaked and return those; call once, at task end."""
        if self.obligations is None:
            return []
        return [obligation for obligation in self.obligations if obligation.mark_leaked()]
