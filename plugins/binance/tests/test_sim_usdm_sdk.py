"""Every USDⓈ-M endpoint through Binance's official SDK
(``binance-sdk-derivatives-trading-usds-futures``): each of its REST methods, called
unchanged against ``sim.urls["usdm"]`` on an account that has something in every list,
gets an answer its own response model accepts, with no warning.

The SDK is synchronous and signs with the machine's clock: the simulator runs in a thread,
on the machine's clock (``sdk_sim.sdk_simulator``).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sdk_sim import is_model, sdk_answer, sdk_simulator
from sim_usdm_helpers import Desk, spec_endpoints
from test_sim_usdm_shapes import SWITCHES, flatten, params_for, populate

from aioca_binance_sim import BinanceSimulator


@pytest.fixture
def sim() -> Iterator[BinanceSimulator]:
    with sdk_simulator() as simulator:
        yield simulator


def _sdk_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


ENDPOINTS = {(e["method"], e["path"]): e for e in spec_endpoints()}


@pytest.mark.parametrize("key", list(ENDPOINTS), ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_every_sdk_method_gets_an_answer_its_model_accepts(
    key: tuple[str, str], sim: BinanceSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    from binance_common.configuration import ConfigurationRestAPI
    from binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures import (
        DerivativesTradingUsdsFutures,
    )
    from binance_sdk_derivatives_trading_usds_futures.rest_api import models as sdk_models

    spec = ENDPOINTS[key]
    method, path = key
    desk = Desk.of(sim.venues["usdm"], sim.clock)  # type: ignore[arg-type]
    ids = populate(desk, funding=False)
    params = params_for(method, path, desk, ids)
    if key in SWITCHES:
        flatten(desk)
        params = SWITCHES[key]
    names = {p["name"]: p["sdk_name"] for p in spec["params"]}
    config = ConfigurationRestAPI(
        api_key=sim.api_key, api_secret=sim.api_secret, base_path=sim.urls["usdm"]
    )
    rest = DerivativesTradingUsdsFutures(config_rest_api=config).rest_api
    call = getattr(rest, spec["name"])
    data = sdk_answer(caplog, lambda: call(**{names[k]: _sdk_value(v) for k, v in params.items()}))
    model = getattr(sdk_models, spec["response_model"] or "", None)
    if model is not None and set(model.model_fields) - {"additional_properties"}:
        assert is_model(data), type(data)  # the SDK's model holds the answer
    else:
        assert isinstance(data, list | dict)  # klines, ping...: the SDK declares no fields
    if key == ("POST", "/fapi/v1/order"):
        assert data.status == "FILLED"  # the model read the simulated fill
    if key[1] == "/fapi/v1/batchOrders":
        # The SDK reads a refused item (code, msg) into the same model with every field
        # None. The items of params_for() are one that goes through and one refused on
        # purpose (an unknown order, a reduce-only order with nothing to reduce).
        orders = [item for item in data if item.code is None]
        assert [item.order_id is not None and bool(item.status) for item in orders] == [True]
        assert all(item.code is not None and item.msg for item in data if item not in orders)
