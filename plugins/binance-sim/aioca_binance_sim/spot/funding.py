"""Deposits, withdrawals and external locks of the simulated Spot account (``sim.spot``).

Binance's Spot API moves no money in or out of an account (the documented Spot REST
endpoints have no deposit, withdrawal or transfer; those belong to the wallet's
``/sapi`` API), so the simulator offers them as methods for tests: the free balance
changes at once (``GET /api/v3/account`` shows it), and every WebSocket API user-data
subscription receives ``balanceUpdate`` then ``outboundAccountPosition`` with the asset,
as Binance sends them for a deposit, a withdrawal or a transfer.

Likewise nothing in the Spot API locks a balance from outside Spot trading, which Binance
announces with ``externalLockUpdate`` ("sent when part of your spot wallet balance is
locked/unlocked by an external system", for instance another product using it as
collateral): ``lock_externally(asset, delta)`` moves ``delta`` from free to locked (a
negative ``delta`` moves it back), REST's account shows the new locked amount, and the
subscriptions receive ``externalLockUpdate`` then ``outboundAccountPosition``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .engine import SpotEngine

__all__ = ["SpotFunding"]

_PLACES = 8
"""Binance's Spot balances carry 8 decimals."""
_CROSS_THREAD_TIMEOUT = 30.0
_T = TypeVar("_T")


def _runs_on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether this thread is running ``loop``."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class SpotFunding:
    """``sim.spot``: money in and out of the Spot account, and locked from outside it, by
    hand."""

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

    def lock_externally(self, asset: str, delta: Decimal | str | int) -> tuple[Decimal, Decimal]:
        """Lock ``delta`` of ``asset``'s free balance from outside Spot trading (a negative
        ``delta`` unlocks what was so locked; never what open orders hold: ``ValueError``
        when too little is free, or locked this way); returns the new ``(free, locked)``."""
        value = _checked(asset, delta, self._assets(), signed=True)

        def change() -> tuple[Decimal, Decimal]:
            self.engine.lock_externally(asset, value, self._caught_up())
            return self.balance(asset)

        return self._on_loop(change)

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """The ``(free, locked)`` balance of ``asset``."""
        engine = self.engine
        return engine.free.get(asset, Decimal(0)), engine.locked.get(asset, Decimal(0))

    def _fund(self, asset: str, amount: Decimal | str | int, sign: int) -> Decimal:
        value = _checked(asset, amount, self._assets())

        def change() -> Decimal:
            self.engine.fund(asset, value * sign, self._caught_up())
            return self.engine.free[asset]

        return self._on_loop(change)

    def _on_loop(self, change: Callable[[], _T]) -> _T:
        """``change()`` run on the simulator's loop (waited for from another thread)."""
        loop = self.loop()
        if loop is not None and loop.is_running() and not _runs_on(loop):
            done: concurrent.futures.Future[_T] = concurrent.futures.Future()

            def run() -> None:
                try:
                    done.set_result(change())
                except Exception as error:  # handed to the calling thread
                    done.set_exception(error)

            loop.call_soon_threadsafe(run)
            return done.result(_CROSS_THREAD_TIMEOUT)
        return change()

    def _caught_up(self) -> int:
        """Now, once resting orders have filled up to now: the events stay in time order."""
        now = self.now_ms()
        self.engine.catch_up(now)
        return now

    def _assets(self) -> set[str]:
        engine = self.engine
        listed = {spec.base for spec in engine.symbols.values()}
        return listed | {spec.quote for spec in engine.symbols.values()} | set(engine.free)


def _checked(
    asset: str, amount: Decimal | str | int, assets: set[str], *, signed: bool = False
) -> Decimal:
    """``amount`` as a Decimal, after naming every problem with the two at once; a
    ``signed`` amount may be negative, never zero."""
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
        if not value.is_finite() or value == 0 or (value < 0 and not signed):
            kind = "a non-zero" if signed else "a positive"
            problems.append(f"amount {amount!r} is not {kind} number")
        elif value != value.quantize(Decimal(1).scaleb(-_PLACES)):
            problems.append(f"amount {amount!r} has more than {_PLACES} decimals")
    if problems:
        raise ValueError("; ".join(problems))
    assert value is not None
    return value
