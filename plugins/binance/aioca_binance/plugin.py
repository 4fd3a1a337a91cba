"""The plugin entry point: registers the exchange ``binance`` with aioca."""

from __future__ import annotations

from aioca import hookimpl
from aioca.hookspecs import RegisterCommand, RegisterExchange

__all__ = ["register_commands", "register_exchanges"]


@hookimpl
def register_exchanges(register: RegisterExchange) -> None:
    """Register ``binance``: :class:`BinanceRestApi` and the COIN-M task catalog."""
    from .api import BinanceRestApi
    from .coinm import CATALOG

    register("binance", BinanceRestApi, CATALOG)


@hookimpl
def register_commands(register: RegisterCommand) -> None:
    """Add ``aioca sim binance`` and ``aioca demo binance`` (imported only by the CLI)."""
    from .cli import demo_command, sim_command

    register("sim", sim_command)
    register("demo", demo_command)
