"""Multi-Assets mode on USDⓈ-M: switched with Binance's documented refusals (-4171
unchanged, -4170 open orders, -4167 an isolated symbol, -4168 isolated margin asked in
the mode, -4169/-4172 balances), and when on, USDT and USDC margin each other's
contracts (cross margin counted across both)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sim_usdm_helpers import Desk

from aioca_binance_sim.errors import SimError

D = Decimal
MODE = "/fapi/v1/multiAssetsMargin"


def _switch(desk: Desk, on: bool) -> Any:
    return desk("POST", MODE, multiAssetsMargin="true" if on else "false")


def _refused(desk: Desk, code: int, method: str, path: str, **params: Any) -> None:
    with pytest.raises(SimError) as caught:
        desk(method, path, **params)
    assert caught.value.code == code, caught.value.msg


def _usdc_order(desk: Desk) -> Any:
    """60,000 USDC of BTCUSDC at leverage 1: more than the 50,000 USDC the account holds."""
    desk("POST", "/fapi/v1/leverage", symbol="BTCUSDC", leverage=1)
    qty = (D(60_000) / desk.last("BTCUSDC")).quantize(D("0.001"))
    return desk("POST", "/fapi/v1/order", symbol="BTCUSDC", side="BUY", type="MARKET",
                quantity=qty, newOrderRespType="RESULT")  # fmt: skip


def test_the_mode_switches_on_and_off_and_is_read_back() -> None:
    desk = Desk()
    assert desk("GET", MODE) == {"multiAssetsMargin": False}
    assert _switch(desk, True) == {"code": 200, "msg": "success"}
    assert desk("GET", MODE) == {"multiAssetsMargin": True}
    assert desk("GET", "/fapi/v2/account")["multiAssetsMargin"] is True
    _switch(desk, False)
    assert desk("GET", MODE) == {"multiAssetsMargin": False}


def test_switching_to_the_mode_in_force_is_refused() -> None:
    desk = Desk()
    _refused(desk, -4171, "POST", MODE, multiAssetsMargin="false")
    _switch(desk, True)
    _refused(desk, -4171, "POST", MODE, multiAssetsMargin="true")


def test_open_orders_forbid_the_switch() -> None:
    desk = Desk()
    price = desk.price("BTCUSDT", "0.97")
    desk("POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="LIMIT",
         timeInForce="GTC", quantity=D("0.010"), price=price)  # fmt: skip
    _refused(desk, -4170, "POST", MODE, multiAssetsMargin="true")
    desk("DELETE", "/fapi/v1/allOpenOrders", symbol="BTCUSDT")
    _switch(desk, True)


def test_isolated_margin_and_the_mode_exclude_each_other() -> None:
    desk = Desk()
    desk("POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="ISOLATED")
    _refused(desk, -4167, "POST", MODE, multiAssetsMargin="true")
    desk("POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="CROSSED")
    _switch(desk, True)
    _refused(desk, -4168, "POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="ISOLATED")


def test_in_the_mode_usdt_margins_a_usdc_position() -> None:
    single = Desk()
    with pytest.raises(SimError) as caught:
        _usdc_order(single)
    assert caught.value.code == -2019  # 60,000 USDC of margin, 50,000 USDC held
    pooled = Desk()
    _switch(pooled, True)
    order = _usdc_order(pooled)
    assert order["status"] == "FILLED"
    # Turning the mode off now would leave USDC unable to carry its own position.
    _refused(pooled, -4169, "POST", MODE, multiAssetsMargin="false")


def test_a_negative_margin_asset_forbids_the_mode() -> None:
    desk = Desk()
    desk.engine.account.balances["USDC"] = D("-5")
    _refused(desk, -4172, "POST", MODE, multiAssetsMargin="true")
