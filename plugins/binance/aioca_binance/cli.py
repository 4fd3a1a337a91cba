"""The Binance plugin's command ``aioca demo binance`` (``aioca sim binance`` comes with the
simulator's own distribution, ``aioca-binance-sim``).

Imported only by the ``aioca`` command line (through the ``register_commands`` hook), so
neither click nor the simulator is loaded when a program merely uses the exchange.
"""

from __future__ import annotations

import sys

import click

__all__ = ["demo_command"]


@click.command("binance")
@click.option("--live", is_flag=True, help="Run the read-only part against the real Binance.")
@click.option("--passes", default=3, show_default=True, help="Passes of the ticker ring.")
@click.pass_context
def demo_command(ctx: click.Context, live: bool, passes: int) -> None:
    """The seed README's examples against an embedded simulator (no network)."""
    from .demo import run_demo
    from .simulator import SimulatorNotInstalledError

    live = live or bool((ctx.obj or {}).get("live"))
    try:
        status = run_demo(live=live, out=click.echo, ring_passes=passes)
    except SimulatorNotInstalledError as exc:
        raise click.ClickException(str(exc)) from None
    if status:
        sys.exit(status)
