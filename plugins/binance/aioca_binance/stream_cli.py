"""``aioca stream binance`` and ``aioca book binance``: a stream's messages, a live book.

Imported only by the ``aioca`` command line. Both stop after ``--count`` items (forever
by default, Ctrl-C ends them) and print every gap and resync, so a broken connection is
never mistaken for a quiet market. A stream that cannot go on (a refused handshake, a
refused subscription, an exchange error) ends the command with one line on stderr, the
way the core's commands fail: exit code 2 for bad input (streams Binance does not know,
several streams with ``--raw``), 1 for the others.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, NoReturn

import click

__all__ = ["book_command", "stream_command"]

_MARKETS = click.Choice(["spot", "usdm", "coinm"])


def _text(data: Any) -> str:
    if hasattr(data, "model_dump"):
        data = data.model_dump(by_alias=True, exclude_none=True, mode="json")
    elif isinstance(data, list):
        data = [
            item.model_dump(by_alias=True, exclude_none=True, mode="json")
            if hasattr(item, "model_dump")
            else item
            for item in data
        ]
    return json.dumps(data, separators=(",", ":"), default=str)


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main``; a typed error is one line on stderr and a non-zero exit, never a
    traceback (the error says what went wrong; its frames are aioca's, not the user's)."""
    from aioca.errors import AiocaError
    from aioca.stream import SubscriptionError

    try:
        asyncio.run(main)
    except SubscriptionError as exc:
        _fail(str(exc), 2)
    except AiocaError as exc:
        _fail(f"{type(exc).__name__}: {exc}", 1)
    except KeyboardInterrupt:  # pragma: no cover - interactive: Ctrl-C ends it quietly
        pass


def _fail(message: str, code: int) -> NoReturn:
    click.echo("error: " + " ".join(message.split()), err=True)
    raise click.exceptions.Exit(code)


_ATTEMPTS = click.option(
    "--max-attempts",
    type=click.IntRange(1),
    default=None,
    help="Give up (exit 1) after this many failed connection attempts in a row; "
    "by default retry forever (each failed attempt is a warning on stderr).",
)


def _settings(market: str, max_attempts: int | None) -> Any:
    """``market``'s stream settings, giving up after ``max_attempts`` when given."""
    from .streams import market_settings

    return market_settings(market, max_attempts=max_attempts)


@click.command("binance")
@click.argument("streams", nargs=-1, required=True)
@click.option("--market", type=_MARKETS, default="spot", show_default=True)
@click.option("--url", default=None, help="WebSocket base URL (a simulator: ws://127.0.0.1:8080).")
@click.option("--testnet", is_flag=True, help="Binance's testnet.")
@click.option("--count", type=click.IntRange(1), default=None, help="Stop after this many.")
@click.option(
    "--raw",
    is_flag=True,
    help="Binance's raw form, /ws/<stream>, whose frames are the bare payloads: one stream "
    "only (by default the combined form, /stream?streams=..., any number).",
)
@_ATTEMPTS
def stream_command(
    streams: tuple[str, ...],
    market: str,
    url: str | None,
    testnet: bool,
    count: int | None,
    raw: bool,
    max_attempts: int | None,
) -> None:
    """Print Binance STREAMS (btcusdt@aggTrade, btcusdt@depth@100ms...) as they come:
    one line per message, ``<stream> <payload JSON>``, and a line for every gap."""
    from aioca.stream import Gap

    from .streams import market_stream

    if raw and len(streams) > 1:
        # Refused here, before anything connects, in the command's own words: the
        # protocol's refusal would point at its Python argument (combined=True).
        _fail(
            f"--raw opens one stream, not {len(streams)} ({', '.join(streams)}): "
            "leave out --raw for several (the combined form)",
            2,
        )

    async def run() -> None:
        printed = 0
        settings = _settings(market, max_attempts)
        stream = market_stream(
            market,
            *streams,
            base_url=url,
            testnet=testnet,
            settings=settings,
            combined=not raw,
        )
        async with stream:
            async for item in stream:
                if isinstance(item, Gap):
                    click.echo(f"-- {item}", err=True)
                    continue
                click.echo(f"{item.stream} {_text(item.data)}")
                printed += 1
                if count is not None and printed >= count:
                    return

    _run(run())


@click.command("binance")
@click.argument("symbol")
@click.option("--market", type=_MARKETS, default="spot", show_default=True)
@click.option("--url", default=None, help="WebSocket base URL (a simulator).")
@click.option("--rest-url", default=None, help="REST base URL for the snapshots (a simulator).")
@click.option("--testnet", is_flag=True, help="Binance's testnet.")
@click.option("--levels", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--count", type=click.IntRange(1), default=None, help="Stop after this many.")
@_ATTEMPTS
def book_command(
    symbol: str,
    market: str,
    url: str | None,
    rest_url: str | None,
    testnet: bool,
    levels: int,
    count: int | None,
    max_attempts: int | None,
) -> None:
    """A live local order book of SYMBOL: the best LEVELS of each side after every
    update, kept in step with Binance's diff stream and resynced (and said so) on gaps."""
    from .api import BinanceRestApi
    from .streams import LocalOrderBook, Resynced

    async def run() -> None:
        urls = {market: rest_url} if rest_url else None
        async with BinanceRestApi(testnet=testnet, urls=urls) as api:
            settings = _settings(market, max_attempts)
            book = LocalOrderBook(
                market, symbol, api=api, base_url=url, testnet=testnet, settings=settings
            )
            shown = 0
            async with book:
                async for event in book:
                    if isinstance(event, Resynced):
                        click.echo(f"-- synced at {event.update_id} ({event.reason})", err=True)
                    bids, asks = book.depth(levels)
                    click.echo(f"{symbol.upper()} update {book.update_id}")
                    for (bid, bid_qty), (ask, ask_qty) in zip(bids, asks, strict=False):
                        click.echo(f"  {bid_qty:>14} {bid:>14} | {ask:<14} {ask_qty:<14}")
                    shown += 1
                    if count is not None and shown >= count:
                        return

    _run(run())
