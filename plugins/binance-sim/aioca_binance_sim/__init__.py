"""An embedded Binance exchange for tests, demos and offline development: Spot, USDⓈ-M
futures and COIN-M futures, each market on a port of its own (``sim.urls``).

``BinanceSimulator`` serves every endpoint of each market's spec on 127.0.0.1 with
Binance's paths, parameters, response shapes, headers and error bodies (an endpoint
whose market has no engine for it yet answers its documented example). COIN-M has
synthetic but
consistent market data (a seeded random walk per pair, the same seed giving the same
data), a paper-trading account (LIMIT and MARKET orders, positions, balances in coin),
Binance's security (API key, HMAC-SHA256 / Ed25519 / RSA signatures, ``recvWindow``) and
rate limits (IP weight, order counts, 429 then 418), and fault injection
(:class:`Faults`: latency, 5xx errors, dropped connections, clock skew)::

    from aioca_binance_sim import BinanceSimulator

    async with BinanceSimulator(seed=7) as sim:
        async with sim.api() as api:
            task = CoinMFetchTicker(symbol="BTCUSD_PERP", api=api)
            print(await task.run())

``serve()`` runs one until SIGINT or SIGTERM (the ``aioca sim binance`` command).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aioca.lazy import lazy_exports

if TYPE_CHECKING:
    from .cli import serve
    from .faults import Faults
    from .limits import Budget
    from .server import BinanceSimulator
    from .stream_faults import StreamFaults
    from .stream_limits import StreamLimits

__all__ = ["BinanceSimulator", "Budget", "Faults", "StreamFaults", "StreamLimits", "serve"]

# Imported on first use: the package's `aioca` entry point (``plugin``) is loaded by every
# ``aioca.exchange()`` call, which must not pay for a server it does not start.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "serve": "cli",
        "Faults": "faults",
        "Budget": "limits",
        "BinanceSimulator": "server",
        "StreamFaults": "stream_faults",
        "StreamLimits": "stream_limits",
    },
    globals(),
)
