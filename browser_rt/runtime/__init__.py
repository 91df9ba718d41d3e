"""The structured-concurrency core: runs, regions, cancellation, budgets and obligations.

    import browser_rt

    async def main(cx: browser_rt.Cx) -> None:
        async with cx.region("work", budget=browser_rt.Budget(deadline=5, max_fetches=10)) as r:
            r.spawn(fetch_one, "https://api.example.com/a")
            r.spawn(fetch_one, "https://api.example.com/b")

    browser_rt.run(main, authority=authority)           # host CPython
    await browser_rt.arun(main, authority=authority)    # inside a running loop (Pyodide)

See docs/runtime.md for the guarantees and the events the core emits.
"""

from browser_rt.runtime.budget import Budget, BudgetExceeded, BudgetKind
from browser_rt.runtime.context import NoCapabilityError, current_cx
from browser_rt.runtime.cx import Cx
from browser_rt.runtime.entry import NoFetchHost, Runtime, arun, run
from browser_rt.runtime.obligation import Obligation, ObligationError, ObligationLeak, ObligationState
from browser_rt.runtime.region import Region
from browser_rt.runtime.services import DEFAULT_CLEANUP_SECONDS, RuntimeObserver

__all__ = [
    "DEFAULT_CLEANUP_SECONDS",
    "Budget",
    "BudgetExceeded",
    "BudgetKind",
    "Cx",
    "NoCapabilityError",
    "NoFetchHost",
    "Obligation",
    "ObligationError",
    "ObligationLeak",
    "ObligationState",
    "Region",
    "Runtime",
    "RuntimeObserver",
    "arun",
    "current_cx",
    "run",
]
