"""aioca's whole Spot catalog runs against the simulator over HTTP: every endpoint, in the
scenarios of test_sim_spot_shapes, through its catalog task on ``sim.urls["spot"]``,
answers with the shape of Binance's documented example."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from sim_spot_helpers import documented, shape_problems
from test_sim_spot_shapes import KNOWN_GAPS, SCENARIOS

from aioca_binance import BinanceRestApi
from aioca_binance.spot import CATALOG
from aioca_binance_sim import BinanceSimulator

TASKS = {(task.endpoint.method, task.endpoint.path): task for task in CATALOG.values()}


class HttpDesk:
    """The scenarios' desk, over HTTP: each call runs the endpoint's catalog task on the
    test's event loop while the scenario runs in a worker thread."""

    def __init__(self, sim: BinanceSimulator, api: BinanceRestApi, loop: Any) -> None:
        self.sim, self.api, self.loop = sim, api, loop
        self.venue = sim.venues["spot"]

    @property
    def now(self) -> int:
        return self.sim.now_ms()

    def call(self, method: str, path: str, **params: Any) -> Any:
        task = TASKS[method, path](api=self.api, **params)
        return asyncio.run_coroutine_threadsafe(task.run(), self.loop).result(30)

    def last(self, symbol: str = "BTCUSDT") -> Decimal:
        spec = self.venue.symbols[symbol]
        return spec.tick * self.venue.tape.last_trade(spec, self.now).ticks

    def price(self, factor: str, symbol: str = "BTCUSDT") -> Decimal:
        spec = self.venue.symbols[symbol]
        return (self.last(symbol) * Decimal(factor)).quantize(spec.tick)

    def order(self, **params: Any) -> Any:
        params.setdefault("symbol", "BTCUSDT")
        return self.call("POST", "/api/v3/order", **params)


@pytest.fixture(scope="module")
def scenario_results() -> dict[tuple[str, int], Any]:
    """Every scenario's answer, each on a fresh simulator (one HTTP session per run)."""

    async def run_all() -> dict[tuple[str, int], Any]:
        results: dict[tuple[str, int], Any] = {}
        loop = asyncio.get_running_loop()
        for key in sorted(SCENARIOS):
            async with BinanceSimulator(seed=7) as sim, sim.api() as api:
                desk = HttpDesk(sim, api, loop)
                results[key] = await asyncio.to_thread(SCENARIOS[key], desk)  # type: ignore[arg-type]
        return results

    return asyncio.run(run_all())


@pytest.mark.parametrize(("key", "index"), sorted(SCENARIOS))
def test_catalog_task_gets_the_documented_shape(
    scenario_results: dict[tuple[str, int], Any], key: str, index: int
) -> None:
    problems = set(shape_problems(scenario_results[key, index], documented(key, index)))
    assert problems <= KNOWN_GAPS.get(key, frozenset()), sorted(problems)


def test_every_catalog_task_is_exercised() -> None:
    method_paths = {tuple(key.split(" ", 1)) for key, _ in SCENARIOS}
    assert set(TASKS) - method_paths == {("GET", "/api/v3/myPreventedMatches")}
