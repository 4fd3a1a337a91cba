"""The plugin entry point: registers the exchange ``binance`` with aioca."""

from __future__ import annotations

from aioca import hookimpl
from aioca.hookspecs import RegisterCommand, RegisterExchange

__all__ = ["register_commands", "register_exchanges"]


@hookimpl
def register_exchanges(register: RegisterExchange) -> None:
    """Register ``binance``: :class:`BinanceRestApi` and the task catalogs of every market
    (Spot, USDⓈ-M and COIN-M futures)."""
    from .api import BinanceRestApi
    from .catalog import CATALOG

    register("binance", BinanceRestApi, CATALOG)


@hookimpl
def register_commands(register: RegisterCommand) -> None:
    """Add ``aioca demo binance``, ``aioca stream binance``, ``aioca book binance`` and
    ``aioca history binance`` (imported only by the CLI). ``aioca sim binance`` comes with
    the simulator's distribution, ``aioca-binance-sim``."""
    from .cli import demo_command
    from .history_cli import history_command
    from .stream_cli import book_command, stream_command

    register("demo", demo_command)
    register("stream", stream_command)
    register("book", book_command)
    register("history", history_command)
