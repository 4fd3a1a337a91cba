"""``aioca.fill_name``: task names without the parameters that were not given."""

from __future__ import annotations

from typing import Any

import pytest

from aioca import fill_name

ORDER = "New {side} {type} order on {symbol}: quantity {quantity} at {price}"
QUERY = "Query order on {symbol} (id {orderId}, client id {origClientOrderId})"
KLINES = "Klines of {symbol} {interval} <{startTime} to {endTime}> (limit {limit})"


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        (ORDER, {"side": "BUY", "type": "MARKET", "symbol": "X", "quantity": 1},
         "New BUY MARKET order on X: quantity 1"),
        (ORDER, {"side": "BUY", "type": "LIMIT", "symbol": "X", "quantity": 1, "price": 5},
         "New BUY LIMIT order on X: quantity 1 at 5"),
        (QUERY, {"symbol": "X", "orderId": 5}, "Query order on X (id 5)"),
        (QUERY, {"symbol": "X", "origClientOrderId": "c"}, "Query order on X (client id c)"),
        (QUERY, {"symbol": "X", "orderId": None}, "Query order on X"),
        (KLINES, {"symbol": "X", "interval": "1m", "endTime": 9}, "Klines of X 1m <until 9>"),
        (KLINES, {"symbol": "X", "interval": "1m", "startTime": 3},
         "Klines of X 1m <from 3>"),
        (KLINES, {"symbol": "X", "interval": "1m", "startTime": 3, "endTime": 9, "limit": 2},
         "Klines of X 1m <3 to 9> (limit 2)"),
        (KLINES, {"symbol": "X", "interval": "1m"}, "Klines of X 1m"),
        ("Open orders of {symbol} (pair {pair})", {"pair": "P"}, "Open orders (pair P)"),
        ("Cancel orders on {symbol}: ids {ids}, client ids {cids}", {"symbol": "X", "cids": "c"},
         "Cancel orders on X: client ids c"),
        ("OKX positions ({instType} {instId})", {"instId": "B"}, "OKX positions (B)"),
        ("OKX {instType} {instId} mark price", {"instType": "SWAP"}, "OKX SWAP mark price"),
        ("币本位合约:{symbol} 下单 {side} 数量{quantity} 价格{price}",
         {"symbol": "X", "side": "BUY", "quantity": 1}, "币本位合约:X 下单 BUY 数量1"),
        ("K线<{startTime} to {endTime}>(limit {limit})", {"startTime": 3}, "K线<3 起>"),
        ("获取OKX {instId} 深度({sz}档)", {"instId": "B"}, "获取OKX B 深度"),
    ],
)  # fmt: skip
def test_the_words_of_a_missing_parameter_are_left_out(
    template: str, values: dict[str, Any], expected: str
) -> None:
    assert fill_name(template, values) == expected
    assert "None" not in fill_name(template, values)


def test_a_template_with_every_value_is_formatted_as_is() -> None:
    values = {"symbol": "X", "orderId": 1, "origClientOrderId": "c"}
    assert fill_name(QUERY, values) == QUERY.format_map(values)
