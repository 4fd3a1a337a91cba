"""``aioca demo binance``: the seed README's examples, end to end, with no network.

An embedded :class:`~aioca_binance_sim.BinanceSimulator` serves COIN-M on 127.0.0.1 and
the real catalog tasks run against it through the synchronous operator, as the seed shows:
ping and server time in one ``GatherTask``, a ``TaskRing`` of tickers for a few passes,
klines of two symbols concurrently, then a signed account query and a paper order placed
and cancelled, and two streaming scenes: a local order book kept in step with the depth
diff stream, and the account's events (through its listenKey) while a market order fills.
Then one scene per other market: a Spot LIMIT buy filled level by level through the book,
and a USDⓈ-M long opened at 10x leverage with its entry price and unrealized PnL.
``live=True`` runs the read-only part (the book included) against the real Binance instead.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from typing import IO, Any

from aioca import GatherTask, SerialTask, Task, TaskOperator, TaskQueue, TaskRing
from aioca.errors import AiocaError
from aioca.progress import ProgressLine

from .api import BinanceRestApi
from .coinm import (
    CoinMAccountInformation,
    CoinMCancelOrder,
    CoinMFetchKline,
    CoinMFetchTicker,
    CoinMNewOrder,
    CoinMPing,
    CoinMServerTime,
)
from .spot import SpotAccount, SpotDepth, SpotNewOrder
from .usdm import UsdmChangeInitialLeverage, UsdmNewOrder, UsdmPositionInformationV3

__all__ = ["run_demo"]

Print = Callable[[str], None]


def _echo(text: str) -> None:
    print(text, flush=True)


class _Progress:
    """Numbered sections and one line per finished task, with the time the task took."""

    def __init__(self, steps: int, out: Print, live_stream: IO[str] | None = None) -> None:
        self.steps = steps
        self.step = 0
        self.out = out
        self.live_stream = live_stream
        self.started = time.perf_counter()

    def section(self, title: str) -> None:
        self.step += 1
        self.out(f"\n[{self.step}/{self.steps}] {title}")

    def tree(self, tasks: Any) -> None:
        for line in tasks.format_tasks().splitlines():
            self.out(f"    {line}")

    def done(self, task: Any, shown: Any) -> None:
        duration = getattr(task, "duration", None)  # a task's own time; an event has none
        took = f"  ({duration * 1000:,.0f} ms)" if duration is not None else ""
        self.out(f"  ✓ {task}{took}")
        if shown is not None:
            self.out(f"      {shown}")


def _short(value: Any, limit: int = 110) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextmanager
def _target(live: bool, out: Print) -> Iterator[tuple[BinanceRestApi, str | None]]:
    """The API to use and the WebSocket base URL (``None``: Binance's own)."""
    with ExitStack() as stack:
        if live:
            out("aioca demo: Binance COIN-M, live (read-only, public endpoints)")
            yield BinanceRestApi(), None
            return
        from .simulator import background_simulator

        sim = stack.enter_context(background_simulator(seed=7))
        out(f"aioca demo: Binance COIN-M against the embedded simulator at {sim.url}")
        yield sim.api(), sim.ws_url


def run_demo(
    *,
    live: bool = False,
    out: Print = _echo,
    ring_passes: int = 3,
    live_stream: IO[str] | None = None,
) -> int:
    """Run the demo; return the exit status (0 when every step worked). On a terminal
    (``live_stream``, default stderr) the ticker ring keeps a live progress line."""
    with _target(live, out) as (api, ws_url), Task.using_default_api(api):
        progress = _Progress(steps=5 if live else 9, out=out, live_stream=live_stream)
        try:
            _public_part(progress, api, ring_passes)
            _book_part(progress, api, ws_url)
            if not live:
                _signed_part(progress)
                _user_stream_part(progress, api, ws_url)
                _spot_part(progress)
                _usdm_part(progress)
        except AiocaError as exc:
            out(f"  ✗ {type(exc).__name__}: {exc}")
            return 1
    elapsed = time.perf_counter() - progress.started
    out(f"\ndone in {elapsed:.2f} s")
    return 0


def _public_part(progress: _Progress, api: BinanceRestApi, ring_passes: int) -> None:
    progress.section("ping and server time, concurrently (GatherTask)")
    both = GatherTask(CoinMPing(), CoinMServerTime())
    progress.tree(both)
    TaskOperator().run_single_task(both).run()
    progress.done(both, both.result)

    progress.section(f"a ticker ring: {ring_passes} passes, 0.2 s apart (TaskRing)")
    ring = TaskRing(iter_num=ring_passes, iter_interval=0.2)
    ring += CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD")
    ring += CoinMFetchTicker(symbol="ETHUSD_PERP", pair="ETHUSD")
    progress.tree(ring)
    with ProgressLine("ticker ring", apis=[api], stream=progress.live_stream) as line:
        for task in TaskOperator().add_queue(ring).finish_task_generator():
            ticker = task.result[0]
            line.clear()  # the task's line goes above the live line
            progress.done(task, f"{ticker['symbol']} {ticker['price']}")
            line.update(task)

    progress.section("klines of two symbols concurrently, two candles each in series")
    end = int(time.time()) * 1000
    queue = TaskQueue()
    queue += GatherTask(
        *(
            SerialTask(
                CoinMFetchKline(symbol=symbol, interval="1m", limit=1, endTime=end),
                CoinMFetchKline(symbol=symbol, interval="1m", limit=1, endTime=end - 60_000),
            )
            for symbol in ("BTCUSD_PERP", "ETHUSD_PERP")
        )
    )
    progress.tree(queue)
    for gather in TaskOperator().add_queue(queue).finish_task_generator():
        progress.done(gather, None)
        for serial in gather.tasks:  # type: ignore[attr-defined]
            for kline in serial.tasks:
                candle = kline.result[0]
                progress.out(f"      {kline}: open {candle[1]} close {candle[4]}")

    progress.section("typed results: the same klines as models (task.parsed)")
    kline = CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=3)
    TaskOperator().run_single_task(kline).run()
    progress.done(kline, None)
    for candle in kline.parsed:
        progress.out(f"      open_time={candle.open_time} close={candle.close!r}")


def _book_part(progress: _Progress, api: BinanceRestApi, ws_url: str | None) -> None:
    progress.section("streams: a local order book, kept in step with the diff stream")
    from .streams import LocalOrderBook

    async def watch() -> None:
        book = LocalOrderBook("coinm", "BTCUSD_PERP", api=api, limit=100, base_url=ws_url)
        async with api, book:
            event = await book.next(timeout=10)
            progress.done(f"LocalOrderBook(BTCUSD_PERP): {event}", None)
            bids, asks = book.depth(3)
            for (bid, bid_qty), (ask, ask_qty) in zip(bids, asks, strict=False):
                progress.out(f"      {bid_qty:>6} @ {bid:<10} | {ask:>10} @ {ask_qty}")
            progress.out(f"      spread {book.spread()}, {len(book.bids)} bid levels")

    asyncio.run(watch())


def _user_stream_part(progress: _Progress, api: BinanceRestApi, ws_url: str | None) -> None:
    progress.section("streams: the account's own events while an order fills (listenKey)")
    from aioca.stream import Gap

    from .streams import futures_user_stream

    async def watch() -> None:
        async with api, futures_user_stream(api, "coinm", base_url=ws_url) as stream:
            await asyncio.sleep(0.2)  # connected and listening before the order goes in
            order = CoinMNewOrder(
                api=api, symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity=1
            )
            await order.run()
            progress.done(order, f"orderId {order.result['orderId']}")
            for _ in range(3):
                event = await stream.next(timeout=10)
                if isinstance(event, Gap):
                    progress.out(f"      {event}")
                    continue
                kind = event.event_type
                detail = event.order.execution_type if kind == "ORDER_TRADE_UPDATE" else ""
                progress.out(f"      {kind} {detail}".rstrip())

    asyncio.run(watch())


def _spot_part(progress: _Progress) -> None:
    progress.section("Spot: a LIMIT buy through the book's best asks, filled level by level")
    depth = SpotDepth(symbol="BTCUSDT", limit=5)
    TaskOperator().run_single_task(depth).run()
    asks = depth.parsed.asks or []  # optional in the model: Binance documents it always
    progress.done(depth, f"best ask {asks[0].qty} @ {asks[0].price}")
    wanted = asks[0].qty + asks[1].qty / 2  # the first level and half of the second
    order = SpotNewOrder(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="IOC",
        quantity=wanted.quantize(Decimal("0.00001")),
        price=asks[2].price,
        newOrderRespType="FULL",
    )
    before, after = SpotAccount(omitZeroBalances=True), SpotAccount(omitZeroBalances=True)
    TaskOperator().run_single_task(SerialTask(before, order, after)).run()
    progress.done(order, f"{order.result['status']}, {order.result['executedQty']} BTC")
    for fill in order.result.get("fills", []):
        progress.out(f"      fill {fill['qty']} @ {fill['price']} (fee {fill['commission']})")
    progress.done(after, f"BTC {_free(before, 'BTC')} -> {_free(after, 'BTC')}")


def _usdm_part(progress: _Progress) -> None:
    progress.section("USDⓈ-M: a long opened at 10x leverage, its entry price and PnL")
    leverage = UsdmChangeInitialLeverage(symbol="BTCUSDT", leverage=10)
    order = UsdmNewOrder(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.050", newOrderRespType="RESULT"
    )
    position = UsdmPositionInformationV3(symbol="BTCUSDT")
    TaskOperator().run_single_task(SerialTask(leverage, order, position)).run()
    progress.done(leverage, f"leverage {leverage.result['leverage']}x")
    progress.done(order, f"{order.result['status']} at {order.result['avgPrice']}")
    for row in position.parsed:
        progress.done(
            position,
            f"{row.position_amt} BTC entry {row.entry_price} mark {row.mark_price} "
            f"PnL {row.un_realized_profit} USDT",
        )


def _free(account: SpotAccount, asset: str) -> str:
    return next(row["free"] for row in account.result["balances"] if row["asset"] == asset)


def _signed_part(progress: _Progress) -> None:
    progress.section("signed: account, then a paper LIMIT order placed and cancelled")
    account = CoinMAccountInformation()
    TaskOperator().run_single_task(account).run()
    assets = {row["asset"]: row["walletBalance"] for row in account.result["assets"]}
    progress.done(account, _short(assets))

    ticker = CoinMFetchTicker(symbol="BTCUSD_PERP")
    TaskOperator().run_single_task(ticker).run()
    below = (Decimal(ticker.result[0]["price"]) * Decimal("0.9")).quantize(Decimal("0.1"))
    order = CoinMNewOrder(
        symbol="BTCUSD_PERP", side="BUY", type="LIMIT", timeInForce="GTC", quantity=1, price=below
    )
    TaskOperator().run_single_task(order).run()
    progress.done(order, f"orderId {order.result['orderId']} status {order.result['status']}")
    cancel = CoinMCancelOrder(symbol="BTCUSD_PERP", orderId=order.result["orderId"])
    TaskOperator().run_single_task(cancel).run()
    progress.done(cancel, f"status {cancel.result['status']}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_demo(live="--live" in sys.argv[1:]))
