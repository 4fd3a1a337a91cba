"""The entry point (group ``aioca``, name ``binance-sim``): adds ``aioca sim binance``.

The simulator is its own distribution so that installing the client does not install a
server; with this package installed the command line offers it.
"""

from __future__ import annotations

from aioca import hookimpl
from aioca.hookspecs import RegisterCommand

__all__ = ["register_commands"]


@hookimpl
def register_commands(register: RegisterCommand) -> None:
    """Add ``aioca sim binance`` (click is imported only by the command line)."""
    from .command import sim_command

    register("sim", sim_command)
