"""Every COIN-M endpoint through Binance's official SDK
(``binance-sdk-derivatives-trading-coin-futures``): each REST method the spec lists, called
unchanged against ``sim.urls["coinm"]`` on an account with something in its lists (a
resting order, a filled one, an isolated position, a listen key), gets an answer its own
response model accepts, with no warning and no field the SDK does not declare (but the
two Binance documents and the SDK lacks, see ``SDK_MISSING``).

``test_sim_coinm_sdk.py`` checks the values of the main calls; this one covers them all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sdk_sim import is_model, sdk_simulator
from sim_helpers import limit_price
from test_sim_coinm_sdk import SDK_MISSING, _answer

from aioca_binance_sim import BinanceSimulator

SPEC = Path(__file__).resolve().parents[1] / "spec" / "binance-coinm-rest.json"
ENDPOINTS = {(e["method"], e["path"]): e for e in json.loads(SPEC.read_text(encoding="utf-8"))}
BTC, ETH = "BTCUSD_PERP", "ETHUSD_PERP"
HOUR = 3_600_000


@pytest.fixture
def sim() -> Iterator[BinanceSimulator]:
    with sdk_simulator() as simulator:
        yield simulator


def _rest(sim: BinanceSimulator) -> Any:
    from binance_common.configuration import ConfigurationRestAPI
    from binance_sdk_derivatives_trading_coin_futures.derivatives_trading_coin_futures import (
        DerivativesTradingCoinFutures,
    )

    config = ConfigurationRestAPI(
        api_key=sim.api_key, api_secret=sim.api_secret, base_path=sim.urls["coinm"]
    )
    return DerivativesTradingCoinFutures(config_rest_api=config).rest_api


def _populate(rest: Any, sim: BinanceSimulator) -> dict[str, Any]:
    """A resting BTC order, a filled BTC order, an isolated ETH position: the ids."""
    resting = rest.new_order(
        symbol=BTC, side="BUY", type="LIMIT", time_in_force="GTC", quantity=1,
        price=float(limit_price(sim, BTC, 0.97)), new_client_order_id="sdk-resting",
    ).data()  # fmt: skip
    filled = rest.new_order(symbol=BTC, side="BUY", type="MARKET", quantity=1).data()
    rest.change_margin_type(symbol=ETH, margin_type="ISOLATED").data()
    rest.new_order(symbol=ETH, side="BUY", type="MARKET", quantity=2).data()
    return {"resting": resting.order_id, "filled": filled.order_id}


def _params(key: tuple[str, str], rest: Any, sim: BinanceSimulator, ids: dict[str, Any]) -> Any:
    """The keyword arguments of the SDK method of ``METHOD path`` (SDK names), computed
    when a call needs something made first (a download id, a listen key)."""
    from binance_sdk_derivatives_trading_coin_futures.rest_api.models import (
        ModifyMultipleOrdersBatchOrdersParameterInner as Modify,
    )
    from binance_sdk_derivatives_trading_coin_futures.rest_api.models import (
        PlaceMultipleOrdersBatchOrdersParameterInner as Place,
    )

    now = int(time.time() * 1000)
    btc = {"symbol": BTC}
    order = {"symbol": BTC, "order_id": ids.get("resting")}
    bars = {"symbol": BTC, "interval": "1h", "limit": 3}
    stats = {"pair": "BTCUSD", "period": "1h", "limit": 3}
    span = {"start_time": now - 24 * HOUR, "end_time": now}
    price = float(limit_price(sim, BTC, 0.96))
    method, path = key
    if path.endswith("/asyn/id"):
        asked = getattr(rest, ENDPOINTS[(method, path.removesuffix("/id"))]["name"])(**span)
        return {"download_id": asked.data().download_id}
    if path.endswith("/asyn"):
        return span
    if path == "/dapi/v1/listenKey" and method in ("PUT", "DELETE"):
        rest.start_user_data_stream().data()
        return {}
    if key == ("POST", "/dapi/v1/batchOrders"):
        return {
            "batch_orders": [
                Place(
                    symbol=BTC,
                    side="BUY",
                    type="LIMIT",
                    time_in_force="GTC",
                    quantity=1,
                    price=price,
                ),
                Place(symbol=BTC, side="SELL", type="MARKET", quantity=1),
            ]
        }
    if key == ("PUT", "/dapi/v1/batchOrders"):
        # The SDK's item model requires a timestamp (14.1.0), which goes into the item.
        item = Modify(
            order_id=ids["resting"], symbol=BTC, side="BUY", quantity=1, price=price,
            timestamp=now,
        )  # fmt: skip
        return {"batch_orders": [item]}
    table: dict[tuple[str, str], dict[str, Any]] = {
        ("GET", "/dapi/v1/adlQuantile"): {"symbol": ETH},
        ("GET", "/dapi/v1/aggTrades"): {**btc, "limit": 5},
        ("DELETE", "/dapi/v1/allOpenOrders"): btc,
        ("GET", "/dapi/v1/allOrders"): btc,
        ("DELETE", "/dapi/v1/batchOrders"): {**btc, "order_id_list": [order["order_id"]]},
        ("GET", "/dapi/v1/commissionRate"): btc,
        ("GET", "/dapi/v1/constituents"): btc,
        ("GET", "/dapi/v1/continuousKlines"): {
            "pair": "BTCUSD",
            "contract_type": "PERPETUAL",
            "interval": "1h",
            "limit": 3,
        },
        ("POST", "/dapi/v1/countdownCancelAll"): {**btc, "countdown_time": 60_000},
        ("GET", "/dapi/v1/depth"): {**btc, "limit": 5},
        ("GET", "/dapi/v1/forceOrders"): btc,
        ("GET", "/dapi/v1/fundingRate"): {**btc, "limit": 3},
        ("GET", "/dapi/v1/historicalTrades"): {**btc, "limit": 5},
        ("GET", "/dapi/v1/income"): {"limit": 10},
        ("GET", "/dapi/v1/indexPriceKlines"): {"pair": "BTCUSD", "interval": "1h", "limit": 3},
        ("GET", "/dapi/v1/klines"): bars,
        ("POST", "/dapi/v1/leverage"): {**btc, "leverage": 5},
        ("GET", "/dapi/v1/leverageBracket"): {"pair": "BTCUSD"},
        ("POST", "/dapi/v1/marginType"): {"symbol": "SOLUSD_PERP", "margin_type": "ISOLATED"},
        ("GET", "/dapi/v1/markPriceKlines"): bars,
        ("GET", "/dapi/v1/openInterest"): btc,
        ("GET", "/dapi/v1/openOrder"): order,
        ("GET", "/dapi/v1/openOrders"): btc,
        ("DELETE", "/dapi/v1/order"): order,
        ("GET", "/dapi/v1/order"): order,
        ("POST", "/dapi/v1/order"): {**btc, "side": "SELL", "type": "MARKET", "quantity": 1},
        ("PUT", "/dapi/v1/order"): {**order, "side": "BUY", "quantity": 1, "price": price},
        ("GET", "/dapi/v1/orderAmendment"): order,
        ("POST", "/dapi/v1/positionMargin"): {"symbol": ETH, "amount": 0.001, "type": 1},
        ("GET", "/dapi/v1/positionMargin/history"): {"symbol": ETH},
        ("GET", "/dapi/v1/positionRisk"): {"pair": "BTCUSD"},
        ("POST", "/dapi/v1/positionSide/dual"): {"dual_side_position": "true"},
        ("GET", "/dapi/v1/premiumIndex"): btc,
        ("GET", "/dapi/v1/premiumIndexKlines"): bars,
        ("GET", "/dapi/v1/ticker/24hr"): btc,
        ("GET", "/dapi/v1/ticker/bookTicker"): btc,
        ("GET", "/dapi/v1/ticker/price"): btc,
        ("GET", "/dapi/v1/trades"): {**btc, "limit": 5},
        ("GET", "/dapi/v1/userTrades"): btc,
        ("GET", "/dapi/v2/leverageBracket"): btc,
        ("GET", "/futures/data/basis"): {**stats, "contract_type": "PERPETUAL"},
        ("GET", "/futures/data/globalLongShortAccountRatio"): stats,
        ("GET", "/futures/data/openInterestHist"): {**stats, "contract_type": "PERPETUAL"},
        ("GET", "/futures/data/takerBuySellVol"): {**stats, "contract_type": "PERPETUAL"},
        ("GET", "/futures/data/topLongShortAccountRatio"): stats,
        ("GET", "/futures/data/topLongShortPositionRatio"): stats,
    }
    return table.get(key, {})


@pytest.mark.parametrize("key", list(ENDPOINTS), ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_every_sdk_method_gets_an_answer_its_model_accepts(
    key: tuple[str, str], sim: BinanceSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    from binance_sdk_derivatives_trading_coin_futures.rest_api import models as sdk_models

    spec = ENDPOINTS[key]
    rest = _rest(sim)
    # A position mode changes only on an account without positions or open orders.
    ids = {} if key == ("POST", "/dapi/v1/positionSide/dual") else _populate(rest, sim)
    kwargs = _params(key, rest, sim, ids)
    call: Callable[[], Any] = lambda: getattr(rest, spec["name"])(**kwargs)  # noqa: E731
    data = _answer(caplog, call, spec["name"])
    model = getattr(sdk_models, spec["response_model"] or "", None)
    if model is not None and set(model.model_fields) - {"additional_properties"}:
        assert is_model(data), type(data)  # the SDK's model holds the answer
    else:
        assert isinstance(data, list | dict)  # klines, ping...: the SDK declares no fields
    if spec["name"] in BATCHES:  # every item went through: an order, not an error
        assert [item.status for item in data] == BATCHES[spec["name"]]


# What each item of the batches above became: the SDK reads a refused item (code, msg)
# into the same model with every field None, so the model alone proves nothing.
BATCHES = {
    "place_multiple_orders": ["NEW", "FILLED"],
    "modify_multiple_orders": ["NEW"],
    "cancel_multiple_orders": ["CANCELED"],
}


def test_the_table_names_only_endpoints_of_the_spec() -> None:
    assert set(SDK_MISSING) <= {e["name"] for e in ENDPOINTS.values()}


def test_the_sdk_and_the_spec_name_the_same_endpoints() -> None:
    """Every REST method of the SDK is an endpoint of the spec and the other way round
    (64 both ways), but the SDK's two generic senders, which name no endpoint."""
    import inspect

    from binance_sdk_derivatives_trading_coin_futures.rest_api.rest_api import (
        DerivativesTradingCoinFuturesRestAPI,
    )

    methods = {
        name
        for name, _ in inspect.getmembers(DerivativesTradingCoinFuturesRestAPI, inspect.isfunction)
        if not name.startswith("_")
    }
    names = {e["name"] for e in ENDPOINTS.values()}
    assert methods - names == {"send_request", "send_signed_request"}
    assert names <= methods
    assert len(names) == 64
