"""aioca's whole USDⓈ-M catalog against the simulator, over real HTTP on 127.0.0.1
(``sim.urls["usdm"]``): every task gets its answer, which its response model accepts and
which has the shape of Binance's documented example.

The account is given something in every list first (the venue of the running simulator,
changed directly: ``test_sim_usdm_shapes.populate``); then the endpoint under test is
called through the client, with the parameters the shape test uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sim_helpers import FakeClock
from sim_usdm_helpers import Desk
from test_sim_usdm_shapes import (
    START,
    SWITCHES,
    assert_documented_shape,
    flatten,
    params_for,
    populate,
)

from aioca.errors import BatchError, ExchangeError
from aioca_binance import BinanceRestApi
from aioca_binance.usdm import CATALOG, UsdmNewOrder, UsdmQueryOrder
from aioca_binance.usdm.models import RESPONSE_MODELS
from aioca_binance_sim import BinanceSimulator


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator(seed=5, clock=FakeClock(START / 1000)) as simulator:
        yield simulator


@pytest.fixture
async def api(sim: BinanceSimulator) -> AsyncIterator[BinanceRestApi]:
    async with sim.api() as client:
        yield client


def _desk(sim: BinanceSimulator) -> Desk:
    clock = sim.clock
    assert isinstance(clock, FakeClock)
    return Desk.of(sim.venues["usdm"], clock)


@pytest.mark.parametrize("name", list(CATALOG))
async def test_every_catalog_task_gets_a_documented_answer(
    name: str, sim: BinanceSimulator, api: BinanceRestApi
) -> None:
    task_cls = CATALOG[name]
    method, path = task_cls.endpoint.method, task_cls.endpoint.path
    desk = _desk(sim)
    ids = populate(desk)
    params = params_for(method, path, desk, ids)
    if (method, path) in SWITCHES:
        flatten(desk)
        params = SWITCHES[method, path]
    task = task_cls(**params)
    task.api = api
    if path == "/fapi/v1/batchOrders":
        # The shape test's batches hold one item Binance refuses: the client reports it
        # (a BatchError with every item), the others went through.
        with pytest.raises(BatchError) as caught:
            await task.run()
        assert [index for index, _ in caught.value.item_errors] == [1]
        assert_documented_shape(method, path, list(caught.value.items))
        return
    answer = await task.run()
    assert task.exception is None, task.exception
    assert (method, path) in RESPONSE_MODELS
    assert task.parsed is not None  # the catalog's response model accepted the answer
    assert_documented_shape(method, path, answer)


async def test_an_order_placed_through_the_client_fills_and_is_found(
    sim: BinanceSimulator, api: BinanceRestApi
) -> None:
    placed = UsdmNewOrder(symbol="ETHUSDT", side="BUY", type="MARKET", quantity=Decimal("0.5"))
    placed.api = api
    order = await placed.run()
    assert order["status"] == "NEW"  # Binance's default answer, ACK: the order as accepted
    query = UsdmQueryOrder(symbol="ETHUSDT", orderId=order["orderId"])
    query.api = api
    assert (await query.run())["executedQty"] == "0.500"
    position = sim.venues["usdm"].engine.position(sim.venues["usdm"].symbols["ETHUSDT"])
    assert position.amount == Decimal("0.5")


async def test_a_refused_order_comes_back_as_binances_error(api: BinanceRestApi) -> None:
    task = UsdmNewOrder(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
        quantity=Decimal("0.001"), price=Decimal("50000.0"),
    )  # fmt: skip
    task.api = api
    with pytest.raises(ExchangeError) as caught:
        await task.run()
    assert caught.value.code == -4164
    assert "notional must be no smaller than 100" in str(caught.value)
