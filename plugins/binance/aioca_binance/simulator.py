"""Where the client finds its simulator: the separate distribution ``aioca-binance-sim``.

The demo and the pytest fixtures run against the simulator, but installing the client
must not install a server, so they import it here, late, and say what to install when it
is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aioca_binance_sim import BinanceSimulator

__all__ = ["INSTALL_HINT", "SimulatorNotInstalledError", "background_simulator"]

INSTALL_HINT = (
    "the Binance simulator is a separate distribution: "
    'pip install "aioca-binance[test]" (or aioca-binance-sim)'
)


class SimulatorNotInstalledError(ModuleNotFoundError):
    """The simulator's distribution is missing; the message says what to install."""


@contextmanager
def background_simulator(**options: Any) -> Iterator[BinanceSimulator]:
    """``aioca_binance_sim.background.background_simulator(**options)``, or
    :class:`SimulatorNotInstalledError` naming the distribution to install."""
    try:
        from aioca_binance_sim.background import background_simulator as start
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("aioca_binance_sim"):
            raise
        raise SimulatorNotInstalledError(INSTALL_HINT, name=exc.name) from None
    with start(**options) as simulator:
        yield simulator
