"""The plugin entry point: registers the exchange ``binance`` with aioca."""

from __future__ import annotations

from aioca import hookimpl
from aioca.hookspecs import RegisterExchange

__all__ = ["register_exchanges"]


@hookimpl
def register_exchanges(register: RegisterExchange) -> None:
    """Register ``binance``: :class:`BinanceRestApi` and the COIN-M task catalog."""
    from .api import BinanceRestApi
    from .coinm import CATALOG

    register("binance", BinanceRestApi, CATALOG)
