# Parameter names are OKX's wire names, which are camelCase (N815).
# ruff: noqa: N815
"""OKX trading account: balances and positions (private, counted per user id)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from aioca.params import Text

from ..endpoint import Auth, Endpoint, RateLimit, Scope
from ..task import OkxParams, OkxTask, Texts

__all__ = ["OkxFetchBalance", "OkxFetchPositions"]


class OkxFetchBalance(OkxTask):
    """Get the trading account's equity and balances, of every currency or of ``ccy``.

    ``ccy`` takes up to 20 currencies, comma-separated: ``"BTC,ETH"``.

    API endpoint: GET /api/v5/account/balance
    API doc: https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-balance
    """

    endpoint = Endpoint(
        "GET", "/api/v5/account/balance", Auth.PRIVATE, RateLimit(10, 2, Scope.USER)
    )
    texts = Texts(en="OKX account balance ({ccy})", zh="获取OKX账户余额({ccy})")

    class Params(OkxParams):
        ccy: Annotated[str, Field(pattern=r"^[A-Za-z0-9]+(,[A-Za-z0-9]+){0,19}$")] | None = None


class OkxFetchPositions(OkxTask):
    """Get the open positions (all, of ``instType``, or of ``instId``).

    API endpoint: GET /api/v5/account/positions
    API doc: https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-positions
    """

    endpoint = Endpoint(
        "GET", "/api/v5/account/positions", Auth.PRIVATE, RateLimit(10, 2, Scope.USER)
    )
    texts = Texts(en="OKX positions ({instType} {instId})", zh="获取OKX持仓({instType} {instId})")

    class Params(OkxParams):
        instType: Annotated[str, Field(pattern=r"^(MARGIN|SWAP|FUTURES|OPTION)$")] | None = None
        instId: Annotated[str, Field(pattern=r"^[A-Z0-9-]+(,[A-Z0-9-]+){0,9}$")] | None = None
        posId: Text | None = None
