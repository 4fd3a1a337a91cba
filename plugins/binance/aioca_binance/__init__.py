"""aioca's Binance plugin: ``BinanceRestApi`` and, in :mod:`aioca_binance.coinm`, the COIN-M
futures task catalog.

Installed, it registers the exchange ``binance`` with aioca (entry-point group ``aioca``),
so ``aioca.exchange("binance", api_key=..., api_secret=...)`` returns a ``BinanceRestApi``.

The names below are imported on first use (PEP 562): ``aioca.exchange("binance")`` needs
only the API class, and importing the task base would load pydantic's models, a third of
the start-up time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aioca.lazy import lazy_exports

from ._version import __version__
from .seed import install_seed_aliases

install_seed_aliases()  # the seed's Task.set_default_binance_API and task.binance_API

if TYPE_CHECKING:
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

_EXPORTS = {
    "MAINNET_URLS": "api",
    "TESTNET_URLS": "api",
    "BinanceRestApi": "api",
    "ByLimit": "endpoint",
    "BySymbol": "endpoint",
    "BySymbolOrPair": "endpoint",
    "Endpoint": "endpoint",
    "Security": "endpoint",
    "BinanceParams": "task",
    "BinanceTask": "task",
    "Texts": "task",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
