"""Generate the Binance COIN-M task catalog (``aioca_binance/coinm/*.py``) from the spec.

Reads ``binance-coinm-rest.json`` (the 64 endpoints of Binance's official Python SDK) and
``binance-coinm-rest-extra.json`` (5 endpoints Binance documents but the SDK lacks) and
writes readable Python source, one task class per endpoint, into ``aioca_binance/coinm/``:

* ``market.py``: market data (``/dapi/v*``, public and ``MARKET_DATA``);
* ``statistics.py``: the ``/futures/data/*`` statistics;
* ``account.py``: account and trade (signed), portfolio margin and algo orders;
* ``stream.py``: the user data stream's ``listenKey``;
* ``enums.py``: a ``Literal`` alias per distinct enum value set;
* ``__init__.py``: ``CATALOG`` (task name to class) and the classes, imported lazily.

The output is committed and needs no formatter: this script writes it the way
``ruff format`` would. What the spec does not say lives in the tables below (task names
and texts, enum alias names, ``limit`` bounds from Binance's docs), where a reviewer can
read it. Standard library only.

    python plugins/binance/tools/generate_coinm.py            # write the files
    python plugins/binance/tools/generate_coinm.py --check    # exit 1 if they are stale
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import tempfile
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
DEFAULT_SPEC_DIR = REPO / "plugins" / "binance" / "spec"
DEFAULT_OUTPUT_DIR = REPO / "plugins" / "binance" / "aioca_binance" / "coinm"
SPEC_FILE = "binance-coinm-rest.json"
EXTRA_FILE = "binance-coinm-rest-extra.json"
REGENERATE = "plugins/binance/tools/generate_coinm.py"
LINE_LENGTH = 100  # pyproject.toml [tool.ruff] line-length
INDENT = "    "

# --- what the spec does not say ------------------------------------------------------------

SEED_NAMES: Mapping[str, str] = {
    "GET /dapi/v1/ping": "CoinMPing",
    "GET /dapi/v1/time": "CoinMServerTime",
    "GET /dapi/v1/ticker/price": "CoinMFetchTicker",
    "GET /dapi/v1/klines": "CoinMFetchKline",
}
"""The seed README's four task names; every other task is ``CoinM`` + the spec's ``name``."""

TEXTS: Mapping[str, tuple[str, str]] = {
    # market data; the first four are the seed README's, character for character in zh
    "GET /dapi/v1/ping": (
        "Ping Binance COIN-M server",
        "ping币安币本位服务器",
    ),
    "GET /dapi/v1/time": (
        "Fetch Binance COIN-M server time",
        "获取币安币本位服务器时间",
    ),
    "GET /dapi/v1/ticker/price": (
        "Fetch COIN-M contract {symbol} latest price",
        "获取币本位合约:{symbol} 实时价格",
    ),
    "GET /dapi/v1/klines": (
        "Fetch COIN-M contract {symbol} {interval} klines <{startTime} to {endTime}> "
        "(limit {limit})",
        "获取币本位合约:{symbol} {interval}周期 K线<{startTime} to {endTime}>(limit {limit})",
    ),
    "GET /dapi/v1/aggTrades": (
        "Aggregate trades of {symbol} from id {fromId} <{startTime} to {endTime}> (limit {limit})",
        "获取币本位合约:{symbol} 归集成交(从id {fromId} 起)<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /dapi/v1/constituents": (
        "Index price constituents of {symbol}",
        "获取币本位合约:{symbol} 指数价格成分",
    ),
    "GET /dapi/v1/continuousKlines": (
        "Continuous {contractType} klines of {pair} {interval} <{startTime} to {endTime}> "
        "(limit {limit})",
        "获取币本位交易对:{pair} {contractType} {interval}周期 连续合约K线"
        "<{startTime} to {endTime}>(limit {limit})",
    ),
    "GET /dapi/v1/depth": (
        "Order book of {symbol} (limit {limit})",
        "获取币本位合约:{symbol} 订单簿(limit {limit})",
    ),
    "GET /dapi/v1/exchangeInfo": (
        "Fetch COIN-M exchange information",
        "获取币本位交易规则和交易对信息",
    ),
    "GET /dapi/v1/fundingInfo": (
        "Fetch COIN-M funding rate info",
        "获取币本位资金费率信息",
    ),
    "GET /dapi/v1/fundingRate": (
        "Funding rate history of {symbol} <{startTime} to {endTime}> (limit {limit})",
        "获取币本位合约:{symbol} 历史资金费率<{startTime} to {endTime}>(limit {limit})",
    ),
    "GET /dapi/v1/historicalTrades": (
        "Old trades of {symbol} from id {fromId} (limit {limit})",
        "获取币本位合约:{symbol} 历史成交(从id {fromId} 起)(limit {limit})",
    ),
    "GET /dapi/v1/indexPriceKlines": (
        "Index price klines of {pair} {interval} <{startTime} to {endTime}> (limit {limit})",
        "获取币本位交易对:{pair} {interval}周期 指数价格K线<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /dapi/v1/markPriceKlines": (
        "Mark price klines of {symbol} {interval} <{startTime} to {endTime}> (limit {limit})",
        "获取币本位合约:{symbol} {interval}周期 标记价格K线<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /dapi/v1/openInterest": (
        "Open interest of {symbol}",
        "获取币本位合约:{symbol} 持仓量",
    ),
    "GET /dapi/v1/premiumIndex": (
        "Index and mark price of {symbol} (pair {pair})",
        "获取币本位合约:{symbol} 指数价格和标记价格(交易对 {pair})",
    ),
    "GET /dapi/v1/premiumIndexKlines": (
        "Premium index klines of {symbol} {interval} <{startTime} to {endTime}> (limit {limit})",
        "获取币本位合约:{symbol} {interval}周期 溢价指数K线<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /dapi/v1/ticker/24hr": (
        "24hr ticker of {symbol} (pair {pair})",
        "获取币本位合约:{symbol} 24小时价格变动(交易对 {pair})",
    ),
    "GET /dapi/v1/ticker/bookTicker": (
        "Best bid and ask of {symbol} (pair {pair})",
        "获取币本位合约:{symbol} 最优挂单(交易对 {pair})",
    ),
    "GET /dapi/v1/trades": (
        "Recent trades of {symbol} (limit {limit})",
        "获取币本位合约:{symbol} 近期成交(limit {limit})",
    ),
    # statistics
    "GET /futures/data/basis": (
        "Basis of {pair} {contractType} per {period} <{startTime} to {endTime}> (limit {limit})",
        "获取币本位交易对:{pair} {contractType} {period}周期 基差<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /futures/data/delivery-price": (
        "Quarterly contract settlement prices of {pair}",
        "获取币本位交易对:{pair} 季度合约历史结算价",
    ),
    "GET /futures/data/globalLongShortAccountRatio": (
        "Long/short account ratio of {pair} {contractType} per {period} "
        "<{startTime} to {endTime}> (limit {limit})",
        "获取币本位交易对:{pair} {contractType} {period}周期 多空持仓人数比"
        "<{startTime} to {endTime}>(limit {limit})",
    ),
    "GET /futures/data/openInterestHist": (
        "Open interest statistics of {pair} {contractType} per {period} "
        "<{startTime} to {endTime}> (limit {limit})",
        "获取币本位交易对:{pair} {contractType} {period}周期 持仓量统计<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /futures/data/takerBuySellVol": (
        "Taker buy/sell volume of {pair} {contractType} per {period} <{startTime} to {endTime}> "
        "(limit {limit})",
        "获取币本位交易对:{pair} {contractType} {period}周期 主动买卖量<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /futures/data/topLongShortAccountRatio": (
        "Top trader long/short account ratio of {pair} {contractType} per {period} "
        "<{startTime} to {endTime}> (limit {limit})",
        "获取币本位交易对:{pair} {contractType} {period}周期 大户账户数多空比"
        "<{startTime} to {endTime}>(limit {limit})",
    ),
    "GET /futures/data/topLongShortPositionRatio": (
        "Top trader long/short position ratio of {pair} {contractType} per {period} "
        "<{startTime} to {endTime}> (limit {limit})",
        "获取币本位交易对:{pair} {contractType} {period}周期 大户持仓量多空比"
        "<{startTime} to {endTime}>(limit {limit})",
    ),
    # account and trade
    "GET /dapi/v1/account": (
        "Fetch COIN-M account information",
        "获取币本位账户信息",
    ),
    "GET /dapi/v1/adlQuantile": (
        "ADL quantile estimation of {symbol}",
        "获取币本位合约:{symbol} 持仓ADL队列估算",
    ),
    "DELETE /dapi/v1/allOpenOrders": (
        "Cancel all open orders on {symbol}",
        "撤销币本位合约:{symbol} 全部挂单",
    ),
    "GET /dapi/v1/allOrders": (
        "All orders of {symbol} (pair {pair}) from id {orderId} <{startTime} to {endTime}> "
        "(limit {limit})",
        "获取币本位合约:{symbol} 所有订单(交易对 {pair}, 从订单号 {orderId} 起)"
        "<{startTime} to {endTime}>(limit {limit})",
    ),
    "GET /dapi/v1/balance": (
        "Fetch COIN-M account balance",
        "获取币本位账户余额",
    ),
    "DELETE /dapi/v1/batchOrders": (
        "Cancel orders on {symbol}: ids {orderIdList}, client ids {origClientOrderIdList}",
        "批量撤销币本位合约:{symbol} 订单"
        "(订单号 {orderIdList}, 客户端订单号 {origClientOrderIdList})",
    ),
    "POST /dapi/v1/batchOrders": (
        "Place a batch of COIN-M orders",
        "币本位合约批量下单",
    ),
    "PUT /dapi/v1/batchOrders": (
        "Modify a batch of COIN-M orders",
        "币本位合约批量修改订单",
    ),
    "GET /dapi/v1/commissionRate": (
        "Commission rate on {symbol}",
        "获取币本位合约:{symbol} 手续费率",
    ),
    "POST /dapi/v1/countdownCancelAll": (
        "Cancel all open orders on {symbol} in {countdownTime} ms",
        "币本位合约:{symbol} {countdownTime}毫秒后自动撤销全部挂单",
    ),
    "GET /dapi/v1/forceOrders": (
        "Force orders of {symbol} ({autoCloseType}) <{startTime} to {endTime}> (limit {limit})",
        "获取币本位合约:{symbol} 强平订单({autoCloseType})<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /dapi/v1/income": (
        "Income history of {symbol} ({incomeType}) <{startTime} to {endTime}> (limit {limit})",
        "获取币本位合约:{symbol} 资金流水({incomeType})<{startTime} to {endTime}>(limit {limit})",
    ),
    "GET /dapi/v1/income/asyn": (
        "Download id for the transaction history <{startTime} to {endTime}>",
        "获取币本位资金流水下载ID<{startTime} to {endTime}>",
    ),
    "GET /dapi/v1/income/asyn/id": (
        "Download link of transaction history {downloadId}",
        "获取币本位资金流水下载链接:{downloadId}",
    ),
    "POST /dapi/v1/leverage": (
        "Change {symbol} initial leverage to {leverage}",
        "调整币本位合约:{symbol} 开仓杠杆为{leverage}",
    ),
    "GET /dapi/v1/leverageBracket": (
        "Notional brackets of pair {pair}",
        "获取币本位交易对:{pair} 杠杆分层标准",
    ),
    "POST /dapi/v1/marginType": (
        "Change {symbol} margin type to {marginType}",
        "变换币本位合约:{symbol} 保证金模式为{marginType}",
    ),
    "GET /dapi/v1/openOrder": (
        "Query open order on {symbol} (id {orderId}, client id {origClientOrderId})",
        "查询币本位合约:{symbol} 当前挂单(订单号 {orderId}, 客户端订单号 {origClientOrderId})",
    ),
    "GET /dapi/v1/openOrders": (
        "Open orders of {symbol} (pair {pair})",
        "获取币本位合约:{symbol} 当前全部挂单(交易对 {pair})",
    ),
    "DELETE /dapi/v1/order": (
        "Cancel order on {symbol} (id {orderId}, client id {origClientOrderId})",
        "撤销币本位合约:{symbol} 订单(订单号 {orderId}, 客户端订单号 {origClientOrderId})",
    ),
    "GET /dapi/v1/order": (
        "Query order on {symbol} (id {orderId}, client id {origClientOrderId})",
        "查询币本位合约:{symbol} 订单(订单号 {orderId}, 客户端订单号 {origClientOrderId})",
    ),
    "POST /dapi/v1/order": (
        "New {side} {type} order on {symbol}: quantity {quantity} at {price}",
        "币本位合约:{symbol} 下单 {side} {type} 数量{quantity} 价格{price}",
    ),
    "PUT /dapi/v1/order": (
        "Modify {side} order on {symbol} "
        "(id {orderId}, client id {origClientOrderId}): quantity {quantity} at {price}",
        "修改币本位合约:{symbol} {side}订单"
        "(订单号 {orderId}, 客户端订单号 {origClientOrderId}) 数量{quantity} 价格{price}",
    ),
    "GET /dapi/v1/order/asyn": (
        "Download id for the order history <{startTime} to {endTime}>",
        "获取币本位订单历史下载ID<{startTime} to {endTime}>",
    ),
    "GET /dapi/v1/order/asyn/id": (
        "Download link of order history {downloadId}",
        "获取币本位订单历史下载链接:{downloadId}",
    ),
    "GET /dapi/v1/orderAmendment": (
        "Order modify history on {symbol} (id {orderId}, client id {origClientOrderId}) "
        "<{startTime} to {endTime}> (limit {limit})",
        "获取币本位合约:{symbol} 订单修改历史(订单号 {orderId}, 客户端订单号 {origClientOrderId})"
        "<{startTime} to {endTime}>(limit {limit})",
    ),
    "POST /dapi/v1/positionMargin": (
        "Modify {symbol} {positionSide} isolated margin by {amount} (type {type})",
        "调整币本位合约:{symbol} {positionSide} 逐仓保证金 {amount}(类型 {type})",
    ),
    "GET /dapi/v1/positionMargin/history": (
        "Isolated margin changes of {symbol} (type {type}) <{startTime} to {endTime}> "
        "(limit {limit})",
        "获取币本位合约:{symbol} 逐仓保证金变动历史(类型 {type})<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /dapi/v1/positionRisk": (
        "Position information (margin asset {marginAsset}, pair {pair})",
        "获取币本位持仓信息(保证金资产 {marginAsset}, 交易对 {pair})",
    ),
    "GET /dapi/v1/positionSide/dual": (
        "Fetch COIN-M position mode",
        "获取币本位持仓模式",
    ),
    "POST /dapi/v1/positionSide/dual": (
        "Change position mode (hedge mode {dualSidePosition})",
        "更改币本位持仓模式(双向持仓 {dualSidePosition})",
    ),
    "GET /dapi/v1/trade/asyn": (
        "Download id for the trade history <{startTime} to {endTime}>",
        "获取币本位成交历史下载ID<{startTime} to {endTime}>",
    ),
    "GET /dapi/v1/trade/asyn/id": (
        "Download link of trade history {downloadId}",
        "获取币本位成交历史下载链接:{downloadId}",
    ),
    "GET /dapi/v1/userTrades": (
        "Account trades of {symbol} (pair {pair}) <{startTime} to {endTime}> (limit {limit})",
        "获取币本位合约:{symbol} 账户成交历史(交易对 {pair})<{startTime} to {endTime}>"
        "(limit {limit})",
    ),
    "GET /dapi/v2/leverageBracket": (
        "Notional brackets of {symbol}",
        "获取币本位合约:{symbol} 杠杆分层标准",
    ),
    # extras: portfolio margin and algo orders
    "GET /dapi/v1/pmAccountInfo": (
        "Classic portfolio margin account information of {asset}",
        "获取经典统一账户:{asset} 账户信息",
    ),
    "POST /dapi/v1/algoOrder": (
        "New {side} {type} algo order on {symbol}: quantity {quantity}, trigger {triggerPrice}",
        "币本位合约:{symbol} 下条件单 {side} {type} 数量{quantity} 触发价{triggerPrice}",
    ),
    "GET /dapi/v1/openAlgoOrders": (
        "Open algo orders of {symbol}",
        "获取币本位合约:{symbol} 当前全部条件单",
    ),
    "DELETE /dapi/v1/algoOrder": (
        "Cancel algo order (id {algoId}, client id {clientAlgoId})",
        "撤销币本位条件单(条件单号 {algoId}, 客户端条件单号 {clientAlgoId})",
    ),
    # user data stream
    "POST /dapi/v1/listenKey": (
        "Start a COIN-M user data stream",
        "创建币本位用户数据流",
    ),
    "PUT /dapi/v1/listenKey": (
        "Keep the COIN-M user data stream alive",
        "延长币本位用户数据流",
    ),
    "DELETE /dapi/v1/listenKey": (
        "Close the COIN-M user data stream",
        "关闭币本位用户数据流",
    ),
}
"""Each task's name in English and Chinese (``Texts``), keyed ``"METHOD path"``."""

SUMMARY_FIXES: Mapping[str, str] = {
    # The SDK repeats Account Information's sentence here.
    "GET /dapi/v1/positionRisk": "Get current position information.",
    # The spec's first sentence is only the bold warning.
    "GET /dapi/v1/leverageBracket": (
        "Get the pair's default notional bracket list (not recommended any more: use "
        "``GET /dapi/v2/leverageBracket``)."
    ),
}
"""Docstring summaries that replace the spec description's first sentence."""

ENUM_ALIASES: Sequence[tuple[str, str, str]] = (
    # (alias, its values as the spec lists them, its docstring)
    ("KlineInterval", "1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M", "Kline interval."),
    ("Period", "5m 15m 30m 1h 2h 4h 6h 12h 1d", "Period of the ``/futures/data/*`` statistics."),
    ("ContractType", "PERPETUAL CURRENT_QUARTER NEXT_QUARTER", "Contract type."),
    (
        "ContractTypeOrAll",
        "ALL PERPETUAL CURRENT_QUARTER NEXT_QUARTER",
        "Contract type, or ``ALL`` (taker buy/sell volume).",
    ),
    ("OrderSide", "BUY SELL", "Order side."),
    (
        "OrderType",
        "LIMIT MARKET STOP STOP_MARKET TAKE_PROFIT TAKE_PROFIT_MARKET TRAILING_STOP_MARKET",
        "Order type of a new order (stop types move to algo orders after the CM migration).",
    ),
    (
        "AlgoOrderType",
        "STOP_MARKET TAKE_PROFIT_MARKET STOP TAKE_PROFIT TRAILING_STOP_MARKET",
        "Order type of a new algo (conditional) order.",
    ),
    ("AlgoType", "CONDITIONAL", "Algo order type (only ``CONDITIONAL``)."),
    ("PositionSide", "BOTH LONG SHORT", "Position side: ``BOTH`` in one-way mode."),
    ("BooleanString", "true false", "A boolean as Binance spells it on the wire."),
    ("TimeInForce", "GTC IOC FOK GTX", "Time in force (``GTX``: post only)."),
    ("WorkingType", "MARK_PRICE CONTRACT_PRICE", "The price that triggers a stop order."),
    ("ResponseType", "ACK RESULT", "What a new order answers with (``newOrderRespType``)."),
    (
        "PriceMatch",
        "OPPONENT OPPONENT_5 OPPONENT_10 OPPONENT_20 QUEUE QUEUE_5 QUEUE_10 QUEUE_20",
        "Price match mode: the order's price taken from the order book.",
    ),
    (
        "SelfTradePreventionMode",
        "NONE EXPIRE_TAKER EXPIRE_BOTH EXPIRE_MAKER",
        "Self-trade prevention mode of a new order.",
    ),
    (
        "AlgoSelfTradePreventionMode",
        "EXPIRE_TAKER EXPIRE_MAKER EXPIRE_BOTH",
        "Self-trade prevention mode of a new algo order (no ``NONE``).",
    ),
    ("MarginType", "ISOLATED CROSSED", "Margin type."),
    ("AutoCloseType", "LIQUIDATION ADL", "Kind of force order: liquidation or auto-deleveraging."),
    (
        "IncomeType",
        "TRANSFER WELCOME_BONUS FUNDING_FEE REALIZED_PNL COMMISSION INSURANCE_CLEAR "
        "DELIVERED_SETTELMENT",
        "Income type (``DELIVERED_SETTELMENT`` is Binance's spelling).",
    ),
)
"""A readable name (and a docstring) for each distinct enum value set."""

LIMIT_DOCS: Mapping[str, tuple[int, int | None]] = {
    # path: (default, max) of ``limit``, from the parameter tables of Binance's COIN-M docs
    # pages (https://developers.binance.com/docs/derivatives/coin-margined-futures/...),
    # "Default 500; max 1500." etc. The spec's SDK descriptions leave them out.
    "/dapi/v1/aggTrades": (500, 1000),
    "/dapi/v1/allOrders": (50, 100),
    "/dapi/v1/continuousKlines": (500, 1500),
    "/dapi/v1/depth": (500, 1000),
    "/dapi/v1/forceOrders": (50, 100),
    "/dapi/v1/fundingRate": (100, 1000),
    "/dapi/v1/historicalTrades": (100, 500),
    "/dapi/v1/income": (100, 1000),
    "/dapi/v1/indexPriceKlines": (500, 1500),
    "/dapi/v1/klines": (500, 1500),
    "/dapi/v1/markPriceKlines": (500, 1500),
    "/dapi/v1/orderAmendment": (50, 100),
    "/dapi/v1/positionMargin/history": (50, None),  # the docs give no maximum
    "/dapi/v1/premiumIndexKlines": (500, 1500),
    "/dapi/v1/trades": (500, 1000),
    "/dapi/v1/userTrades": (50, 1000),
    "/futures/data/basis": (30, 500),
    "/futures/data/globalLongShortAccountRatio": (30, 500),
    "/futures/data/openInterestHist": (30, 500),
    "/futures/data/takerBuySellVol": (30, 500),
    "/futures/data/topLongShortAccountRatio": (30, 500),
    "/futures/data/topLongShortPositionRatio": (30, 500),
}

ONE_OF: Mapping[str, tuple[tuple[str, ...], ...]] = {
    # "Either X or Y must be sent", from each endpoint's notes in the spec.
    "GET /dapi/v1/allOrders": (("symbol", "pair"),),
    "DELETE /dapi/v1/batchOrders": (("orderIdList", "origClientOrderIdList"),),
    "GET /dapi/v1/openOrder": (("orderId", "origClientOrderId"),),
    "DELETE /dapi/v1/order": (("orderId", "origClientOrderId"),),
    "GET /dapi/v1/order": (("orderId", "origClientOrderId"),),
    "PUT /dapi/v1/order": (("orderId", "origClientOrderId"),),
    "GET /dapi/v1/orderAmendment": (("orderId", "origClientOrderId"),),
    "GET /dapi/v1/userTrades": (("symbol", "pair"),),
}
"""Groups of parameters of which at least one must be sent."""

EXCLUSIVE: Mapping[str, tuple[tuple[str, str], ...]] = {
    # "X and Y cannot be sent together", from each endpoint's notes in the spec.
    "GET /dapi/v1/ticker/24hr": (("symbol", "pair"),),
    "GET /dapi/v1/ticker/bookTicker": (("symbol", "pair"),),
    "GET /dapi/v1/ticker/price": (("symbol", "pair"),),
    "GET /dapi/v1/userTrades": (("symbol", "pair"), ("pair", "fromId")),
}
"""Pairs of parameters that cannot be sent together (a ``pair`` its ``symbol`` belongs to is
dropped instead: see ``BinanceParams``)."""

RECV_WINDOW_MAX = 60_000
"""Binance refuses a ``recvWindow`` above 60 000 ms."""

ITEM = "[item]"
"""Suffix of a table key naming the items of an endpoint's batch (``batchOrders``)."""

ONE_OF_ITEMS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    # "Parameter rules are same with Modify Order" (the PUT batch's notes).
    "PUT /dapi/v1/batchOrders" + ITEM: (("orderId", "origClientOrderId"), ("quantity", "price")),
}
"""``one_of`` of batch items, as ONE_OF is for whole requests."""

_ORDER_TYPE_RULES = (
    # Binance's "Additional mandatory parameters based on type" table of New Order
    # (https://developers.binance.com/docs/derivatives/coin-margined-futures/trade/rest-api/New-Order),
    # which the spec's notes announce but lost. ``a|b``: either one; a LIMIT order priced
    # by ``priceMatch`` takes no ``price``.
    ("type", ("LIMIT",), ("timeInForce", "quantity", "price|priceMatch")),
    ("type", ("MARKET",), ("quantity",)),
    ("type", ("STOP", "TAKE_PROFIT"), ("quantity", "price|priceMatch", "stopPrice")),
    ("type", ("STOP_MARKET", "TAKE_PROFIT_MARKET"), ("stopPrice",)),
    ("type", ("TRAILING_STOP_MARKET",), ("callbackRate",)),
)
_ALGO_TYPE_RULES = (
    # The same table on the USD-M New Algo Order page, with ``triggerPrice`` for
    # ``stopPrice`` (the COIN-M algo endpoint follows it, see the spec's notes).
    ("type", ("STOP", "TAKE_PROFIT"), ("quantity", "price|priceMatch", "triggerPrice")),
    ("type", ("STOP_MARKET", "TAKE_PROFIT_MARKET"), ("triggerPrice",)),
    ("type", ("TRAILING_STOP_MARKET",), ("callbackRate",)),
)
REQUIRED_WHEN: Mapping[str, tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = {
    "POST /dapi/v1/order": _ORDER_TYPE_RULES,
    "POST /dapi/v1/batchOrders" + ITEM: _ORDER_TYPE_RULES,
    "POST /dapi/v1/algoOrder": _ALGO_TYPE_RULES,
}
"""Parameters that a value of another makes mandatory: ``(parameter, values, required)``."""

ORDER_CHANGING: frozenset[str] = frozenset(
    {
        "POST /dapi/v1/order",
        "PUT /dapi/v1/order",
        "DELETE /dapi/v1/order",
        "POST /dapi/v1/batchOrders",
        "PUT /dapi/v1/batchOrders",
        "DELETE /dapi/v1/batchOrders",
        "DELETE /dapi/v1/allOpenOrders",
        "POST /dapi/v1/countdownCancelAll",
        "POST /dapi/v1/algoOrder",
        "DELETE /dapi/v1/algoOrder",
    }
)
"""Endpoints that create, amend or cancel orders: never retried (``changes_orders``)."""

BATCHES: frozenset[str] = frozenset(
    {"POST /dapi/v1/batchOrders", "PUT /dapi/v1/batchOrders", "DELETE /dapi/v1/batchOrders"}
)
"""Endpoints answering one item per order, each accepted or refused on its own (``batch``)."""

CLIENT_ORDER_IDS = frozenset({"newClientOrderId", "origClientOrderId", "clientAlgoId"})
"""Parameters holding a client order id (``^[.A-Z:/a-z0-9_-]{1,36}$``), also in lists."""

INTEGER_BOUNDS: Mapping[str, tuple[int, int]] = {
    # parameter: (min, max), from Binance's COIN-M docs pages
    "leverage": (1, 125),  # Change Initial Leverage: "target initial leverage: int from 1 to 125"
    "type": (1, 2),  # Modify Isolated Position Margin: "1: Add position margin, 2: Reduce"
}
"""Documented ranges of integer parameters; others are counts from 0 to 2**63 - 1."""

ITEM_MODELS: Mapping[str, str] = {
    "POST /dapi/v1/batchOrders": "CoinMNewOrderItem",
    "PUT /dapi/v1/batchOrders": "CoinMModifyOrderItem",
}
"""The name of each batch's item model (the order a batch item stands for)."""

IGNORED_ITEM_FIELDS = frozenset({"recvWindow", "timestamp"})
"""Fields the SDK's batch-item models list that belong to the request, not to an item."""

MODULES: Mapping[str, str] = {
    "market": "COIN-M market data tasks: the public ``/dapi/v*`` endpoints and old trades.",
    "statistics": "COIN-M futures statistics tasks: the ``/futures/data/*`` endpoints.",
    "account": "COIN-M account and trade tasks (signed), with portfolio margin and algo orders.",
    "stream": "COIN-M user data stream tasks: start, keep alive and close the ``listenKey``.",
}
"""The generated task modules and their docstrings."""

METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}

# --- the spec, read ------------------------------------------------------------------------


class SpecError(Exception):
    """The spec and the tables above disagree; the message says where."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    required: bool
    enum: tuple[str, ...] = ()
    items: str | None = None
    description: str = ""
    item_fields: tuple[Param, ...] = ()


@dataclass(frozen=True)
class Task:
    key: str
    class_name: str
    module: str
    source: str
    method: str
    path: str
    security: str
    entry: Mapping[str, Any] = field(repr=False)
    params: tuple[Param, ...] = ()

    @property
    def sort_key(self) -> tuple[str, int]:
        return (self.path, METHOD_ORDER[self.method])


def load_spec(spec_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """The endpoints of both spec files, each with the name of the file it comes from."""
    entries: list[tuple[str, dict[str, Any]]] = []
    for filename in (SPEC_FILE, EXTRA_FILE):
        path = spec_dir / filename
        if not path.is_file():
            raise SpecError(f"{path} not found (use --spec-dir)")
        data = json.loads(path.read_text(encoding="utf-8"))
        entries += [(filename, entry) for entry in data]
    return entries


def pascal_case(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def module_for(entry: Mapping[str, Any]) -> str:
    path: str = entry["path"]
    if path.startswith("/futures/data/"):
        return "statistics"
    if path.endswith("/listenKey"):
        return "stream"
    if entry["group"] == "market_data":
        return "market"
    return "account"


def read_param(raw: Mapping[str, Any]) -> Param:
    return Param(
        name=raw["name"],
        kind=raw["type"],
        required=bool(raw["required"]),
        enum=tuple(raw.get("enum") or ()),
        items=raw.get("items"),
        description=raw.get("description") or "",
        item_fields=tuple(
            read_param(field)
            for field in raw.get("item_fields") or ()
            if field["name"] not in IGNORED_ITEM_FIELDS
        ),
    )


def build_tasks(entries: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Task]:
    tasks: list[Task] = []
    for source, entry in entries:
        key = f"{entry['method']} {entry['path']}"
        if key not in TEXTS:
            raise SpecError(f"no texts for {key}: add it to TEXTS")
        params = tuple(read_param(raw) for raw in entry["params"])
        tasks.append(
            Task(
                key=key,
                class_name=SEED_NAMES.get(key) or "CoinM" + pascal_case(entry["name"]),
                module=module_for(entry),
                source=source,
                method=entry["method"],
                path=entry["path"],
                security=entry["security"],
                entry=entry,
                params=params,
            )
        )
    keys = [task.key for task in tasks]
    if len(set(keys)) != len(keys):
        raise SpecError("an endpoint appears twice in the spec")
    names = [task.class_name for task in tasks]
    if len(set(names)) != len(names):
        raise SpecError(f"duplicate class names: {sorted(n for n in names if names.count(n) > 1)}")
    for stale in sorted(set(TEXTS) - set(keys)):
        raise SpecError(f"TEXTS has {stale}, which the spec does not")
    for task in tasks:
        check_texts(task)
    return sorted(tasks, key=lambda task: task.sort_key)


def check_texts(task: Task) -> None:
    names = {param.name for param in task.params}
    for text in TEXTS[task.key]:
        for placeholder in re.findall(r"{([^{}]*)}", text):
            if placeholder not in names:
                raise SpecError(f"{task.key}: text placeholder {{{placeholder}}} is no parameter")
        if '"' in text or "\\" in text:
            raise SpecError(f"{task.key}: keep quotes and backslashes out of texts")


# --- layout: what ruff format would write --------------------------------------------------


def width(text: str) -> int:
    """Columns a line takes, as ruff counts them (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def quote(text: str) -> str:
    return '"' + text + '"'


def bracketed(
    head: str, items: Sequence[str], close: str, indent: str, tail: str = ""
) -> list[str]:
    """``head`` + items + ``close`` on one line if it fits, else the items on one line of
    their own, else one item a line with a trailing comma (ruff's three choices)."""
    joined = ", ".join(items)
    multiline = any("\n" in item for item in items)
    if not multiline and width(indent + head + joined + close + tail) <= LINE_LENGTH:
        return [indent + head + joined + close + tail]
    inner = indent + INDENT
    if not multiline and width(inner + joined) <= LINE_LENGTH:
        return [indent + head, inner + joined, indent + close + tail]
    lines = [indent + head]
    for item in items:
        lines += [inner + line for line in item.split("\n")]
        lines[-1] += ","
    return [*lines, indent + close + tail]


def split_text(text: str, room: int) -> list[str]:
    """``text`` in pieces no wider than ``room``, cut before a ``<time range>``, a
    ``(limit ...)`` or an id in parentheses when possible, else at spaces."""
    chunks = re.split(r"(?=<\{)|(?=\(limit )|(?=\(id )|(?=\(订单号)", text)
    words: list[str] = []
    for chunk in chunks:
        words += [chunk] if width(chunk) <= room else re.split(r"(?<= )", chunk)
    parts: list[str] = []
    current = ""
    for word in filter(None, words):
        if current and width(current + word) > room:
            parts.append(current)
            current = ""
        current += word
    return [*parts, current]


def string_argument(name: str, text: str, indent: str) -> str:
    """``name="text"``, or the text split over parenthesized lines when it is too long."""
    single = f"{name}={quote(text)}"
    if width(indent + single + ",") <= LINE_LENGTH:
        return single
    parts = split_text(text, LINE_LENGTH - width(indent + INDENT) - 2)
    body = "\n".join(INDENT + quote(part) for part in parts)
    return f"{name}=(\n{body}\n)"


def docstring(lines: Sequence[str], indent: str) -> list[str]:
    if any("\\" in line or '"""' in line for line in lines):
        raise SpecError(f"a docstring would need escapes: {lines[0]!r}")
    out = [f'{indent}"""{lines[0]}']
    out += [indent + line if line else "" for line in lines[1:]]
    if len(lines) > 1:
        out.append(f'{indent}"""')
    else:
        out[0] += '"""'
    return out


def wrap(text: str, indent: str, first_prefix: str = "") -> list[str]:
    room = LINE_LENGTH - len(indent)
    wrapped = textwrap.wrap(
        text,
        width=room,
        initial_indent=first_prefix,
        break_long_words=False,
        break_on_hyphens=False,
    )
    if first_prefix:
        wrapped[0] = wrapped[0][len(first_prefix) :]
    return wrapped


# --- one task class --------------------------------------------------------------------------


def summary(task: Task) -> str:
    if task.key in SUMMARY_FIXES:
        return SUMMARY_FIXES[task.key]
    paragraph = " ".join(str(task.entry["description"]).split("\n\n")[0].split())
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z*`])|(?<=[a-z]\.)(?=[A-Z])", paragraph)[0]
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def doc_url(task: Task) -> str:
    entry = task.entry
    specific = entry.get("weight_docs_source")
    if (
        isinstance(specific, str)
        and not specific.endswith("/rest-api")
        and entry.get("weight_source") != "usdm-docs-analogue"
    ):
        return specific
    return str(entry["doc_url"])


def class_docstring(task: Task) -> list[str]:
    entry = task.entry
    lines = wrap(summary(task), INDENT, first_prefix='"""')
    lines += ["", f"API endpoint: {task.method} {task.path}", f"API doc: {doc_url(task)}"]
    analogue = entry.get("weight_docs_source")
    if entry.get("weight_source") == "usdm-docs-analogue" and analogue != entry["doc_url"]:
        lines.append(f"Parameters and weight from the USD-M page: {analogue}")
    if entry.get("weight_docs_mismatch"):
        lines += wrap(f"Weight: {entry['weight_docs_mismatch']}; the SDK's is used.", INDENT)
    if entry.get("weight_after_cm_migration"):
        lines.append(f"Weight after the CM migration: {entry['weight_after_cm_migration']}.")
    return docstring(lines, INDENT)


def weight_expression(task: Task) -> tuple[str, int, str | None]:
    """The ``weight=`` value, the ``orders`` count and a comment for an assumed weight."""
    entry = task.entry
    rule = entry.get("weight_rule")
    if rule is None:
        if isinstance(entry.get("weight"), int):
            return str(entry["weight"]), 0, None
        if entry.get("weight_text") or entry.get("weight_docs"):
            raise SpecError(f"{task.key}: a weight in words only; state it in the generator")
        return "1", 0, "weight not stated by Binance: assumed 1"
    kind = rule["by"]
    if kind == "counter":
        return str(rule["ip_weight_1m"]), int(rule["order_count_1m"]), None
    if kind == "symbol":
        return (
            f"BySymbol(with_symbol={rule['with_symbol']}, without_symbol={rule['without_symbol']})",
            0,
            None,
        )
    if kind == "symbol_or_pair":
        return (
            f"BySymbolOrPair(with_symbol={rule['with_symbol']}, with_pair={rule['with_pair']})",
            0,
            None,
        )
    if kind == "limit":
        steps: list[tuple[int, int]] = []
        above: int | None = None
        for row in rule["table"]:
            if "values" in row:
                steps.append((max(row["values"]), row["weight"]))
            elif "max" in row:
                steps.append((row["max"], row["weight"]))
            else:
                above = row["weight"]
        steps.sort()
        default, _ = limit_bounds(task)
        if default is None:
            raise SpecError(f"{task.key}: weight by limit, but no default limit is known")
        step_text = ", ".join(f"({upper}, {weight})" for upper, weight in steps)
        step_text += "," if len(steps) == 1 else ""
        above_text = f", above={above}" if above is not None else ""
        return f"ByLimit(({step_text}){above_text}, default_limit={default})", 0, None
    raise SpecError(f"{task.key}: unknown weight rule {kind!r}")


def limit_bounds(task: Task) -> tuple[int | None, int | None]:
    """``limit``'s default and maximum: from the spec's description when it states them,
    else from LIMIT_DOCS (and the two must agree)."""
    limit = next((param for param in task.params if param.name == "limit"), None)
    if limit is None:
        return None, None
    notes = [note for note in task.entry.get("notes") or () if "limit" in note.lower()]
    said = " ".join([limit.description, *notes])
    default_match = re.search(r"[Dd]efault:?\s*(\d+)", said)
    max_match = re.search(r"\b[Mm]ax(?:imum)?:?\s*(\d+)", said)
    valid_match = re.search(r"[Vv]alid limits:\s*\[([\d,\s]+)\]", said)
    spec_default = int(default_match.group(1)) if default_match else None
    spec_max = int(max_match.group(1)) if max_match else None
    if valid_match:
        spec_max = max(int(value) for value in valid_match.group(1).split(","))
    docs_default, docs_max = LIMIT_DOCS.get(task.path, (None, None))
    for what, from_spec, from_docs in (
        ("default", spec_default, docs_default),
        ("max", spec_max, docs_max),
    ):
        if from_spec is not None and from_docs is not None and from_spec != from_docs:
            raise SpecError(
                f"{task.key}: limit {what} {from_spec} in the spec, {from_docs} in docs"
            )
    return (
        spec_default if spec_default is not None else docs_default,
        spec_max if spec_max is not None else docs_max,
    )


@dataclass
class Imports:
    typing: set[str] = field(default_factory=set)
    decimal: bool = False
    pydantic_field: bool = False
    endpoint: set[str] = field(default_factory=lambda: {"Endpoint", "Security"})
    task: set[str] = field(default_factory=lambda: {"BinanceTask", "Texts"})
    enums: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)


def annotation(
    task: Task,
    param: Param,
    aliases: Mapping[frozenset[str], str],
    imports: Imports,
    item_model: str | None = None,
) -> str:
    """The type of a parameter: bounded and checked (see ``aioca.params``), so that a value
    Binance would refuse, or silently misread, is refused before anything is sent."""
    if param.kind == "STRING":
        if param.name in CLIENT_ORDER_IDS:
            imports.task.add("ClientOrderId")
            base = "ClientOrderId"
        else:
            imports.params.add("Text")
            base = "Text"
    elif param.kind == "DECIMAL":
        imports.params.add("PositiveDecimal")
        base = "PositiveDecimal"
    elif param.kind == "LONG":
        bounds: list[str] = []
        if param.name == "limit":
            bounds = ["ge=1"]
            _, maximum = limit_bounds(task)
            if maximum is not None:
                bounds.append(f"le={maximum}")
        elif param.name == "recvWindow":
            bounds = ["ge=1", f"le={RECV_WINDOW_MAX}"]
        elif param.name in INTEGER_BOUNDS:
            low, high = INTEGER_BOUNDS[param.name]
            bounds = [f"ge={low}", f"le={high}"]
        imports.params.add("Count")
        base = "Count"
        if bounds:
            imports.typing.add("Annotated")
            imports.pydantic_field = True
            base = f"Annotated[Count, Field({', '.join(bounds)})]"
    elif param.kind == "ENUM":
        alias = aliases[frozenset(param.enum)]
        imports.enums.add(alias)
        base = alias
    elif param.kind == "ARRAY":
        if param.items == "LONG":
            imports.params.add("Count")
            item = "Count"
        elif param.items == "STRING":
            item = (
                "ClientOrderId" if param.name.removesuffix("List") in CLIENT_ORDER_IDS else "Text"
            )
            (imports.task if item == "ClientOrderId" else imports.params).add(item)
        elif param.items == "OBJECT" and item_model is not None:
            item = item_model
        else:
            raise SpecError(f"{task.key}: {param.name} has items {param.items!r}")
        base = f"list[{item}]"
        match = re.search(r"\b[Mm]ax (\d+)", param.description)
        if match:
            imports.typing.add("Annotated")
            imports.pydantic_field = True
            base = f"Annotated[{base}, Field(min_length=1, max_length={match.group(1)})]"
    else:
        raise SpecError(f"{task.key}: {param.name} has type {param.kind!r}")
    return base if param.required else f"{base} | None = None"


def rule_lines(key: str, names: set[str]) -> list[str]:
    """The ``one_of``/``exclusive``/``required_when`` attributes of a parameter model."""
    lines: list[str] = []
    one_of = ONE_OF_ITEMS if key.endswith(ITEM) else ONE_OF
    for attribute, table in (("one_of", one_of), ("exclusive", EXCLUSIVE)):
        groups = table.get(key, ())
        for group in groups:
            if not set(group) <= names:
                raise SpecError(f"{key}: {attribute} names {group}, not all parameters")
        if groups:
            value = ", ".join("(" + ", ".join(map(quote, g)) + ")" for g in groups)
            value += "," if len(groups) == 1 else ""  # ruff format's tuple spelling
            lines.append(f"{INDENT * 2}{attribute} = ({value})")
    rules = REQUIRED_WHEN.get(key, ())
    for name, _, required in rules:
        wanted = {name, *(part for alternative in required for part in alternative.split("|"))}
        if not wanted <= names:
            raise SpecError(f"{key}: required_when names {sorted(wanted - names)}, not parameters")
    if rules:
        items = [
            "("
            + quote(name)
            + ", ("
            + ", ".join(map(quote, values))
            + ("," if len(values) == 1 else "")
            + "), ("
            + ", ".join(map(quote, required))
            + ("," if len(required) == 1 else "")
            + "))"
            for name, values, required in rules
        ]
        lines += bracketed("required_when = (", items, ")", INDENT * 2)
    return lines


def item_class(
    task: Task, param: Param, aliases: Mapping[frozenset[str], str], imports: Imports
) -> tuple[str, list[str]]:
    """The model of one item of a batch parameter, declared before its task."""
    name = ITEM_MODELS.get(task.key)
    if name is None:
        raise SpecError(f"{task.key}: {param.name} has items: name their model in ITEM_MODELS")
    lines = [
        f"class {name}(BinanceParams):",
        INDENT + f'"""One item of :class:`{task.class_name}`\'s ``{param.name}``."""',
        "",
    ]
    for item in param.item_fields:
        lines.append(f"{INDENT}{item.name}: {annotation(task, item, aliases, imports)}")
    lines += [
        line.removeprefix(INDENT)
        for line in rule_lines(task.key + ITEM, {i.name for i in param.item_fields})
    ]
    imports.task.add("BinanceParams")
    return name, lines


def task_class(task: Task, aliases: Mapping[frozenset[str], str], imports: Imports) -> list[str]:
    lines: list[str] = []
    item_models: dict[str, str] = {}
    for param in task.params:
        if param.kind == "ARRAY" and param.item_fields:
            name, item_lines = item_class(task, param, aliases, imports)
            item_models[param.name] = name
            lines += [*item_lines, "", ""]
    lines += [f"class {task.class_name}(BinanceTask):", *class_docstring(task), ""]
    weight, orders, comment = weight_expression(task)
    for name in ("ByLimit", "BySymbol", "BySymbolOrPair"):
        if weight.startswith(name + "("):
            imports.endpoint.add(name)
    arguments = [quote(task.method), quote(task.path), f"Security.{task.security}"]
    arguments.append(f"weight={weight}")
    if orders:
        arguments.append(f"orders={orders}")
    if task.key in ORDER_CHANGING:
        arguments.append("changes_orders=True")
    if task.key in BATCHES:
        arguments.append("batch=True")
    elif item_models:
        raise SpecError(f"{task.key} takes items: add it to BATCHES")
    if comment:
        lines.append(f"{INDENT}# {comment}")
    lines += bracketed("endpoint = Endpoint(", arguments, ")", INDENT)
    en, zh = TEXTS[task.key]
    texts = [string_argument("en", en, INDENT * 2), string_argument("zh", zh, INDENT * 2)]
    lines += bracketed("texts = Texts(", texts, ")", INDENT)
    if task.params:
        imports.task.add("BinanceParams")
        lines += ["", f"{INDENT}class Params(BinanceParams):"]
        for param in task.params:
            kind = annotation(task, param, aliases, imports, item_models.get(param.name))
            lines.append(f"{INDENT * 2}{param.name}: {kind}")
        lines += rule_lines(task.key, {param.name for param in task.params})
    return lines


# --- files -----------------------------------------------------------------------------------


def header(sources: Sequence[str]) -> list[str]:
    first, *others = [f"spec/{source}" for source in sources]
    lines = [f"# Generated by tools/generate_coinm.py from {first}"]
    lines += [f"# and {other}" for other in others]
    lines[-1] += ";"
    return [*lines, f"# do not edit by hand; regenerate with `python {REGENERATE}`."]


def import_block(imports: Imports) -> list[str]:
    lines = ["from __future__ import annotations", ""]
    stdlib = []
    if imports.decimal:
        stdlib.append("from decimal import Decimal")
    if imports.typing:
        stdlib.append(f"from typing import {', '.join(sorted(imports.typing))}")
    if stdlib:
        lines += [*stdlib, ""]
    if imports.pydantic_field:
        lines += ["from pydantic import Field", ""]
    if imports.params:
        lines += [f"from aioca.params import {', '.join(sorted(imports.params))}", ""]
    lines += [
        f"from ..endpoint import {', '.join(sorted(imports.endpoint))}",
        f"from ..task import {', '.join(sorted(imports.task))}",
    ]
    if imports.enums:
        lines += import_line(".enums", sorted(imports.enums))
    return lines


def import_line(module: str, names: Sequence[str], indent: str = "") -> list[str]:
    """``from module import names`` at ``indent``, wrapped in parentheses one name a line
    (isort's way) when it is too long."""
    single = f"{indent}from {module} import {', '.join(names)}"
    if width(single) <= LINE_LENGTH:
        return [single]
    inner = indent + INDENT
    return [f"{indent}from {module} import (", *(f"{inner}{name}," for name in names), f"{indent})"]


def dunder_all(names: Iterable[str]) -> list[str]:
    return bracketed("__all__ = [", [quote(name) for name in sorted(names)], "]", "")


def all_params(task: Task) -> list[Param]:
    """A task's parameters, and the fields of its batch items."""
    return [*task.params, *(item for param in task.params for item in param.item_fields)]


def enum_aliases(tasks: Sequence[Task]) -> dict[frozenset[str], str]:
    """The alias of each enum value set found in the spec (from ENUM_ALIASES)."""
    table = {frozenset(values.split()): name for name, values, _ in ENUM_ALIASES}
    if len(table) != len(ENUM_ALIASES) or len(set(table.values())) != len(table):
        raise SpecError("ENUM_ALIASES repeats a value set or an alias name")
    aliases: dict[frozenset[str], str] = {}
    for task in tasks:
        for param in all_params(task):
            if param.kind != "ENUM":
                continue
            values = frozenset(param.enum)
            if values not in table:
                raise SpecError(f"{task.key}: no alias for {param.name} {sorted(values)}")
            aliases[values] = table[values]
    unused = sorted(table[values] for values in set(table) - set(aliases))
    if unused:
        raise SpecError(f"ENUM_ALIASES has aliases the spec does not use: {unused}")
    return aliases


def task_module(module: str, tasks: Sequence[Task], aliases: Mapping[frozenset[str], str]) -> str:
    imports = Imports()
    body: list[str] = []
    for task in tasks:
        body += ["", "", *task_class(task, aliases, imports)]
    sources = sorted({task.source for task in tasks}, key=(SPEC_FILE, EXTRA_FILE).index)
    lines = header(sources)
    if any(param.name != param.name.lower() for task in tasks for param in task.params):
        lines += [
            "# Parameter names are Binance's wire names, which are camelCase (N815).",
            "# ruff: noqa: N815",
        ]
    lines += [*docstring(wrap(MODULES[module], "", first_prefix='"""'), ""), ""]
    lines += [*import_block(imports), ""]
    lines += dunder_all(task.class_name for task in tasks)
    return "\n".join(lines + body) + "\n"


def enums_module(tasks: Sequence[Task], aliases: Mapping[frozenset[str], str]) -> str:
    first_seen: dict[str, tuple[str, ...]] = {}
    users: dict[str, set[str]] = {}
    for task in tasks:
        for param in all_params(task):
            if param.kind == "ENUM":
                name = aliases[frozenset(param.enum)]
                first_seen.setdefault(name, param.enum)
                users.setdefault(name, set()).add(param.name)
    lines = [
        *header((SPEC_FILE, EXTRA_FILE)),
        '"""The values Binance accepts for the COIN-M enum parameters, as ``Literal`` types.',
        "",
        "One alias per distinct set of values, in the spec's order; pydantic refuses any other",
        "value before a request is sent.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Literal",
        "",
        *dunder_all(first_seen),
    ]
    docs = {name: doc for name, _, doc in ENUM_ALIASES}
    for name in sorted(first_seen):
        values = [quote(value) for value in first_seen[name]]
        lines += ["", *bracketed(f"{name} = Literal[", values, "]", "")]
        lines += docstring([docs[name]], "")
    return "\n".join(lines) + "\n"


INIT_TAIL = '''
CATALOG: Mapping[str, type[BinanceTask]] = LazyCatalog(__name__, _INDEX)
"""Every COIN-M task class by name (read-only, sorted): what the plugin registers."""

__getattr__, __dir__ = lazy_exports(__name__, _INDEX, globals())
'''


def init_module(tasks: Sequence[Task]) -> str:
    """The package: ``CATALOG`` and the task classes by name, imported on first use from a
    name-to-module table (importing every module would cost ~40 ms of every start-up)."""
    lines = [
        *header((SPEC_FILE, EXTRA_FILE)),
        '"""Binance COIN-M futures tasks (the catalog is generated by tools/generate_coinm.py).',
        "",
        "The modules are imported lazily: ``from aioca_binance.coinm import CoinMPing`` and",
        '``CATALOG["CoinMPing"]`` import the module that defines the class, and no other.',
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from typing import TYPE_CHECKING",
        "",
        "from aioca.lazy import LazyCatalog, lazy_exports",
        "",
        "if TYPE_CHECKING:",
        INDENT + "from ..task import BinanceTask",
    ]
    for module in sorted(MODULES):
        names = sorted(task.class_name for task in tasks if task.module == module)
        lines += import_line(f".{module}", names, INDENT)
    by_name = sorted((task.class_name, task.module) for task in tasks)
    lines += ["", *dunder_all(["CATALOG", *(name for name, _ in by_name)]), ""]
    lines.append("_INDEX: dict[str, str] = {")
    lines += [f"{INDENT}{quote(name)}: {quote(module)}," for name, module in by_name]
    lines += [
        "}",
        '"""Every task class by name, and the module of this package that defines it."""',
    ]
    return "\n".join(lines) + "\n" + INIT_TAIL


def render(spec_dir: Path) -> dict[str, str]:
    """The generated files, by name, as text."""
    tasks = build_tasks(load_spec(spec_dir))
    aliases = enum_aliases(tasks)
    files = {"__init__.py": init_module(tasks), "enums.py": enums_module(tasks, aliases)}
    for module in MODULES:
        files[f"{module}.py"] = task_module(
            module, [task for task in tasks if task.module == module], aliases
        )
    for name, text in files.items():
        for number, line in enumerate(text.splitlines(), 1):
            if width(line) > LINE_LENGTH and not re.search(r"https?://\S+$", line):
                raise SpecError(f"{name}:{number} would be too long: {line.strip()[:60]}...")
    return files


def check(files: Mapping[str, str], output_dir: Path) -> list[str]:
    """The names of the generated files that differ from ``output_dir``; prints the diffs."""
    stale: list[str] = []
    for name, text in files.items():
        target = output_dir / name
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            stale.append(name)
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{target} (committed)",
                    tofile=f"{target} (generated)",
                )
            )
    return stale


def write(files: Mapping[str, str], output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        # Write beside the target, then rename: an interrupted run leaves no half file.
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=output_dir, suffix=".tmp", delete=False, newline="\n"
        ) as handle:
            handle.write(text)
        Path(handle.name).replace(output_dir / name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--spec-dir",
        type=Path,
        default=DEFAULT_SPEC_DIR,
        help=f"where the spec JSON files are (default: {DEFAULT_SPEC_DIR})",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help=f"the package to write (default: {DEFAULT_OUTPUT_DIR})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the committed files differ from what would be generated",
    )
    args = parser.parse_args(argv)
    try:
        files = render(args.spec_dir)
    except SpecError as exc:
        print(f"generate_coinm: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = check(files, args.output_dir)
        if stale:
            print(f"generate_coinm: stale: {', '.join(stale)}; regenerate", file=sys.stderr)
            return 1
        print(f"generate_coinm: {len(files)} files up to date")
        return 0
    write(files, args.output_dir)
    print(f"generate_coinm: wrote {len(files)} files to {args.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
