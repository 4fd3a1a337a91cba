"""aioca's Binance plugin: ``BinanceRestApi`` and, in :mod:`aioca_binance.coinm`, the COIN-M
futures task catalog.

Installed, it registers the exchange ``binance`` with aioca (entry-point group ``aioca``),
so ``aioca.exchange("binance", api_key=..., api_secret=...)`` returns a ``BinanceRestApi``.
"""

from ._version import __version__
from .api import MAINNET_URLS, TESTNET_URLS, BinanceRestApi
from .endpoint import ByLimit, BySymbol, BySymbolOrPair, Endpoint, Security
from .task import BinanceParams, BinanceTask, Texts

__all__ = [
    "MAINNET_URLS",
    "TESTNET_URLS",
    "BinanceParams",
    "BinanceRestApi",
    "BinanceTask",
    "ByLimit",
    "BySymbol",
    "BySymbolOrPair",
    "Endpoint",
    "Security",
    "Texts",
    "__version__",
]
