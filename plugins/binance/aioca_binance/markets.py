"""Binance's markets: the base URL of each (mainnet and testnet) and its server-time path.

Spot (``api.binance.com``, ``/api/v3``), USDⓈ-M futures (``fapi.binance.com``,
``/fapi/v1``) and COIN-M futures (``dapi.binance.com``, ``/dapi/v1``) are separate hosts
with separate rate-limit budgets; an API object talks to all three.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MAINNET_URLS", "MARKETS", "TESTNET_URLS", "TIME_PATHS"]

MARKETS = ("spot", "usdm", "coinm")
"""Binance's markets, by the names ``urls=`` and catalog endpoints use."""

MAINNET_URLS: Mapping[str, str] = {
    "spot": "https://api.binance.com",
    "usdm": "https://fapi.binance.com",
    "coinm": "https://dapi.binance.com",
}
"""Base URLs of Binance's spot, USDⓈ-M futures and COIN-M futures REST APIs."""

TESTNET_URLS: Mapping[str, str] = {
    "spot": "https://testnet.binance.vision",
    "usdm": "https://testnet.binancefuture.com",
    "coinm": "https://testnet.binancefuture.com",
}
"""Base URLs of the same APIs on Binance's testnets."""

TIME_PATHS: Mapping[str, str] = {
    "spot": "/api/v3/time",
    "usdm": "/fapi/v1/time",
    "coinm": "/dapi/v1/time",
}
"""Each market's server-time endpoint (what the API's clock reads)."""
