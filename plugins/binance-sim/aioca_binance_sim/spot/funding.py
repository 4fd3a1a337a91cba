"""Deposits and withdrawals of the simulated Spot account (``sim.spot``).

Binance's Spot API moves no money in or out of an account (the documented Spot REST
endpoints have no deposit, withdrawal or transfer; those belong to the wallet's
``/sapi`` API), so the simulator offers them as methods for tests: the free balance
changes at once (``GET /api/v3/account`` shows it), and every WebSocket API user-data
subscription receives ``balanceUpdate`` then ``outboundAccountPosition`` with the asset,
as Binance sends them for a deposit, a withdrawal or a transfer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import SpotEngine

__all__ = ["SpotFunding"]

_PLACES = 8
"""Binance's Spot balances carry 8 decimals."""
_CROSS_THREAD_TIMEOUT = 30.0


def _runs_on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether this thread is running ``loop``."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class SpotFunding:
    """``sim.spot``: money in and out of the Spot account, by hand."""

    def __init__(
        self,
        engine: SpotEngine,
        now_ms: Callable[[], int],
        loop: Callable[[], asyncio.AbstractEventLoop | None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.now_ms = now_ms
        self.loop = loop
        """The event loop the simulator serves on (``None`` while it is stopped): a change
        asked from another thread runs there, where the account and its events live."""

    def deposit(self, asset: str, amount: Decimal | str | int) -> Decimal:
        """Credit ``amount`` of ``asset`` (one the Spot market lists) to the free
        balance; returns the new free balance."""
        return self._fund(asset, amount, 1)

    def withdraw(self, asset: str, amount: Decimal | str | int) -> Decimal:
        """Take ``amount`` of ``asset`` from the free balance (never from what open
        orders hold: ``ValueError`` when too little is free); returns the new free
        balance."""
        return self._fund(asset, amount, -1)

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """The ``(free, locked)`` balance of ``asset``."""
        engine = self.engine
        return engine.free.get(asset, Decimal(0)), engine.locked.get(asset, Decimal(0))

    def _fund(self, asset: str, amount: Decimal | str | int, sign: int) -> Decimal:
        value = _checked(asset, amount, self._assets())
        loop = self.loop()
        if loop is not None and loop.is_running() and not _runs_on(loop):
            done: concurrent.futures.Future[Decimal] = concurrent.futures.Future()

            def change() -> None:
                try:
                    done.set_result(self._change(asset, value * sign))
                except Exception as error:  # handed to the calling thread
                    done.set_exception(error)

            loop.call_soon_threadsafe(change)
            return done.result(_CROSS_THREAD_TIMEOUT)
        return self._change(asset, value * sign)

    def _change(self, asset: str, delta: Decimal) -> Decimal:
        now = self.now_ms()
        engine = self.engine
        engine.catch_up(now)  # resting orders fill first: the events stay in time order
        engine.fund(asset, delta, now)
        return engine.free[asset]

    def _assets(self) -> set[str]:
        engine = self.engine
        listed = {spec.base for spec in engine.symbols.values()}
        return listed | {spec.quote for spec in engine.symbols.values()} | set(engine.free)


def _checked(asset: str, amount: Decimal | str | int, assets: set[str]) -> Decimal:
    """``amount`` as a Decimal, after naming every problem with the two at once."""
    problems = []
    if asset not in assets:
        problems.append(f"asset {asset!r} is not one the Spot market lists")
    value: Decimal | None = None
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, str, int)):
        problems.append(f"amount {amount!r} is not a Decimal, str or int")
    else:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            problems.append(f"amount {amount!r} is not a number")
    if value is not None:
        if not value.is_finite() or value <= 0:
            problems.append(f"amount {amount!r} is not a positive number")
        elif value != value.quantize(Decimal(1).scaleb(-_PLACES)):
            problems.append(f"amount {amount!r} has more than {_PLACES} decimals")
    if problems:
        raise ValueError("; ".join(problems))
    assert value is not None
    return value
