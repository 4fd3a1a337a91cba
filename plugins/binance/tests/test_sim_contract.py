"""Every COIN-M catalog task against the simulator, over real HTTP on 127.0.0.1: each one
gets HTTP 200, and the body fits the task's response model (``task.parsed``) where it has
one and carries the keys of Binance's documented example response otherwise.

The parameters are those of ``test_catalog_requests.valid_params`` (the required ones),
with values the simulated venue accepts (a real symbol, an order that exists...); tasks
that act on state get it set up first by the requests a user would send.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sim_helpers import documented_example, limit_price
from test_catalog_requests import valid_params

from aioca_binance import BinanceRestApi, BinanceTask
from aioca_binance.coinm import (
    CATALOG,
    CoinMChangeMarginType,
    CoinMGetDownloadIdForFuturesOrderHistory,
    CoinMModifyIsolatedPositionMargin,
    CoinMModifyOrder,
    CoinMNewAlgoOrder,
    CoinMNewOrder,
    CoinMStartUserDataStream,
)
from aioca_binance.coinm.models import RESPONSE_MODELS
from aioca_binance_sim import BinanceSimulator

SYMBOL = "BTCUSD_PERP"
EMPTY_LISTS = {"CoinMUsersForceOrders"}
"""Lists the paper account never fills: it is never liquidated."""
CLIENT_ID = "contract-order-1"
START, END = 1_795_000_000_000, 1_795_003_600_000


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator(seed=3) as simulator:
        yield simulator


@pytest.fixture
async def api(sim: BinanceSimulator) -> AsyncIterator[BinanceRestApi]:
    async with sim.api() as client:
        yield client


async def _run(task: BinanceTask, api: BinanceRestApi) -> Any:
    task.api = api
    return await task.run()


async def _resting_order(sim: BinanceSimulator, api: BinanceRestApi) -> None:
    price = limit_price(sim, SYMBOL, 0.97)
    order = CoinMNewOrder(
        symbol=SYMBOL, side="BUY", type="LIMIT", quantity=1, price=price,
        timeInForce="GTC", newClientOrderId=CLIENT_ID,
    )  # fmt: skip
    assert (await _run(order, api))["status"] == "NEW"


async def _position(api: BinanceRestApi, isolated: bool = False) -> None:
    if isolated:
        await _run(CoinMChangeMarginType(symbol=SYMBOL, marginType="ISOLATED"), api)
    market = CoinMNewOrder(symbol=SYMBOL, side="BUY", type="MARKET", quantity=2)
    assert (await _run(market, api))["status"] == "FILLED"


async def _setup_and_params(
    name: str, sim: BinanceSimulator, api: BinanceRestApi
) -> dict[str, Any]:
    """The state ``name`` needs, created through the API, and its parameters."""
    order_ref = {"symbol": SYMBOL, "origClientOrderId": CLIENT_ID}
    if name in ("CoinMQueryOrder", "CoinMQueryCurrentOpenOrder", "CoinMCancelOrder"):
        await _resting_order(sim, api)
        return order_ref
    if name == "CoinMGetOrderModifyHistory":
        await _resting_order(sim, api)
        price = limit_price(sim, SYMBOL, 0.96)
        await _run(CoinMModifyOrder(**order_ref, side="BUY", quantity=1, price=price), api)
        return order_ref
    if name in ("CoinMAllOrders", "CoinMCurrentAllOpenOrders"):
        await _resting_order(sim, api)
        return {"symbol": SYMBOL}
    if name == "CoinMGetIncomeHistory":
        await _position(api)
        return {}
    if name == "CoinMGetPositionMarginChangeHistory":
        await _position(api, isolated=True)
        add = CoinMModifyIsolatedPositionMargin(symbol=SYMBOL, amount="0.0001", type=1)
        await _run(add, api)
        return {"symbol": SYMBOL}
    if name == "CoinMModifyOrder":
        await _resting_order(sim, api)
        return {**order_ref, "side": "BUY", "quantity": 2, "price": limit_price(sim, SYMBOL, 0.96)}
    if name == "CoinMCancelMultipleOrders":
        await _resting_order(sim, api)
        return {"symbol": SYMBOL, "origClientOrderIdList": [CLIENT_ID]}
    if name == "CoinMModifyMultipleOrders":
        await _resting_order(sim, api)
        item = {
            **order_ref,
            "side": "BUY",
            "quantity": "2",
            "price": str(limit_price(sim, SYMBOL, 0.96)),
        }
        return {"batchOrders": [item]}
    if name == "CoinMPlaceMultipleOrders":
        item = {
            "symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "quantity": "1",
            "price": str(limit_price(sim, SYMBOL, 0.97)), "timeInForce": "GTC",
        }  # fmt: skip
        return {
            "batchOrders": [
                item,
                {**item, "side": "SELL", "price": str(limit_price(sim, SYMBOL, 1.03))},
            ]
        }
    if name == "CoinMNewOrder":
        return {"symbol": SYMBOL, "side": "BUY", "type": "MARKET", "quantity": 1}
    if name == "CoinMModifyIsolatedPositionMargin":
        await _position(api, isolated=True)
        return {"symbol": SYMBOL, "amount": "0.0001", "type": 1}
    if name == "CoinMChangeMarginType":
        return {"symbol": SYMBOL, "marginType": "ISOLATED"}
    if name == "CoinMChangePositionMode":
        return {"dualSidePosition": "true"}
    if name in ("CoinMKeepaliveUserDataStream", "CoinMCloseUserDataStream"):
        await _run(CoinMStartUserDataStream(), api)
        return {}
    if name in ("CoinMCancelAlgoOrder", "CoinMCurrentAllAlgoOpenOrders"):
        algo = CoinMNewAlgoOrder(
            algoType="CONDITIONAL", symbol=SYMBOL, side="SELL", type="STOP_MARKET",
            quantity=1, triggerPrice=limit_price(sim, SYMBOL, 0.9), clientAlgoId="algo-1",
        )  # fmt: skip
        await _run(algo, api)
        return {"clientAlgoId": "algo-1"} if name == "CoinMCancelAlgoOrder" else {}
    if name == "CoinMNewAlgoOrder":
        return {
            "algoType": "CONDITIONAL", "symbol": SYMBOL, "side": "SELL", "type": "STOP_MARKET",
            "quantity": 1, "triggerPrice": limit_price(sim, SYMBOL, 0.9),
        }  # fmt: skip
    if name.endswith("DownloadLinkById"):
        kind = {
            "CoinMGetFuturesOrderHistoryDownloadLinkById": CoinMGetDownloadIdForFuturesOrderHistory,
        }.get(name, CoinMGetDownloadIdForFuturesOrderHistory)
        answer = await _run(kind(startTime=START, endTime=END), api)
        return {"downloadId": answer["downloadId"]}
    if name == "CoinMAccountTradeList":
        await _position(api)
        return {"symbol": SYMBOL}
    if name == "CoinMPositionAdlQuantileEstimation":
        await _position(api)
        return {}
    # The catalog test's required parameters, with values the venue knows.
    params = valid_params(CATALOG[name].Params, full=False)
    for key in ("startTime", "endTime"):
        if key in params:
            params[key] = START if key == "startTime" else END
    if params.get("pair") == "BTCUSD" and "contractType" in params:
        params["contractType"] = "PERPETUAL"
    if name == "CoinMQueryIndexPriceConstituents":
        params["symbol"] = "BTCUSD"
    return params


def _keys(value: Any) -> set[str]:
    return set(value) if isinstance(value, dict) else set()


@pytest.mark.parametrize("name", list(CATALOG))
async def test_every_endpoint_answers_in_binance_shape(
    name: str, sim: BinanceSimulator, api: BinanceRestApi
) -> None:
    task_cls = CATALOG[name]
    params = await _setup_and_params(name, sim, api)
    task = task_cls(**params)
    result = await _run(task, api)
    assert task.exception is None, task.exception
    endpoint = task_cls.endpoint
    key = (endpoint.method, endpoint.path)
    if key in RESPONSE_MODELS:
        assert task.parsed is not None  # validated against the pydantic model
    example = documented_example(endpoint.method, endpoint.path)
    assert type(result) is type(example), (result, example)
    if name in EMPTY_LISTS:
        assert result == []
        return
    if isinstance(example, list):
        assert result, f"{name}: an empty list proves nothing"
        first_result, first_example = result[0], example[0]
    else:
        first_result, first_example = result, example
    if isinstance(first_example, list):  # klines: 12-slot arrays
        assert len(first_result) == len(first_example)
        return
    missing = _keys(first_example) - _keys(first_result)
    # The documented order examples are TRAILING_STOP_MARKET orders: only those carry
    # activatePrice and priceRate (see aioca_binance.coinm.models.Order).
    missing -= {"activatePrice", "priceRate"}
    # Documented keys the simulator leaves out on purpose: the USD-M reference's TP/SL
    # and actual-order fields of algo orders (COIN-M documents no example).
    if endpoint.path.endswith("AlgoOrders"):
        missing -= {
            "actualOrderId",
            "actualPrice",
            "tpTriggerPrice",
            "tpPrice",
            "slTriggerPrice",
            "slPrice",
            "tpOrderType",
        }
    assert not missing, f"{name}: keys missing from the answer: {sorted(missing)}"
