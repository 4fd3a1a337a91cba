# Parameter names are OKX's wire names, which are camelCase (N815).
# ruff: noqa: N815
"""OKX public data and market data: the endpoints that need no key, counted per IP.

Rate limits are those of OKX's v5 API page (https://www.okx.com/docs-v5/en/) as of 2024;
where a number is not certain, the endpoint's ``RateLimit.note`` says so.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from aioca.params import Count, Text

from ..api import SERVER_TIME
from ..endpoint import Auth, Endpoint, RateLimit, Scope
from ..task import OkxParams, OkxTask, Texts
from .enums import Bar, DerivativeInstType, InstId, InstType, MarginInstType

__all__ = [
    "OkxFetchCandles",
    "OkxFetchFundingRate",
    "OkxFetchFundingRateHistory",
    "OkxFetchHistoryCandles",
    "OkxFetchInstruments",
    "OkxFetchMarkPrice",
    "OkxFetchOpenInterest",
    "OkxFetchOrderBook",
    "OkxFetchTicker",
    "OkxFetchTickers",
    "OkxFetchTrades",
    "OkxServerTime",
]


def _public(path: str, limit: int, *, key: Text | None = None, note: str = "") -> Endpoint:
    return Endpoint("GET", path, Auth.PUBLIC, RateLimit(limit, 2, Scope.IP, key=key, note=note))


class OkxServerTime(OkxTask):
    """Get the system time (Unix milliseconds, in ``ts``).

    API endpoint: GET /api/v5/public/time
    API doc: https://www.okx.com/docs-v5/en/#public-data-rest-api-get-system-time
    """

    endpoint = SERVER_TIME
    texts = Texts(en="OKX server time", zh="获取OKX服务器时间")

    class Params(OkxParams):
        pass


class OkxFetchInstruments(OkxTask):
    """Get the instruments of one type, with their tick size, lot size and state.

    API endpoint: GET /api/v5/public/instruments
    API doc: https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments
    """

    endpoint = _public("/api/v5/public/instruments", 20, key="instType")
    texts = Texts(en="OKX {instType} instruments", zh="获取OKX {instType} 交易产品信息")

    class Params(OkxParams):
        instType: InstType
        uly: Text | None = None
        instFamily: Text | None = None
        instId: InstId | None = None


class OkxFetchTicker(OkxTask):
    """Get the latest price, best bid and ask, and 24 h volume of one instrument.

    API endpoint: GET /api/v5/market/ticker
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-ticker
    """

    endpoint = _public("/api/v5/market/ticker", 20)
    texts = Texts(en="OKX {instId} ticker", zh="获取OKX {instId} 实时行情")

    class Params(OkxParams):
        instId: InstId


class OkxFetchTickers(OkxTask):
    """Get the tickers of every instrument of one type.

    API endpoint: GET /api/v5/market/tickers
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-tickers
    """

    endpoint = _public("/api/v5/market/tickers", 20)
    texts = Texts(en="OKX {instType} tickers", zh="获取OKX全部 {instType} 行情")

    class Params(OkxParams):
        instType: InstType
        uly: Text | None = None
        instFamily: Text | None = None


class OkxFetchOrderBook(OkxTask):
    """Get the order book of one instrument, ``sz`` levels a side (1 to 400).

    API endpoint: GET /api/v5/market/books
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-order-book
    """

    endpoint = _public("/api/v5/market/books", 40)
    texts = Texts(en="OKX {instId} order book ({sz} levels)", zh="获取OKX {instId} 深度({sz}档)")

    class Params(OkxParams):
        instId: InstId
        sz: Annotated[Count, Field(ge=1, le=400)] | None = None


class OkxFetchCandles(OkxTask):
    """Get recent candlesticks (klines) of one instrument: up to 300, newest first.

    ``after``/``before`` page by timestamp (ms).

    API endpoint: GET /api/v5/market/candles
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-candlesticks
    """

    endpoint = _public("/api/v5/market/candles", 40)
    texts = Texts(en="OKX {instId} {bar} candles", zh="获取OKX {instId} {bar}周期 K线")

    class Params(OkxParams):
        instId: InstId
        bar: Bar | None = None
        after: Count | None = None
        before: Count | None = None
        limit: Annotated[Count, Field(ge=1, le=300)] | None = None


class OkxFetchHistoryCandles(OkxTask):
    """Get older candlesticks (klines) of one instrument: up to 100 a request.

    API endpoint: GET /api/v5/market/history-candles
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-candlesticks-history
    """

    endpoint = _public("/api/v5/market/history-candles", 20)
    texts = Texts(en="OKX {instId} {bar} history candles", zh="获取OKX {instId} {bar}周期 历史K线")

    class Params(OkxParams):
        instId: InstId
        bar: Bar | None = None
        after: Count | None = None
        before: Count | None = None
        limit: Annotated[Count, Field(ge=1, le=100)] | None = None


class OkxFetchTrades(OkxTask):
    """Get the recent trades of one instrument (up to 500).

    API endpoint: GET /api/v5/market/trades
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-trades
    """

    endpoint = _public("/api/v5/market/trades", 100)
    texts = Texts(en="OKX {instId} recent trades", zh="获取OKX {instId} 最新成交")

    class Params(OkxParams):
        instId: InstId
        limit: Annotated[Count, Field(ge=1, le=500)] | None = None


class OkxFetchFundingRate(OkxTask):
    """Get the current and next funding rate of a perpetual swap.

    API endpoint: GET /api/v5/public/funding-rate
    API doc: https://www.okx.com/docs-v5/en/#public-data-rest-api-get-funding-rate
    """

    endpoint = _public("/api/v5/public/funding-rate", 20, key="instId")
    texts = Texts(en="OKX {instId} funding rate", zh="获取OKX {instId} 资金费率")

    class Params(OkxParams):
        instId: InstId


class OkxFetchFundingRateHistory(OkxTask):
    """Get the funding rates of a perpetual swap over the last three months.

    API endpoint: GET /api/v5/public/funding-rate-history
    API doc: https://www.okx.com/docs-v5/en/#public-data-rest-api-get-funding-rate-history
    """

    endpoint = _public(
        "/api/v5/public/funding-rate-history",
        10,
        key="instId",
        note="10/2s per IP + instId as last documented; limit's maximum was 100 before 400",
    )
    texts = Texts(en="OKX {instId} funding rate history", zh="获取OKX {instId} 历史资金费率")

    class Params(OkxParams):
        instId: InstId
        before: Count | None = None
        after: Count | None = None
        limit: Annotated[Count, Field(ge=1, le=400)] | None = None


class OkxFetchMarkPrice(OkxTask):
    """Get the mark price of derivatives and margin instruments.

    API endpoint: GET /api/v5/public/mark-price
    API doc: https://www.okx.com/docs-v5/en/#public-data-rest-api-get-mark-price
    """

    endpoint = _public("/api/v5/public/mark-price", 10, key="instId")
    texts = Texts(
        en="OKX {instType} {instId} mark price", zh="获取OKX {instType} {instId} 标记价格"
    )

    class Params(OkxParams):
        instType: MarginInstType
        uly: Text | None = None
        instFamily: Text | None = None
        instId: InstId | None = None


class OkxFetchOpenInterest(OkxTask):
    """Get the open interest of swaps, futures or options.

    API endpoint: GET /api/v5/public/open-interest
    API doc: https://www.okx.com/docs-v5/en/#public-data-rest-api-get-open-interest
    """

    endpoint = _public(
        "/api/v5/public/open-interest",
        20,
        key="instId",
        note="20/2s per IP + instId as last documented",
    )
    texts = Texts(
        en="OKX {instType} {instId} open interest", zh="获取OKX {instType} {instId} 持仓总量"
    )

    class Params(OkxParams):
        instType: DerivativeInstType
        uly: Text | None = None
        instFamily: Text | None = None
        instId: InstId | None = None
