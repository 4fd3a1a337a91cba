"""COIN-M through Binance's official SDK (``binance-sdk-derivatives-trading-coin-futures``):
its REST methods, called unchanged against ``sim.urls["coinm"]``, get answers its own
response models accept, with no warning: the market data, a LIMIT order placed, queried
and cancelled, a MARKET order filled, and the account, balance and positions.

The SDK is synchronous and signs with the machine's clock: the simulator runs in a thread,
on the machine's clock (``sdk_sim.sdk_simulator``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel
from sdk_sim import is_model, sdk_answer, sdk_simulator
from sim_helpers import limit_price

from aioca_binance_sim import BinanceSimulator

SYMBOL = "BTCUSD_PERP"

# Where the SDK's model lacks a field Binance documents, the simulator keeps Binance's
# answer and the field lands in the model's ``additional_properties``. The COIN-M SDK
# 14.1.0 declares neither ``avgPrice`` nor ``cumBase`` on the answers of placing,
# modifying and cancelling an order (NewOrderResponse, ModifyOrderResponse,
# CancelOrderResponse), though its query models do, and the documented examples of POST,
# PUT and DELETE /dapi/v1/order carry both (spec/binance-coinm-responses.json).
SDK_MISSING = {
    name: {"avgPrice", "cumBase"} for name in ("new_order", "modify_order", "cancel_order")
}


@pytest.fixture
def sim() -> Iterator[BinanceSimulator]:
    with sdk_simulator() as simulator:
        yield simulator


@pytest.fixture
def rest(sim: BinanceSimulator) -> Any:
    from binance_common.configuration import ConfigurationRestAPI
    from binance_sdk_derivatives_trading_coin_futures.derivatives_trading_coin_futures import (
        DerivativesTradingCoinFutures,
    )

    config = ConfigurationRestAPI(
        api_key=sim.api_key, api_secret=sim.api_secret, base_path=sim.urls["coinm"]
    )
    return DerivativesTradingCoinFutures(config_rest_api=config).rest_api


def _answer(caplog: pytest.LogCaptureFixture, call: Callable[[], Any], method: str = "") -> Any:
    """The SDK's answer of ``call`` (its REST method ``method``), read into its model
    with warnings as errors, and with no field the SDK does not declare."""
    caplog.clear()  # the previous calls' records were checked then
    data = sdk_answer(caplog, call)
    assert _extra_fields(data) == SDK_MISSING.get(method, set())
    return data


def _extra_fields(data: Any) -> set[str]:
    """Fields of the answer that the SDK's models do not declare (they keep them in
    ``additional_properties``): the simulator should send none Binance does not."""
    if isinstance(data, list):
        return set().union(*(_extra_fields(item) for item in data))
    if not isinstance(data, BaseModel):
        return set()
    extra = set(getattr(data, "additional_properties", None) or {})
    for name in type(data).model_fields:
        if name != "additional_properties":
            extra |= _extra_fields(getattr(data, name))
    return extra


def test_market_data_reads_into_the_sdk_models(rest: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert isinstance(_answer(caplog, rest.test_connectivity), dict)  # ping: {}
    now = _answer(caplog, rest.check_server_time)
    assert is_model(now)
    assert abs(now.server_time - time.time() * 1000) < 60_000

    info = _answer(caplog, rest.exchange_information)
    assert is_model(info)
    symbols = {s.symbol: s for s in info.symbols}
    assert symbols[SYMBOL].contract_type == "PERPETUAL"
    assert symbols[SYMBOL].contract_size == 100

    book = _answer(caplog, lambda: rest.order_book(symbol=SYMBOL, limit=5))
    assert is_model(book)
    assert book.bids
    assert book.asks
    assert float(book.bids[0][0]) < float(book.asks[0][0])

    # Klines are arrays of mixed values: the SDK declares no fields, it hands back lists.
    bars = _answer(caplog, lambda: rest.kline_candlestick_data(symbol=SYMBOL, interval="1m"))
    assert bars
    assert all(isinstance(bar, list) and len(bar) == 12 for bar in bars)

    price = _answer(caplog, lambda: rest.symbol_price_ticker(symbol=SYMBOL))
    assert is_model(price)
    assert [p.symbol for p in price] == [SYMBOL]
    assert float(price[0].price) > 0

    day = _answer(caplog, lambda: rest.ticker24hr_price_change_statistics(symbol=SYMBOL))
    assert is_model(day)
    assert [d.symbol for d in day] == [SYMBOL]
    assert float(day[0].low_price) <= float(day[0].last_price) <= float(day[0].high_price)

    premium = _answer(caplog, lambda: rest.index_price_and_mark_price(symbol=SYMBOL))
    assert is_model(premium)
    assert [p.symbol for p in premium] == [SYMBOL]
    assert float(premium[0].mark_price) > 0
    assert float(premium[0].index_price) > 0


def test_a_limit_order_is_placed_queried_and_cancelled(
    rest: Any, sim: BinanceSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    price = limit_price(sim, SYMBOL, 0.97)  # rests below the book
    placed = _answer(
        caplog,
        lambda: rest.new_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=1,
            price=float(price),
            new_client_order_id="sdk-limit-1",
        ),
        "new_order",
    )
    assert is_model(placed)
    assert placed.status == "NEW"
    assert placed.client_order_id == "sdk-limit-1"
    seen = _answer(caplog, lambda: rest.query_order(symbol=SYMBOL, order_id=placed.order_id))
    assert is_model(seen)
    assert seen.status == "NEW"
    assert float(seen.price) == float(price)
    gone = _answer(
        caplog, lambda: rest.cancel_order(symbol=SYMBOL, order_id=placed.order_id), "cancel_order"
    )
    assert is_model(gone)
    assert gone.status == "CANCELED"
    assert gone.order_id == placed.order_id
    after = _answer(caplog, lambda: rest.query_order(symbol=SYMBOL, order_id=placed.order_id))
    assert after.status == "CANCELED"


def test_a_market_order_fills_and_the_account_reads_into_the_sdk_models(
    rest: Any, caplog: pytest.LogCaptureFixture
) -> None:
    filled = _answer(
        caplog,
        lambda: rest.new_order(
            symbol=SYMBOL, side="BUY", type="MARKET", quantity=1, new_order_resp_type="RESULT"
        ),
        "new_order",
    )
    assert is_model(filled)
    assert filled.status == "FILLED"
    assert float(filled.executed_qty) == 1

    account = _answer(caplog, rest.account_information)
    assert is_model(account)
    assert account.assets
    assert account.positions
    held = [p for p in account.positions if p.symbol == SYMBOL and float(p.position_amt) != 0]
    assert [float(p.position_amt) for p in held] == [1]

    balances = _answer(caplog, rest.futures_account_balance)
    assert is_model(balances)
    assert "BTC" in {b.asset for b in balances}

    positions = _answer(caplog, lambda: rest.position_information(pair="BTCUSD"))
    assert is_model(positions)
    open_ = [p for p in positions if p.symbol == SYMBOL and float(p.position_amt) != 0]
    assert [float(p.position_amt) for p in open_] == [1]
    assert float(open_[0].entry_price) > 0
