"""What the spec does not say, for tools/generate_catalog.py: one table per fact, each with
its source, keyed ``"METHOD path"`` per market (``"coinm"``, ``"usdm"``, ``"spot"``).

The generator checks every table against the spec (an entry for an endpoint or a parameter
the spec lacks, a rule note the tables do not account for: ``SpecError``), so a spec update
that changes what a table assumes stops the generation instead of being missed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

ITEM = "[item]"
"""Suffix of a table key naming the items of an endpoint's batch (``batchOrders``)."""

RuleKey = str
Rule = tuple[str, tuple[str, ...], tuple[str, ...]]

# --- names ---------------------------------------------------------------------------------

PREFIXES: Mapping[str, str] = {"coinm": "CoinM", "usdm": "Usdm", "spot": "Spot"}
"""Each market's class-name prefix (``CoinMNewOrder``, ``UsdmNewOrder``, ``SpotNewOrder``)."""

CLASS_NAMES: Mapping[str, Mapping[str, str]] = {
    # The seed README's four COIN-M names; every other COIN-M task is "CoinM" + the SDK
    # method name in PascalCase, as before this table covered the other markets.
    "coinm": {
        "GET /dapi/v1/ping": "CoinMPing",
        "GET /dapi/v1/time": "CoinMServerTime",
        "GET /dapi/v1/ticker/price": "CoinMFetchTicker",
        "GET /dapi/v1/klines": "CoinMFetchKline",
    },
    # Names a user guesses from the path, where the SDK's method name is long-winded.
    "usdm": {
        "GET /fapi/v1/ping": "UsdmPing",
        "GET /fapi/v1/time": "UsdmServerTime",
        "GET /fapi/v1/exchangeInfo": "UsdmExchangeInfo",
        "GET /fapi/v1/klines": "UsdmKlines",
        "GET /fapi/v1/continuousKlines": "UsdmContinuousKlines",
        "GET /fapi/v1/indexPriceKlines": "UsdmIndexPriceKlines",
        "GET /fapi/v1/markPriceKlines": "UsdmMarkPriceKlines",
        "GET /fapi/v1/premiumIndexKlines": "UsdmPremiumIndexKlines",
        "GET /fapi/v1/aggTrades": "UsdmAggTrades",
        "GET /fapi/v1/trades": "UsdmTrades",
        "GET /fapi/v1/historicalTrades": "UsdmHistoricalTrades",
        "GET /fapi/v1/depth": "UsdmDepth",
        "GET /fapi/v1/rpiDepth": "UsdmRpiDepth",
        "GET /fapi/v1/ticker/price": "UsdmTickerPrice",
        "GET /fapi/v2/ticker/price": "UsdmTickerPriceV2",
        "GET /fapi/v1/ticker/24hr": "UsdmTicker24hr",
        "GET /fapi/v1/ticker/bookTicker": "UsdmBookTicker",
        "GET /fapi/v1/premiumIndex": "UsdmMarkPrice",
        "GET /fapi/v1/fundingRate": "UsdmFundingRate",
        "GET /fapi/v1/fundingInfo": "UsdmFundingInfo",
        "GET /fapi/v1/income": "UsdmIncome",
        "GET /fapi/v1/userTrades": "UsdmUserTrades",
        "GET /fapi/v1/allOrders": "UsdmAllOrders",
        "GET /fapi/v1/openOrders": "UsdmOpenOrders",
        "GET /fapi/v1/openOrder": "UsdmOpenOrder",
        "POST /fapi/v1/listenKey": "UsdmStartUserDataStream",
        "PUT /fapi/v1/listenKey": "UsdmKeepaliveUserDataStream",
        "DELETE /fapi/v1/listenKey": "UsdmCloseUserDataStream",
    },
    "spot": {
        "GET /api/v3/time": "SpotServerTime",
        "GET /api/v3/account": "SpotAccount",
        "GET /api/v3/trades": "SpotTrades",
        "GET /api/v3/openOrders": "SpotOpenOrders",
        "DELETE /api/v3/openOrders": "SpotCancelOpenOrders",
        "GET /api/v3/order": "SpotQueryOrder",
        "DELETE /api/v3/order": "SpotCancelOrder",
        "GET /api/v3/orderList": "SpotQueryOrderList",
        "DELETE /api/v3/orderList": "SpotCancelOrderList",
        "POST /api/v3/order/test": "SpotTestOrder",
        "POST /api/v3/order/cancelReplace": "SpotCancelReplace",
        "POST /api/v3/order/oco": "SpotOrderOco",
        "POST /api/v3/sor/order/test": "SpotSorOrderTest",
    },
}
"""Class names that are not the prefix + the SDK method name in PascalCase."""

ITEM_MODELS: Mapping[str, Mapping[str, str]] = {
    "coinm": {
        "POST /dapi/v1/batchOrders": "CoinMNewOrderItem",
        "PUT /dapi/v1/batchOrders": "CoinMModifyOrderItem",
    },
    "usdm": {
        "POST /fapi/v1/batchOrders": "UsdmNewOrderItem",
        "PUT /fapi/v1/batchOrders": "UsdmModifyOrderItem",
    },
    "spot": {},
}
"""The name of each batch's item model (the order a batch item stands for)."""

# --- texts ---------------------------------------------------------------------------------

COINM_TEXTS: Mapping[str, tuple[str, str]] = {
    # market data; the first four are the seed README's, character for character in zh
    "GET /dapi/v1/ping": ("Ping Binance COIN-M server", "ping币安币本位服务器"),
    "GET /dapi/v1/time": ("Fetch Binance COIN-M server time", "获取币安币本位服务器时间"),
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
    "GET /dapi/v1/fundingInfo": ("Fetch COIN-M funding rate info", "获取币本位资金费率信息"),
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
    "GET /dapi/v1/openInterest": ("Open interest of {symbol}", "获取币本位合约:{symbol} 持仓量"),
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
    "GET /dapi/v1/account": ("Fetch COIN-M account information", "获取币本位账户信息"),
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
    "GET /dapi/v1/balance": ("Fetch COIN-M account balance", "获取币本位账户余额"),
    "DELETE /dapi/v1/batchOrders": (
        "Cancel orders on {symbol}: ids {orderIdList}, client ids {origClientOrderIdList}",
        "批量撤销币本位合约:{symbol} 订单"
        "(订单号 {orderIdList}, 客户端订单号 {origClientOrderIdList})",
    ),
    "POST /dapi/v1/batchOrders": ("Place a batch of COIN-M orders", "币本位合约批量下单"),
    "PUT /dapi/v1/batchOrders": ("Modify a batch of COIN-M orders", "币本位合约批量修改订单"),
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
    "GET /dapi/v1/positionSide/dual": ("Fetch COIN-M position mode", "获取币本位持仓模式"),
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
    "POST /dapi/v1/listenKey": ("Start a COIN-M user data stream", "创建币本位用户数据流"),
    "PUT /dapi/v1/listenKey": ("Keep the COIN-M user data stream alive", "延长币本位用户数据流"),
    "DELETE /dapi/v1/listenKey": ("Close the COIN-M user data stream", "关闭币本位用户数据流"),
}
"""COIN-M task names in English and Chinese, written one by one (``Texts``)."""

ZH_TITLES: Mapping[str, Mapping[str, str]] = {
    # USDⓈ-M and Spot task names: the English is the spec's "title" (Binance's page title);
    # the Chinese is Binance's Chinese page title where it has one, shortened. The
    # generator adds the parameters (symbol, side, quantity, ids, time range, limit).
    "usdm": {
        "GET /fapi/v1/accountConfig": "U本位账户配置",
        "GET /fapi/v1/adlQuantile": "U本位持仓ADL队列估算",
        "GET /fapi/v1/aggTrades": "U本位归集成交",
        "DELETE /fapi/v1/algoOpenOrders": "撤销U本位全部条件单",
        "DELETE /fapi/v1/algoOrder": "撤销U本位条件单",
        "GET /fapi/v1/algoOrder": "查询U本位条件单",
        "POST /fapi/v1/algoOrder": "U本位下条件单",
        "GET /fapi/v1/allAlgoOrders": "查询U本位所有条件单",
        "DELETE /fapi/v1/allOpenOrders": "撤销U本位全部挂单",
        "GET /fapi/v1/allOrders": "查询U本位所有订单",
        "GET /fapi/v1/apiTradingStatus": "U本位量化交易规则指标",
        "GET /fapi/v1/assetIndex": "U本位联合保证金资产汇率指数",
        "DELETE /fapi/v1/batchOrders": "U本位批量撤单",
        "POST /fapi/v1/batchOrders": "U本位批量下单",
        "PUT /fapi/v1/batchOrders": "U本位批量修改订单",
        "GET /fapi/v1/commissionRate": "U本位用户手续费率",
        "GET /fapi/v1/constituents": "U本位指数价格成分",
        "GET /fapi/v1/continuousKlines": "U本位连续合约K线",
        "POST /fapi/v1/convert/acceptQuote": "U本位闪兑接受报价",
        "GET /fapi/v1/convert/exchangeInfo": "U本位闪兑交易对",
        "POST /fapi/v1/convert/getQuote": "U本位闪兑询价",
        "GET /fapi/v1/convert/orderStatus": "U本位闪兑订单状态",
        "POST /fapi/v1/countdownCancelAll": "U本位倒计时撤销全部订单",
        "GET /fapi/v1/depth": "U本位深度信息",
        "GET /fapi/v1/exchangeInfo": "U本位交易规则和交易对",
        "GET /fapi/v1/feeBurn": "查询U本位BNB抵扣状态",
        "POST /fapi/v1/feeBurn": "切换U本位BNB抵扣",
        "GET /fapi/v1/forceOrders": "U本位用户强平单历史",
        "GET /fapi/v1/fundingInfo": "U本位资金费率信息",
        "GET /fapi/v1/fundingRate": "U本位历史资金费率",
        "GET /fapi/v1/historicalTrades": "U本位历史成交",
        "GET /fapi/v1/income": "U本位资金流水",
        "GET /fapi/v1/income/asyn": "U本位资金流水下载ID",
        "GET /fapi/v1/income/asyn/id": "U本位资金流水下载链接",
        "GET /fapi/v1/indexInfo": "U本位综合指数交易对信息",
        "GET /fapi/v1/indexPriceKlines": "U本位指数价格K线",
        "GET /fapi/v1/insuranceBalance": "U本位保险基金余额快照",
        "GET /fapi/v1/klines": "U本位K线",
        "POST /fapi/v1/leverage": "调整U本位开仓杠杆",
        "GET /fapi/v1/leverageBracket": "U本位杠杆分层标准",
        "DELETE /fapi/v1/listenKey": "关闭U本位用户数据流",
        "POST /fapi/v1/listenKey": "创建U本位用户数据流",
        "PUT /fapi/v1/listenKey": "延长U本位用户数据流",
        "POST /fapi/v1/marginType": "变换U本位逐全仓模式",
        "GET /fapi/v1/markPriceKlines": "U本位标记价格K线",
        "GET /fapi/v1/multiAssetsMargin": "查询U本位联合保证金模式",
        "POST /fapi/v1/multiAssetsMargin": "更改U本位联合保证金模式",
        "GET /fapi/v1/openAlgoOrders": "U本位当前全部条件单",
        "GET /fapi/v1/openInterest": "U本位未平仓合约数",
        "GET /fapi/v1/openOrder": "查询U本位当前挂单",
        "GET /fapi/v1/openOrders": "U本位当前全部挂单",
        "DELETE /fapi/v1/order": "撤销U本位订单",
        "GET /fapi/v1/order": "查询U本位订单",
        "POST /fapi/v1/order": "U本位下单",
        "PUT /fapi/v1/order": "修改U本位订单",
        "GET /fapi/v1/order/asyn": "U本位订单历史下载ID",
        "GET /fapi/v1/order/asyn/id": "U本位订单历史下载链接",
        "POST /fapi/v1/order/test": "U本位测试下单",
        "GET /fapi/v1/orderAmendment": "U本位订单修改历史",
        "GET /fapi/v1/ping": "测试U本位服务器连通性",
        "GET /fapi/v1/pmAccountInfo": "经典统一账户信息",
        "POST /fapi/v1/positionMargin": "调整U本位逐仓保证金",
        "GET /fapi/v1/positionMargin/history": "U本位逐仓保证金变动历史",
        "GET /fapi/v1/positionSide/dual": "查询U本位持仓模式",
        "POST /fapi/v1/positionSide/dual": "更改U本位持仓模式",
        "GET /fapi/v1/premiumIndex": "U本位标记价格和资金费率",
        "GET /fapi/v1/premiumIndexKlines": "U本位溢价指数K线",
        "GET /fapi/v1/rateLimit/order": "查询U本位用户下单限频",
        "GET /fapi/v1/rpiDepth": "U本位RPI深度信息",
        "POST /fapi/v1/stock/contract": "U本位TradFi永续合约",
        "GET /fapi/v1/symbolAdlRisk": "U本位ADL风险等级",
        "GET /fapi/v1/symbolConfig": "U本位交易对配置",
        "GET /fapi/v1/ticker/24hr": "U本位24小时价格变动",
        "GET /fapi/v1/ticker/bookTicker": "U本位最优挂单",
        "GET /fapi/v1/ticker/price": "U本位最新价格",
        "GET /fapi/v1/time": "获取U本位服务器时间",
        "GET /fapi/v1/trade/asyn": "U本位成交历史下载ID",
        "GET /fapi/v1/trade/asyn/id": "U本位成交历史下载链接",
        "GET /fapi/v1/trades": "U本位近期成交",
        "GET /fapi/v1/tradingSchedule": "U本位交易时段",
        "GET /fapi/v1/userTrades": "U本位账户成交历史",
        "GET /fapi/v2/account": "U本位账户信息V2",
        "GET /fapi/v2/balance": "U本位账户余额V2",
        "GET /fapi/v2/positionRisk": "U本位持仓信息V2",
        "GET /fapi/v2/ticker/price": "U本位最新价格V2",
        "GET /fapi/v3/account": "U本位账户信息V3",
        "GET /fapi/v3/balance": "U本位账户余额V3",
        "GET /fapi/v3/positionRisk": "U本位持仓信息V3",
        "GET /futures/data/basis": "U本位基差",
        "GET /futures/data/delivery-price": "U本位季度合约历史结算价",
        "GET /futures/data/globalLongShortAccountRatio": "U本位多空持仓人数比",
        "GET /futures/data/openInterestHist": "U本位合约持仓量历史",
        "GET /futures/data/takerlongshortRatio": "U本位主动买卖量",
        "GET /futures/data/topLongShortAccountRatio": "U本位大户账户数多空比",
        "GET /futures/data/topLongShortPositionRatio": "U本位大户持仓量多空比",
    },
    "spot": {
        "GET /api/v3/account": "现货账户信息",
        "GET /api/v3/account/commission": "查询现货手续费率",
        "GET /api/v3/aggTrades": "现货归集成交",
        "GET /api/v3/allOrderList": "查询现货所有订单列表",
        "GET /api/v3/allOrders": "查询现货所有订单",
        "GET /api/v3/avgPrice": "现货当前平均价格",
        "GET /api/v3/depth": "现货深度信息",
        "GET /api/v3/exchangeInfo": "现货交易规范信息",
        "GET /api/v3/executionRules": "查询现货执行规则",
        "GET /api/v3/historicalBlockTrades": "现货历史大宗成交",
        "GET /api/v3/historicalTrades": "现货历史成交",
        "GET /api/v3/klines": "现货K线",
        "GET /api/v3/myAllocations": "查询现货分配结果",
        "GET /api/v3/myFilters": "查询现货相关过滤器",
        "GET /api/v3/myPreventedMatches": "查询现货被阻止的撮合",
        "GET /api/v3/myTrades": "现货账户成交历史",
        "GET /api/v3/openOrderList": "查询现货当前订单列表",
        "DELETE /api/v3/openOrders": "撤销现货单一交易对全部挂单",
        "GET /api/v3/openOrders": "现货当前挂单",
        "DELETE /api/v3/order": "撤销现货订单",
        "GET /api/v3/order": "查询现货订单",
        "POST /api/v3/order": "现货下单",
        "PUT /api/v3/order/amend/keepPriority": "修改现货订单并保留优先级",
        "GET /api/v3/order/amendments": "查询现货订单修改记录",
        "POST /api/v3/order/cancelReplace": "撤销现货订单并下新单",
        "POST /api/v3/order/oco": "现货下OCO订单(已弃用)",
        "POST /api/v3/order/test": "现货测试下单",
        "DELETE /api/v3/orderList": "撤销现货订单列表",
        "GET /api/v3/orderList": "查询现货订单列表",
        "POST /api/v3/orderList/oco": "现货下OCO订单列表",
        "POST /api/v3/orderList/opo": "现货下OPO订单列表",
        "POST /api/v3/orderList/opoco": "现货下OPOCO订单列表",
        "POST /api/v3/orderList/oto": "现货下OTO订单列表",
        "POST /api/v3/orderList/otoco": "现货下OTOCO订单列表",
        "GET /api/v3/ping": "测试现货服务器连通性",
        "GET /api/v3/rateLimit/order": "查询现货未成交订单计数",
        "GET /api/v3/referencePrice": "查询现货参考价格",
        "GET /api/v3/referencePrice/calculation": "查询现货参考价格计算方式",
        "POST /api/v3/sor/order": "现货智能路由下单",
        "POST /api/v3/sor/order/test": "现货智能路由测试下单",
        "GET /api/v3/ticker": "现货滚动窗口价格变动",
        "GET /api/v3/ticker/24hr": "现货24小时价格变动",
        "GET /api/v3/ticker/bookTicker": "现货最优挂单",
        "GET /api/v3/ticker/price": "现货最新价格",
        "GET /api/v3/ticker/tradingDay": "现货交易日行情",
        "GET /api/v3/time": "获取现货服务器时间",
        "GET /api/v3/trades": "现货近期成交",
        "GET /api/v3/uiKlines": "现货UIK线",
    },
}

SUMMARY_FIXES: Mapping[str, Mapping[str, str]] = {
    "coinm": {
        # The SDK repeats Account Information's sentence here.
        "GET /dapi/v1/positionRisk": "Get current position information.",
        # The spec's first sentence is only the bold warning.
        "GET /dapi/v1/leverageBracket": (
            "Get the pair's default notional bracket list (not recommended any more: use "
            "``GET /dapi/v2/leverageBracket``)."
        ),
    },
    "usdm": {},
    "spot": {},
}
"""Docstring summaries that replace the spec description's first sentence."""

REMARKS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "coinm": {},
    "usdm": {
        # The spec: "USDⓈ-M new_order lost its conditional parameters, which moved to
        # /fapi/v1/algoOrder"; Binance answers -4120 STOP_ORDER_SWITCH_ALGO.
        "POST /fapi/v1/order": (
            "stop, take-profit and trailing orders are algo orders now: UsdmNewAlgoOrder "
            "(Binance answers -4120 here)",
        ),
        "POST /fapi/v1/convert/getQuote": ("also limited to 360 quotes an hour, 500 a day",),
    },
    "spot": {},
}
"""What a task's description adds beyond its parameters (``describe()``'s notes)."""

# --- enums ---------------------------------------------------------------------------------

_INTERVALS = "1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M"
_FUTURES_COMMON: Sequence[tuple[str, str, str]] = (
    ("KlineInterval", _INTERVALS, "Kline interval."),
    ("Period", "5m 15m 30m 1h 2h 4h 6h 12h 1d", "Period of the ``/futures/data/*`` statistics."),
    ("ContractType", "PERPETUAL CURRENT_QUARTER NEXT_QUARTER", "Contract type."),
    ("OrderSide", "BUY SELL", "Order side."),
    (
        "OrderType",
        "LIMIT MARKET STOP STOP_MARKET TAKE_PROFIT TAKE_PROFIT_MARKET TRAILING_STOP_MARKET",
        "Order type.",
    ),
    ("AlgoType", "CONDITIONAL", "Algo order type (only ``CONDITIONAL``)."),
    ("PositionSide", "BOTH LONG SHORT", "Position side: ``BOTH`` in one-way mode."),
    ("BooleanString", "true false", "A boolean as Binance spells it on the wire."),
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
    ("MarginType", "ISOLATED CROSSED", "Margin type."),
    ("AutoCloseType", "LIQUIDATION ADL", "Kind of force order: liquidation or auto-deleveraging."),
)

ENUM_ALIASES: Mapping[str, Sequence[tuple[str, str, str]]] = {
    # (alias, its values as the spec lists them, its docstring); an alias is the ``Literal``
    # of the values, ``<alias>Enum`` the ``StrEnum`` of the same values.
    "coinm": (
        *_FUTURES_COMMON,
        (
            "ContractTypeOrAll",
            "ALL PERPETUAL CURRENT_QUARTER NEXT_QUARTER",
            "Contract type, or ``ALL`` (taker buy/sell volume).",
        ),
        (
            "AlgoOrderType",
            "STOP_MARKET TAKE_PROFIT_MARKET STOP TAKE_PROFIT TRAILING_STOP_MARKET",
            "Order type of a new algo (conditional) order.",
        ),
        ("TimeInForce", "GTC IOC FOK GTX", "Time in force (``GTX``: post only)."),
        (
            "AlgoSelfTradePreventionMode",
            "EXPIRE_TAKER EXPIRE_MAKER EXPIRE_BOTH",
            "Self-trade prevention mode of a new algo order (no ``NONE``).",
        ),
        (
            "IncomeType",
            "TRANSFER WELCOME_BONUS FUNDING_FEE REALIZED_PNL COMMISSION INSURANCE_CLEAR "
            "DELIVERED_SETTELMENT",
            "Income type (``DELIVERED_SETTELMENT`` is Binance's spelling).",
        ),
    ),
    "usdm": (
        *_FUTURES_COMMON,
        (
            "KlineIntervalWithSeconds",
            "1s " + _INTERVALS,
            "Kline interval of continuous-contract klines (``1s`` too).",
        ),
        (
            "ContinuousContractType",
            "PERPETUAL CURRENT_QUARTER NEXT_QUARTER TRADIFI_PERPETUAL",
            "Contract type of continuous klines (TradFi perpetuals too).",
        ),
        (
            "TimeInForce",
            "GTC IOC FOK GTX GTD RPI",
            "Time in force (``GTX``: post only; ``GTD``: until ``goodTillDate``).",
        ),
        (
            "NewOrderSelfTradePreventionMode",
            "EXPIRE_TAKER EXPIRE_BOTH EXPIRE_MAKER",
            "Self-trade prevention mode of ``POST /fapi/v1/order`` (no ``NONE``).",
        ),
        (
            "IncomeType",
            "TRANSFER WELCOME_BONUS REALIZED_PNL FUNDING_FEE COMMISSION INSURANCE_CLEAR "
            "REFERRAL_KICKBACK COMMISSION_REBATE API_REBATE CONTEST_REWARD "
            "CROSS_COLLATERAL_TRANSFER OPTIONS_PREMIUM_FEE OPTIONS_SETTLE_PROFIT "
            "INTERNAL_TRANSFER AUTO_EXCHANGE DELIVERED_SETTELMENT COIN_SWAP_DEPOSIT "
            "COIN_SWAP_WITHDRAW POSITION_LIMIT_INCREASE_FEE STRATEGY_UMFUTURES_TRANSFER "
            "FEE_RETURN BFUSD_REWARD SPECIAL_FUNDING_FEE",
            "Income type (``DELIVERED_SETTELMENT`` is Binance's spelling).",
        ),
    ),
    "spot": (
        ("KlineInterval", "1s " + _INTERVALS, "Kline interval (``1s`` too)."),
        ("SymbolStatus", "TRADING HALT BREAK", "A symbol's trading status."),
        (
            "Permission",
            "SPOT MARGIN LEVERAGED " + " ".join(f"TRD_GRP_{number:03d}" for number in range(2, 26)),
            "An account or symbol permission.",
        ),
        ("CancelRestrictions", "ONLY_NEW ONLY_PARTIALLY_FILLED", "When a cancel may succeed."),
        ("OrderSide", "BUY SELL", "Order side."),
        (
            "OrderType",
            "MARKET LIMIT STOP_LOSS STOP_LOSS_LIMIT TAKE_PROFIT TAKE_PROFIT_LIMIT LIMIT_MAKER",
            "Order type.",
        ),
        ("TimeInForce", "GTC IOC FOK", "Time in force."),
        ("ResponseType", "ACK RESULT FULL", "What a new order answers with."),
        (
            "SelfTradePreventionMode",
            "NONE EXPIRE_TAKER EXPIRE_MAKER EXPIRE_BOTH DECREMENT TRANSFER",
            "Self-trade prevention mode (the symbol's allowed modes apply).",
        ),
        ("PegPriceType", "PRIMARY_PEG MARKET_PEG", "What a pegged order's price follows."),
        ("PegOffsetType", "PRICE_LEVEL", "How a pegged order's offset is counted."),
        ("CancelReplaceMode", "STOP_ON_FAILURE ALLOW_FAILURE", "Cancel-replace on failure."),
        (
            "OrderRateLimitExceededMode",
            "DO_NOTHING CANCEL_ONLY",
            "What cancel-replace does once the unfilled-order limit is reached.",
        ),
        (
            "AboveType",
            "STOP_LOSS_LIMIT STOP_LOSS LIMIT_MAKER TAKE_PROFIT TAKE_PROFIT_LIMIT",
            "Order type of an order list's above leg.",
        ),
        (
            "BelowType",
            "STOP_LOSS STOP_LOSS_LIMIT TAKE_PROFIT TAKE_PROFIT_LIMIT",
            "Order type of an order list's below leg.",
        ),
        ("WorkingType", "LIMIT LIMIT_MAKER", "Order type of an order list's working order."),
        ("SorOrderType", "MARKET LIMIT", "Order type of an SOR order."),
        (
            "WindowSize",
            " ".join(
                [f"{n}m" for n in range(1, 60)]
                + [f"{n}h" for n in range(1, 24)]
                + [f"{n}d" for n in range(1, 8)]
            ),
            "Window of a rolling ticker.",
        ),
        ("TickerType", "FULL MINI", "How much a ticker tells."),
    ),
}
"""A readable name (and a docstring) for each distinct enum value set of each market."""

BOOLEAN_STRINGS: Mapping[str, frozenset[str]] = {
    # STRING parameters the docs describe as "true"/"false" (their descriptions say so):
    # taken as a bool and sent as Binance's word.
    "coinm": frozenset({"closePosition", "dualSidePosition"}),
    "usdm": frozenset({"dualSidePosition", "feeBurn", "multiAssetsMargin"}),
    "spot": frozenset(),
}

# --- numbers -------------------------------------------------------------------------------

LIMIT_DOCS: Mapping[str, Mapping[str, tuple[int, int | None]]] = {
    # path: (default, max) of ``limit``, from the parameter tables of Binance's docs pages
    # ("Default 500; max 1500."); the SDK descriptions in the spec leave them out. None:
    # the page gives no maximum.
    "coinm": {
        # https://developers.binance.com/docs/derivatives/coin-margined-futures/...
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
        "/dapi/v1/positionMargin/history": (50, None),  # "Default: 50", no maximum given
        "/dapi/v1/premiumIndexKlines": (500, 1500),
        "/dapi/v1/trades": (500, 1000),
        "/dapi/v1/userTrades": (50, 1000),
        "/futures/data/basis": (30, 500),
        "/futures/data/globalLongShortAccountRatio": (30, 500),
        "/futures/data/openInterestHist": (30, 500),
        "/futures/data/takerBuySellVol": (30, 500),
        "/futures/data/topLongShortAccountRatio": (30, 500),
        "/futures/data/topLongShortPositionRatio": (30, 500),
    },
    "usdm": {
        # https://developers.binance.com/docs/derivatives/usds-margined-futures/...
        "/fapi/v1/aggTrades": (500, 1000),
        "/fapi/v1/allAlgoOrders": (500, 1000),  # Query All Algo Orders: "Default 500; max 1000."
        "/fapi/v1/allOrders": (500, 1000),
        "/fapi/v1/continuousKlines": (500, 1500),
        "/fapi/v1/depth": (500, 1000),
        "/fapi/v1/forceOrders": (50, 100),
        "/fapi/v1/fundingRate": (100, 1000),
        "/fapi/v1/historicalTrades": (100, 500),
        "/fapi/v1/income": (100, 1000),
        "/fapi/v1/indexPriceKlines": (500, 1500),
        "/fapi/v1/klines": (500, 1500),
        "/fapi/v1/markPriceKlines": (500, 1500),
        "/fapi/v1/orderAmendment": (50, 100),
        "/fapi/v1/positionMargin/history": (500, None),  # "Default: 500", no maximum given
        "/fapi/v1/premiumIndexKlines": (500, 1500),
        "/fapi/v1/rpiDepth": (1000, 1000),
        "/fapi/v1/trades": (500, 1000),
        "/fapi/v1/userTrades": (500, 1000),
        "/futures/data/basis": (30, 500),
        "/futures/data/globalLongShortAccountRatio": (30, 500),
        "/futures/data/openInterestHist": (30, 500),
        "/futures/data/takerlongshortRatio": (30, 500),
        "/futures/data/topLongShortAccountRatio": (30, 500),
        "/futures/data/topLongShortPositionRatio": (30, 500),
    },
    "spot": {
        # binance/binance-spot-api-docs rest-api.md (the spec's responses source)
        "/api/v3/aggTrades": (500, 1000),
        "/api/v3/allOrderList": (500, 1000),  # "Default: 500; Maximum: 1000"
        "/api/v3/allOrders": (500, 1000),
        "/api/v3/depth": (100, 5000),
        "/api/v3/historicalTrades": (500, 1000),
        "/api/v3/klines": (500, 1000),
        "/api/v3/myAllocations": (500, 1000),  # "Default: 500; Maximum: 1000"
        "/api/v3/myPreventedMatches": (500, 1000),  # "Default: 500; Maximum: 1000"
        "/api/v3/myTrades": (500, 1000),
        "/api/v3/order/amendments": (500, None),
        "/api/v3/trades": (500, 1000),
        "/api/v3/uiKlines": (500, 1000),
    },
}

INTEGER_BOUNDS: Mapping[str, tuple[int, int | None]] = {
    # parameter: (min, max), from Binance's docs pages and the spec's descriptions
    "leverage": (1, 125),  # Change Initial Leverage: "target initial leverage: int from 1 to 125"
    "type": (1, 2),  # Modify Isolated Position Margin: "1: Add position margin, 2: Reduce"
    # Spot: "The value cannot be less than 1000000" / "Values smaller than 1000000 are
    # reserved and cannot be used" (every *strategyType)
    "strategyType": (1_000_000, None),
}
"""Documented ranges of integer parameters; others are counts from 0 to 2**63 - 1. A name
ending in one of these keys (``aboveStrategyType``) takes its range too."""

TIME_PARAMS = frozenset({"startTime", "endTime", "goodTillDate"})
"""Millisecond times: an ``int`` or an aware ``datetime``."""

RECV_WINDOW_MAX = 60_000
"""Binance refuses a ``recvWindow`` above 60 000 ms (Spot: "cannot be greater than 60000")."""

CLIENT_ORDER_IDS = frozenset(
    {"newClientOrderId", "origClientOrderId", "clientAlgoId", "cancelOrigClientOrderId"}
)
"""Parameters holding a client order id (``^[.A-Z:/a-z0-9_-]{1,36}$``), also in lists."""

IGNORED_ITEM_FIELDS = frozenset({"recvWindow", "timestamp"})
"""Fields the SDK's batch-item models list that belong to the request, not to an item."""

# --- what endpoints do ---------------------------------------------------------------------

ORDER_CHANGING: Mapping[str, frozenset[str]] = {
    "coinm": frozenset(
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
    ),
    "usdm": frozenset(
        {
            "POST /fapi/v1/order",
            "PUT /fapi/v1/order",
            "DELETE /fapi/v1/order",
            "POST /fapi/v1/batchOrders",
            "PUT /fapi/v1/batchOrders",
            "DELETE /fapi/v1/batchOrders",
            "DELETE /fapi/v1/allOpenOrders",
            "POST /fapi/v1/countdownCancelAll",
            "POST /fapi/v1/algoOrder",
            "DELETE /fapi/v1/algoOrder",
            "DELETE /fapi/v1/algoOpenOrders",
        }
    ),
    "spot": frozenset(
        {
            "POST /api/v3/order",
            "DELETE /api/v3/order",
            "DELETE /api/v3/openOrders",
            "PUT /api/v3/order/amend/keepPriority",
            "POST /api/v3/order/cancelReplace",
            "POST /api/v3/order/oco",
            "DELETE /api/v3/orderList",
            "POST /api/v3/orderList/oco",
            "POST /api/v3/orderList/opo",
            "POST /api/v3/orderList/opoco",
            "POST /api/v3/orderList/oto",
            "POST /api/v3/orderList/otoco",
            "POST /api/v3/sor/order",
        }
    ),
}
"""Endpoints that create, amend or cancel orders: never retried (``changes_orders``)."""

BATCHES: Mapping[str, frozenset[str]] = {
    "coinm": frozenset(
        {"POST /dapi/v1/batchOrders", "PUT /dapi/v1/batchOrders", "DELETE /dapi/v1/batchOrders"}
    ),
    "usdm": frozenset(
        {"POST /fapi/v1/batchOrders", "PUT /fapi/v1/batchOrders", "DELETE /fapi/v1/batchOrders"}
    ),
    "spot": frozenset(),
}
"""Endpoints answering one item per order, each accepted or refused on its own (``batch``)."""

CLIENT_ID_FIELDS: Mapping[str, Mapping[str, str]] = {
    # Order-placing endpoints and the parameter that names the new order (or order list)
    # for a later query: a run sends a fresh one when none is given, and an unknown
    # outcome names it.
    "coinm": {
        "POST /dapi/v1/order": "newClientOrderId",
        "POST /dapi/v1/batchOrders": "newClientOrderId",
        "POST /dapi/v1/algoOrder": "clientAlgoId",
    },
    "usdm": {
        "POST /fapi/v1/order": "newClientOrderId",
        "POST /fapi/v1/batchOrders": "newClientOrderId",
        "POST /fapi/v1/algoOrder": "clientAlgoId",
    },
    "spot": {
        "POST /api/v3/order": "newClientOrderId",
        "POST /api/v3/order/cancelReplace": "newClientOrderId",
        "POST /api/v3/sor/order": "newClientOrderId",
        "POST /api/v3/order/oco": "listClientOrderId",
        "POST /api/v3/orderList/oco": "listClientOrderId",
        "POST /api/v3/orderList/opo": "listClientOrderId",
        "POST /api/v3/orderList/opoco": "listClientOrderId",
        "POST /api/v3/orderList/oto": "listClientOrderId",
        "POST /api/v3/orderList/otoco": "listClientOrderId",
    },
}

ENDPOINT_LIMITS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    # The endpoint-specific windows of aioca_binance.limits each endpoint counts 1 on.
    "coinm": {},
    "usdm": {
        "GET /fapi/v1/fundingRate": ("FUNDING_RATE",),
        "GET /fapi/v1/fundingInfo": ("FUNDING_RATE",),
        "GET /futures/data/globalLongShortAccountRatio": ("FUTURES_DATA",),
        "GET /futures/data/openInterestHist": ("FUTURES_DATA",),
        "GET /futures/data/takerlongshortRatio": ("FUTURES_DATA",),
        "GET /futures/data/topLongShortAccountRatio": ("FUTURES_DATA",),
        "GET /futures/data/topLongShortPositionRatio": ("FUTURES_DATA",),
    },
    "spot": {},
}

WEIGHT_RULES: Mapping[str, Mapping[str, str]] = {
    # Weights the spec states in words (``weight_rule.by`` condition/symbols/per_symbol),
    # as the rule objects of aioca_binance.endpoint; the generator checks each against
    # the spec's table.
    "coinm": {},
    "usdm": {},
    "spot": {
        "GET /api/v3/executionRules": (
            "BySymbols(with_symbol=2, without=40, per_symbol=2, cap=40)"
        ),
        "GET /api/v3/myPreventedMatches": 'ByParam("orderId", with_param=20, without_param=2)',
        "GET /api/v3/myTrades": 'ByParam("orderId", with_param=5, without_param=20)',
        "POST /api/v3/order/test": (
            'ByParam("computeCommissionRates", with_param=20, without_param=1)'
        ),
        "POST /api/v3/sor/order/test": (
            'ByParam("computeCommissionRates", with_param=20, without_param=1)'
        ),
        "GET /api/v3/ticker": "BySymbols(with_symbol=4, without=200, per_symbol=4, cap=200)",
        "GET /api/v3/ticker/tradingDay": (
            "BySymbols(with_symbol=4, without=200, per_symbol=4, cap=200)"
        ),
        "GET /api/v3/ticker/24hr": (
            "BySymbols(with_symbol=2, without=80, tiers=((20, 2), (100, 40)), above=80)"
        ),
        "GET /api/v3/ticker/bookTicker": "BySymbols(with_symbol=2, without=4, above=4)",
        "GET /api/v3/ticker/price": "BySymbols(with_symbol=2, without=4, above=4)",
    },
}

# --- rules across parameters -----------------------------------------------------------------

_FUTURES_ORDER_TYPES: tuple[Rule, ...] = (
    # Binance's "Additional mandatory parameters based on type" table of New Order
    # (COIN-M: https://developers.binance.com/docs/derivatives/coin-margined-futures/trade/
    # rest-api/New-Order; USDⓈ-M Test Order: the spec's notes). ``a|b``: either one; a
    # LIMIT order priced by ``priceMatch`` takes no ``price``.
    ("type", ("LIMIT",), ("timeInForce", "quantity", "price|priceMatch")),
    ("type", ("MARKET",), ("quantity",)),
    ("type", ("STOP", "TAKE_PROFIT"), ("quantity", "price|priceMatch", "stopPrice")),
    ("type", ("STOP_MARKET", "TAKE_PROFIT_MARKET"), ("stopPrice",)),
    ("type", ("TRAILING_STOP_MARKET",), ("callbackRate",)),
)
_USDM_NEW_ORDER_TYPES: tuple[Rule, ...] = _FUTURES_ORDER_TYPES[:2]  # the rest moved to algo
_ALGO_TYPES: tuple[Rule, ...] = (
    # The same table on the USD-M New Algo Order page, ``triggerPrice`` for ``stopPrice``.
    ("type", ("STOP", "TAKE_PROFIT"), ("quantity", "price|priceMatch", "triggerPrice")),
    ("type", ("STOP_MARKET", "TAKE_PROFIT_MARKET"), ("triggerPrice",)),
    ("type", ("TRAILING_STOP_MARKET",), ("callbackRate",)),
)
_GTD: tuple[Rule, ...] = (("timeInForce", ("GTD",), ("goodTillDate",)),)
_CLOSE_ALL: tuple[Rule, ...] = (("closePosition", ("true",), ("quantity", "reduceOnly")),)
_SPOT_ORDER_TYPES: tuple[Rule, ...] = (
    # Spot New Order's "additional mandatory parameters based on type" (the spec's notes);
    # "if pegPriceType is specified, price becomes optional".
    ("type", ("LIMIT",), ("timeInForce", "quantity", "price|pegPriceType")),
    ("type", ("MARKET",), ("quantity|quoteOrderQty",)),
    ("type", ("STOP_LOSS", "TAKE_PROFIT"), ("quantity", "stopPrice|trailingDelta")),
    (
        "type",
        ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"),
        ("timeInForce", "quantity", "price|pegPriceType", "stopPrice|trailingDelta"),
    ),
    ("type", ("LIMIT_MAKER",), ("quantity", "price|pegPriceType")),
)
_SPOT_ORDER_NEEDS = (
    # "Any order with an icebergQty MUST have timeInForce set to GTC" (LIMIT_MAKER takes
    # no timeInForce and may be an iceberg too); "pegOffsetType and pegOffsetValue ...
    # must be specified together".
    ("icebergQty", (("timeInForce", ("GTC",)), ("type", ("LIMIT_MAKER",)))),
    ("pegOffsetType", (("pegOffsetValue", None),)),
    ("pegOffsetValue", (("pegOffsetType", None),)),
)
_STOP_TYPES = ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
_LIMIT_TYPES = ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")


def _leg(prefix: str, type_param: str) -> tuple[tuple[Rule, ...], tuple[tuple[str, tuple], ...]]:
    """An order list leg's rules (Spot's OCO/OTO/OTOCO tables and parameter notes):
    stop types need a stop price or a trailing delta, limit types a time in force and a
    price, a limit maker a price (or a peg); an iceberg needs GTC (or LIMIT_MAKER)."""
    price = f"{prefix}Price|{prefix}PegPriceType"
    required: tuple[Rule, ...] = (
        (type_param, _STOP_TYPES, (f"{prefix}StopPrice|{prefix}TrailingDelta",)),
        (type_param, _LIMIT_TYPES, (price, f"{prefix}TimeInForce")),
        (type_param, ("LIMIT_MAKER",), (price,)),
        (type_param, ("LIMIT",), (price, f"{prefix}TimeInForce")),
    )
    needs = (
        (
            f"{prefix}IcebergQty",
            ((f"{prefix}TimeInForce", ("GTC",)), (type_param, ("LIMIT_MAKER",))),
        ),
    )
    return required, needs


Rules = Mapping[str, object]
"""One endpoint's rules: ``one_of``, ``exclusive``, ``required_when``, ``forbidden_when``,
``needs`` (see ``aioca.params.TaskParams`` and ``aioca_binance.task.BinanceParams``) and
``sources``: the note or description words each rule comes from (the generator checks
that every rule-like sentence of the spec is accounted for here or in NOT_ENFORCED)."""


def _rules(**rules: object) -> dict[str, object]:
    return rules


_ORDER_ID = (("orderId", "origClientOrderId"),)

RULES: Mapping[str, Mapping[str, Rules]] = {
    "coinm": {
        "GET /dapi/v1/allOrders": _rules(
            one_of=(("symbol", "pair"),),
            exclusive=(("pair", "orderId"),),
            sources=("Either `symbol` or `pair` must be sent", "`pair` can't be sent with"),
        ),
        "DELETE /dapi/v1/batchOrders": _rules(
            one_of=(("orderIdList", "origClientOrderIdList"),),
            sources=("Either `orderIdList` or",),
        ),
        "GET /dapi/v1/openOrder": _rules(one_of=_ORDER_ID, sources=("Either`orderId`",)),
        "DELETE /dapi/v1/order": _rules(one_of=_ORDER_ID, sources=("Either `orderId`",)),
        "GET /dapi/v1/order": _rules(one_of=_ORDER_ID, sources=("Either `orderId`",)),
        "PUT /dapi/v1/order": _rules(
            one_of=(*_ORDER_ID, ("quantity", "price")),
            exclusive=(("price", "priceMatch"),),
            sources=(
                "Either `orderId`",
                "Either `quantity` or `price` must be sent",
                "must be sent together with",
                "Can't be passed together with `price`",
            ),
        ),
        "PUT /dapi/v1/batchOrders": _rules(sources=("Parameter rules are same with",)),
        "PUT /dapi/v1/batchOrders" + ITEM: _rules(
            # "Parameter rules are same with Modify Order" (the PUT batch's notes)
            one_of=(*_ORDER_ID, ("quantity", "price")),
        ),
        "GET /dapi/v1/orderAmendment": _rules(one_of=_ORDER_ID, sources=("Either `orderId`",)),
        "GET /dapi/v1/userTrades": _rules(
            one_of=(("symbol", "pair"),),
            exclusive=(
                ("symbol", "pair"),
                ("pair", "fromId"),
                ("fromId", "startTime"),
                ("fromId", "endTime"),
            ),
            needs=(("orderId", (("symbol", None),)),),
            sources=(
                "Either symbol or pair must be sent",
                "Symbol and pair cannot be sent together",
                "Pair and fromId cannot be sent together",
                "OrderId can only be sent together with symbol",
                "`fromId` cannot be sent with `startTime` or `endTime`",
            ),
        ),
        "GET /dapi/v1/ticker/24hr": _rules(
            exclusive=(("symbol", "pair"),), sources=("Symbol and pair cannot be sent together",)
        ),
        "GET /dapi/v1/ticker/bookTicker": _rules(
            exclusive=(("symbol", "pair"),), sources=("Symbol and pair cannot be sent together",)
        ),
        "GET /dapi/v1/ticker/price": _rules(
            exclusive=(("symbol", "pair"),), sources=("Symbol and pair cannot be sent together",)
        ),
        "POST /dapi/v1/order": _rules(
            required_when=_FUTURES_ORDER_TYPES,
            exclusive=(("price", "priceMatch"),),
            forbidden_when=_CLOSE_ALL,
            sources=(
                "Additional mandatory parameters",
                "Cannot be used with `quantity` parameter",
                "Cannot be used with `reduceOnly` parameter",
                "cannot be sent with `closePosition`=`true`",
                "Cannot be sent with `closePosition`=`true`",
                "Can't be passed together with `price`",
            ),
        ),
        "POST /dapi/v1/batchOrders" + ITEM: _rules(
            # "batchOrders must be a JSON array of order parameter objects": New Order's.
            required_when=_FUTURES_ORDER_TYPES,
            exclusive=(("price", "priceMatch"),),
        ),
        "POST /dapi/v1/algoOrder": _rules(
            required_when=_ALGO_TYPES + _GTD,
            exclusive=(("price", "priceMatch"),),
            forbidden_when=_CLOSE_ALL,
            sources=(
                "Cannot be sent with `closePosition`=`true`",
                "cannot be sent with `closePosition`=`true`",
                "cannot be passed together with `price`",
            ),
        ),
        "DELETE /dapi/v1/algoOrder": _rules(
            one_of=(("algoId", "clientAlgoId"),), sources=("Either `algoId` or `clientAlgoId`",)
        ),
    },
    "usdm": {
        "DELETE /fapi/v1/algoOrder": _rules(
            one_of=(("algoId", "clientAlgoId"),), sources=("Either `algoId` or `clientAlgoId`",)
        ),
        "GET /fapi/v1/algoOrder": _rules(
            one_of=(("algoId", "clientAlgoId"),), sources=("Either `algoId` or `clientAlgoId`",)
        ),
        "POST /fapi/v1/algoOrder": _rules(
            required_when=_ALGO_TYPES + _GTD,
            exclusive=(("price", "priceMatch"),),
            forbidden_when=_CLOSE_ALL,
            sources=(
                "Cannot be used with `quantity` paremeter",
                "Cannot be used with `reduceOnly` parameter",
                "Cannot be sent with `closePosition`=`true`",
                "cannot be sent with `closePosition`=`true`",
                "Can't be passed together with `price`",
                "mandatory when `timeInforce` set to `GTD`",
            ),
        ),
        "DELETE /fapi/v1/batchOrders": _rules(
            one_of=(("orderIdList", "origClientOrderIdList"),),
            sources=("Either `orderIdList` or",),
        ),
        "POST /fapi/v1/batchOrders" + ITEM: _rules(
            # "Paremeter rules are same with New Order" (the batch's notes)
            required_when=_USDM_NEW_ORDER_TYPES + _GTD,
            exclusive=(("price", "priceMatch"),),
        ),
        "POST /fapi/v1/batchOrders": _rules(sources=("Paremeter rules are same with",)),
        "PUT /fapi/v1/batchOrders" + ITEM: _rules(
            # "Parameter rules are same with Modify Order": an order id, and both quantity
            # and price ("Both quantity and price must be sent").
            one_of=(*_ORDER_ID, ("quantity",), ("price",)),
        ),
        "PUT /fapi/v1/batchOrders": _rules(sources=("Parameter rules are same with",)),
        "POST /fapi/v1/convert/getQuote": _rules(
            one_of=(("fromAmount", "toAmount"),),
            exclusive=(("fromAmount", "toAmount"),),
            sources=("Either fromAmount or toAmount should be sent",),
        ),
        "GET /fapi/v1/convert/orderStatus": _rules(
            one_of=(("orderId", "quoteId"),), sources=("Either orderId or quoteId is required",)
        ),
        "GET /fapi/v1/openOrder": _rules(one_of=_ORDER_ID, sources=("Either`orderId`",)),
        "DELETE /fapi/v1/order": _rules(one_of=_ORDER_ID, sources=("Either `orderId`",)),
        "GET /fapi/v1/order": _rules(one_of=_ORDER_ID, sources=("Either `orderId`",)),
        "POST /fapi/v1/order": _rules(
            required_when=_USDM_NEW_ORDER_TYPES + _GTD,
            exclusive=(("price", "priceMatch"),),
            sources=(
                "Additional mandatory parameters",
                "Can't be passed together with `price`",
                "mandatory when `timeInforce` set to `GTD`",
            ),
        ),
        "PUT /fapi/v1/order": _rules(
            one_of=_ORDER_ID,
            sources=("Either `orderId`", "Both `quantity` and `price` must be sent"),
        ),
        "POST /fapi/v1/order/test": _rules(
            required_when=_FUTURES_ORDER_TYPES + _GTD,
            exclusive=(("price", "priceMatch"),),
            forbidden_when=_CLOSE_ALL,
            sources=(
                "Additional mandatory parameters",
                "Cannot be used with `quantity` paremeter",
                "Cannot be used with `reduceOnly` parameter",
                "Cannot be sent with `closePosition`=`true`",
                "cannot be sent with `closePosition`=`true`",
                "Can't be passed together with `price`",
                "mandatory when `timeInforce` set to `GTD`",
            ),
        ),
        "GET /fapi/v1/orderAmendment": _rules(one_of=_ORDER_ID, sources=("Either `orderId`",)),
        "GET /fapi/v1/userTrades": _rules(
            exclusive=(("fromId", "startTime"), ("fromId", "endTime")),
            sources=(
                "The parameter `fromId` cannot be sent with",
                "Must be used together with parameter `symbol`",  # symbol is required
            ),
        ),
    },
    "spot": {
        "GET /api/v3/exchangeInfo": _rules(
            exclusive=(
                ("permissions", "symbol"),
                ("permissions", "symbols"),
                ("symbolStatus", "symbol"),
                ("symbolStatus", "symbols"),
            ),
            sources=(
                "This cannot be used in combination with `symbol` or `symbols`",
                "Cannot be used in combination with `symbols` or `symbol`",
            ),
        ),
        "GET /api/v3/executionRules": _rules(
            exclusive=(
                ("symbol", "symbols"),
                ("symbol", "symbolStatus"),
                ("symbols", "symbolStatus"),
            ),
            sources=("No combination of multiple parameters is allowed",),
        ),
        "GET /api/v3/allOrderList": _rules(
            exclusive=(("fromId", "startTime"), ("fromId", "endTime")),
            sources=("neither startTime or endTime can be provided",),
        ),
        "GET /api/v3/myTrades": _rules(
            exclusive=(
                ("orderId", "startTime"),
                ("orderId", "endTime"),
                ("fromId", "startTime"),
                ("fromId", "endTime"),
            ),
            sources=(
                "These are the supported combinations of all parameters",
                "This can only be used in combination with `symbol`",  # symbol is required
            ),
        ),
        "GET /api/v3/myAllocations": _rules(
            exclusive=(
                ("orderId", "startTime"),
                ("orderId", "endTime"),
                ("fromAllocationId", "startTime"),
                ("fromAllocationId", "endTime"),
            ),
            sources=("Supported parameter combinations",),
        ),
        "DELETE /api/v3/order": _rules(one_of=_ORDER_ID, sources=("Either `orderId`",)),
        "GET /api/v3/order": _rules(one_of=_ORDER_ID, sources=("Either `orderId`",)),
        "PUT /api/v3/order/amend/keepPriority": _rules(
            one_of=_ORDER_ID, sources=("`orderId` or `origClientOrderId` must be sent",)
        ),
        "POST /api/v3/order": _rules(
            required_when=_SPOT_ORDER_TYPES,
            needs=_SPOT_ORDER_NEEDS,
            sources=(
                "additional mandatory parameters",
                "These parameters must be specified together",
                "MUST have `timeInForce` set to `GTC`",
                "If `pegPriceType` is specified, `price` becomes optional",
            ),
        ),
        "POST /api/v3/order/test": _rules(required_when=_SPOT_ORDER_TYPES, needs=_SPOT_ORDER_NEEDS),
        "POST /api/v3/order/cancelReplace": _rules(
            one_of=(("cancelOrderId", "cancelOrigClientOrderId"),),
            required_when=_SPOT_ORDER_TYPES,
            needs=_SPOT_ORDER_NEEDS,
            sources=(
                "additional mandatory parameters are determined by `type`",
                "Either `cancelOrderId` or `cancelOrigClientOrderId` must be sent",
            ),
        ),
        "POST /api/v3/sor/order": _rules(
            required_when=(("type", ("LIMIT",), ("timeInForce", "price")),),
            sources=("only supports `LIMIT` and `MARKET` orders",),
        ),
        "POST /api/v3/sor/order/test": _rules(
            required_when=(("type", ("LIMIT",), ("timeInForce", "price")),),
        ),
        "POST /api/v3/order/oco": _rules(
            needs=(("stopLimitPrice", (("stopLimitTimeInForce", None),)),),
            sources=("If provided, `stopLimitTimeInForce` is required",),
        ),
        "DELETE /api/v3/orderList": _rules(
            one_of=(("orderListId", "listClientOrderId"),),
            sources=("Either `orderListId` or `listClientOrderId` must be provided",),
        ),
        "GET /api/v3/orderList": _rules(
            one_of=(("orderListId", "origClientOrderId"),),
            sources=("`orderListId` or `origClientOrderId` must be provided",),
        ),
        "GET /api/v3/ticker": _rules(
            one_of=(("symbol", "symbols"),),
            exclusive=(("symbol", "symbols"),),
            sources=("Either `symbol` or `symbols` must be provided",),
        ),
        "GET /api/v3/ticker/tradingDay": _rules(
            one_of=(("symbol", "symbols"),),
            exclusive=(("symbol", "symbols"),),
            sources=("Either `symbol` or `symbols` must be provided",),
        ),
        "GET /api/v3/ticker/24hr": _rules(
            exclusive=(("symbol", "symbols"),),
        ),
        "GET /api/v3/ticker/bookTicker": _rules(
            exclusive=(("symbol", "symbols"),),
            sources=("Parameter symbol and symbols cannot be used in combination",),
        ),
        "GET /api/v3/ticker/price": _rules(
            exclusive=(("symbol", "symbols"),),
            sources=("Parameter symbol and symbols cannot be used in combination",),
        ),
    },
}
"""Every rule across parameters Binance documents for an endpoint (or a batch's items)."""


def _spot_lists() -> dict[str, dict[str, object]]:
    """The order lists' rules, leg by leg (each list's legs are named by a prefix)."""
    lists: dict[str, dict[str, object]] = {}
    legs = {
        "POST /api/v3/orderList/oco": (("above", "aboveType"), ("below", "belowType")),
        "POST /api/v3/orderList/oto": (("working", "workingType"), ("pending", "pendingType")),
        "POST /api/v3/orderList/opo": (("working", "workingType"), ("pending", "pendingType")),
        "POST /api/v3/orderList/otoco": (
            ("working", "workingType"),
            ("pendingAbove", "pendingAboveType"),
            ("pendingBelow", "pendingBelowType"),
        ),
        "POST /api/v3/orderList/opoco": (
            ("working", "workingType"),
            ("pendingAbove", "pendingAboveType"),
            ("pendingBelow", "pendingBelowType"),
        ),
    }
    for key, parts in legs.items():
        required: tuple[Rule, ...] = ()
        needs: tuple[tuple[str, tuple], ...] = ()
        for prefix, type_param in parts:
            leg_required, leg_needs = _leg(prefix, type_param)
            required += leg_required
            needs += leg_needs
        lists[key] = {"required_when": required, "needs": needs}
    return lists


SPOT_ORDER_LISTS = _spot_lists()
"""Rules of Spot's order lists, merged into RULES by the generator (each rule is kept
only when the list has the parameters it names: a working order has no stop price)."""

SPOT_ORDER_LIST_SOURCES: Mapping[str, tuple[str, ...]] = {
    "POST /api/v3/orderList/oco": (
        "Either `aboveStopPrice` or `aboveTrailingDelta` or both, must be specified",
        "Either `belowStopPrice` or `belowTrailingDelta` or both, must be specified",
        "Required if `aboveType` is",
        "Required if `belowType` is",
        "this can only be used if `aboveTimeInForce` is `GTC`",
        "this can only be used if `belowTimeInForce` is `GTC`",
        "Can be used if `aboveType` is",
        "Can be used if `belowType` is",
    ),
    "POST /api/v3/orderList/oto": (
        "Mandatory parameters based on `pendingType` or `workingType`",
        "Additional mandatory parameters",
        "some optional parameters will become mandatory",
        "This can only be used if `workingTimeInForce` is `GTC`",
        "This can only be used if `pendingTimeInForce` is `GTC`",
    ),
    "POST /api/v3/orderList/opo": (
        "This can only be used if `workingTimeInForce` is `GTC`",
        "This can only be used if `pendingTimeInForce` is `GTC`",
    ),
    "POST /api/v3/orderList/otoco": (
        "Mandatory parameters based on `pendingAboveType`",
        "Additional mandatory parameters",
        "some optional parameters will become mandatory",
        "This can only be used if `workingTimeInForce` is `GTC`",
        "This can only be used if `pendingAboveTimeInForce` is `GTC`",
        "This can only be used if `pendingBelowTimeInForce` is `GTC`",
        "Required if `pendingAboveType` is",
        "Required if `pendingBelowType` is",
        "Either `pendingBelowStopPrice` or `pendingBelowTrailingDelta` or both",
        "Can be used if `pendingAboveType` is",
        "Can be used if `pendingBelowType` is",
    ),
    "POST /api/v3/orderList/opoco": (
        "This can only be used if `workingTimeInForce` is `GTC`",
        "This can only be used if `pendingAboveTimeInForce` is `GTC`",
        "This can only be used if `pendingBelowTimeInForce` is `GTC`",
        "Required if `pendingAboveType` is",
        "Either `pendingBelowStopPrice` or `pendingBelowTrailingDelta` or both",
        "Can be used if `pendingAboveType` is",
        "Can be used if `pendingBelowType` is",
    ),
}

ANSWER = "says what the answer holds: no rule"

NOT_ENFORCED: Mapping[str, Mapping[str, tuple[tuple[str, str], ...]]] = {
    # (the note's words, why it is not checked before sending): rules that depend on the
    # account's state, on Binance's data, or that the docs contradict.
    "coinm": {
        "GET /dapi/v1/positionRisk": (("If neither `marginAsset` nor `pair` is sent", ANSWER),),
        "GET /dapi/v1/ticker/24hr": (("If either a pair or symbol is sent", ANSWER),),
        "GET /dapi/v1/ticker/bookTicker": (("If either a pair or symbol is sent", ANSWER),),
        "GET /dapi/v1/ticker/price": (("If either a pair or symbol is sent", ANSWER),),
        "GET /dapi/v1/aggTrades": (
            ("please send either `fromId` or", "advice against a timeout, not a refusal"),
        ),
        "POST /dapi/v1/order": (
            ("In Hedge Mode,cannot be used with", "depends on the account's position mode"),
            ("It must be sent in Hedge Mode", "depends on the account's position mode"),
            ("Cannot be sent in Hedge Mode", "depends on the account's position mode"),
            ("cannot be larger than the", "depends on market prices"),
        ),
        "POST /dapi/v1/algoOrder": (
            ("It must be sent in Hedge Mode", "depends on the account's position mode"),
            ("Cannot be sent in Hedge Mode", "depends on the account's position mode"),
        ),
        "POST /dapi/v1/positionMargin": (
            ("It must be sent with Hedge Mode", "depends on the account's position mode"),
        ),
        "POST /dapi/v1/batchOrders": (
            ("must be a JSON array", "the type of batchOrders: a list of orders"),
        ),
    },
    "usdm": {
        "GET /fapi/v1/aggTrades": (
            ("please send either `fromId` or", "advice against a timeout, not a refusal"),
        ),
        "POST /fapi/v1/algoOrder": (
            ("In Hedge Mode,cannot be used with", "depends on the account's position mode"),
            ("It must be sent in Hedge Mode", "depends on the account's position mode"),
            ("Cannot be sent in Hedge Mode", "depends on the account's position mode"),
            ("cannot be larger than the", "depends on market prices"),
        ),
        "POST /fapi/v1/order": (
            ("It must be sent in Hedge Mode", "depends on the account's position mode"),
            ("Cannot be sent in Hedge Mode", "depends on the account's position mode"),
        ),
        "POST /fapi/v1/order/test": (
            ("In Hedge Mode,cannot be used with", "depends on the account's position mode"),
            ("It must be sent in Hedge Mode", "depends on the account's position mode"),
            ("Cannot be sent in Hedge Mode", "depends on the account's position mode"),
            ("cannot be larger than the", "depends on market prices"),
        ),
        "PUT /fapi/v1/order": (
            (
                "cannot be sent with `closePosition=true`",
                "this endpoint takes no closePosition (a copy of New Order's words)",
            ),
            (
                "Can't be passed together with `price`",
                "price is mandatory here: the docs contradict each other",
            ),
        ),
        "POST /fapi/v1/positionMargin": (
            ("It must be sent with Hedge Mode", "depends on the account's position mode"),
        ),
        "GET /fapi/v1/convert/exchangeInfo": (
            (
                "User needs to supply either or both",
                "the next note says neither may be sent (partial pairs are returned)",
            ),
        ),
    },
    "spot": {
        "GET /api/v3/exchangeInfo": (
            ("If `permissions` parameter not provided", ANSWER),
            ("means you may place an order if your account has either", ANSWER),
        ),
        "GET /api/v3/ticker/24hr": (
            (
                "Either `symbol` or `symbols` must be provided",
                "its weight table prices sending neither (all symbols): the docs contradict",
            ),
        ),
        "POST /api/v3/order": (
            ("can be accepted only when the previous one is filled", "depends on open orders"),
        ),
        "POST /api/v3/order/test": (
            ("can be accepted only when the previous one is filled", "depends on open orders"),
        ),
        "POST /api/v3/sor/order": (
            ("can be accepted only when the previous one is filled", "depends on open orders"),
        ),
        "POST /api/v3/sor/order/test": (
            ("can be accepted only when the previous one is filled", "depends on open orders"),
        ),
        "POST /api/v3/orderList/oco": (
            ("is accepted only when the previous one is filled", "depends on open order lists"),
        ),
        "POST /api/v3/orderList/oto": (
            ("is accepted only when the previous one is filled", "depends on open order lists"),
        ),
        "POST /api/v3/orderList/opo": (
            ("is accepted only when the previous one is filled", "depends on open order lists"),
        ),
        "POST /api/v3/orderList/otoco": (
            ("is accepted only when the previous one is filled", "depends on open order lists"),
        ),
        "POST /api/v3/orderList/opoco": (
            ("is accepted only when the previous one is filled", "depends on open order lists"),
        ),
        "PUT /api/v3/order/amend/keepPriority": (
            ("must be greater than 0 and less than the order's quantity", "depends on the order"),
        ),
    },
}
"""Rule-like sentences of the spec deliberately not checked before sending, and why."""
