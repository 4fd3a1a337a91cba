"""Staying inside an exchange's request limits: weight-aware, fair, shared, self-correcting.

A :class:`RateLimiter` holds one or more :class:`Window` budgets ("2400 weight per minute",
"20 requests per 2 seconds"). Every request acquires its cost in each window before it is
sent; when a budget is spent the request waits, first come first served, for the window to
roll over. Windows are fixed and aligned to the clock, which is how weight-counting
exchanges count (a minute window resets on the minute), so the full budget is usable
without ever crossing the exchange's own count.

The exchange's own figures win: after every response the limiter reads the usage headers
its windows name (a used-weight-per-minute header...), so weight spent by other processes on the
same IP is respected. A 429 pauses everyone behind the limiter until ``Retry-After``; a 418
(IP ban) makes every request fail at once with :class:`~aioca.errors.IPBannedError` until
the ban ends, rather than hammer the exchange.

One limiter serves every request that shares the budget: the API object makes one per host
by default, and several API objects (several keys on one IP) can be given the same one.
Plugins supply the windows; the core knows no exchange's numbers.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from multidict import istr

from .errors import IPBannedError, RateLimitError

__all__ = ["LimiterStatus", "RateLimiter", "Window", "WindowStatus"]


@dataclass(frozen=True, slots=True)
class Window:
    """A budget of ``limit`` units per ``seconds``, counted in clock-aligned windows.

    ``name`` identifies the window; ``unit`` is what requests charge to it
    (``"REQUEST_WEIGHT"``, ``"ORDERS"``, or an endpoint's own name for per-endpoint limits;
    the name when not given), so several windows can count one unit over different
    periods (orders per 10 s and per minute). ``header``, when set, is the response header
    in which the exchange reports this window's usage. ``scope`` says what the exchange
    counts the window for: ``"ip"`` (the address requests leave from: request weight) or
    ``"account"`` (the API key's account, whatever the address: order counts). A limiter in
    one process holds what it is given either way; a shared limiter
    (:mod:`aioca.limits`) keys its counters by it.
    """

    name: str
    limit: int
    seconds: float
    header: str | None = None
    unit: str | None = None
    scope: str = "ip"

    @property
    def charges(self) -> str:
        """The unit requests charge to this window."""
        return self.unit or self.name

    def __post_init__(self) -> None:
        if self.limit <= 0 or self.seconds <= 0:
            raise ValueError(f"window {self.name!r} needs a positive limit and length")
        if self.scope not in ("ip", "account"):
            raise ValueError(f"window {self.name!r}: scope must be 'ip' or 'account'")


@dataclass(frozen=True, slots=True)
class WindowStatus:
    """A window as dashboards see it: units ``used`` of ``limit``, and seconds until reset."""

    name: str
    used: int
    limit: int
    resets_in: float


@dataclass(frozen=True, slots=True)
class LimiterStatus(Sequence[WindowStatus]):
    """A limiter as dashboards see it: its windows (it is a sequence of their
    :class:`WindowStatus`), and whether it holds every request: ``paused_until`` (after an
    HTTP 429) and ``banned_until`` (after a 418), on the limiter's clock, ``None`` when
    not held; ``waiting`` requests queued for admission."""

    windows: tuple[WindowStatus, ...]
    paused_until: float | None = None
    banned_until: float | None = None
    waiting: int = 0

    @overload
    def __getitem__(self, index: int) -> WindowStatus: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[WindowStatus]: ...
    def __getitem__(self, index: int | slice) -> WindowStatus | Sequence[WindowStatus]:
        return self.windows[index]

    def __len__(self) -> int:
        return len(self.windows)


class _Counter:
    """One window's usage: the current clock-aligned window, the one before it, and what
    is already charged to the one after it (requests sent just before a boundary)."""

    __slots__ = (
        "begins",
        "ends",
        "following",
        "index",
        "limit",
        "previous",
        "seconds",
        "unit",
        "used",
        "window",
    )

    def __init__(self, window: Window) -> None:
        self.window = window
        # Read for every request: kept here rather than behind the window's attributes.
        self.unit = window.charges
        self.limit = window.limit
        self.seconds = window.seconds
        self.index = -1
        self.used = 0
        self.previous = 0
        self.following = 0
        self.begins = math.inf
        self.ends = -math.inf
        """When the current window begins and ends: in between, roll() has nothing to do."""

    def roll(self, now: float) -> None:
        if self.begins <= now < self.ends:
            return  # still the current window: the path of almost every request
        seconds = self.seconds
        index = math.floor(now / seconds)
        if (index + 1) * seconds <= now:  # 4.3 / 0.1 is 42.999...: it is window 43
            index += 1
        if index != self.index:
            if index == self.index + 1:
                self.previous, self.used = self.used, self.following
            elif index == self.index + 2:
                self.previous, self.used = self.following, 0
            else:
                self.previous = self.used = 0
            self.following = 0
            self.index = index
        # Floats, whatever the window's length: admission compares them with the clock's
        # float on every request, and a comparison or subtraction mixing an int and a
        # float costs several times one between floats (the same values: window bounds
        # are far below 2**53).
        self.begins = float(index * seconds)
        self.ends = float((index + 1) * seconds)

    def start(self) -> float:
        return self.index * self.seconds

    def next_start(self) -> float:
        return (self.index + 1) * self.seconds


class RateLimiter:
    """Fair, async, weight-aware admission for the requests that share a set of budgets.

    ``clock`` returns the current time in seconds on the exchange's clock (defaults to
    ``time.time``; an API that knows its offset from the server passes its own), and
    ``sleep`` is how the limiter waits (``asyncio.sleep``; a test passes a fake clock's).
    ``safety`` is a margin in seconds on both sides of each window boundary. Just after
    one, the exchange, whose clock may lag ours, may still count the old window; just
    before one, a request may reach the exchange (or its clock may run ahead of ours) after
    the new window began. A request sent within ``safety`` of a boundary must fit both
    windows and is charged to both.
    """

    def __init__(
        self,
        windows: Iterable[Window],
        *,
        clock: Callable[[], float] = time.time,
        safety: float = 0.25,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.safety = safety
        self._counters: dict[str, _Counter] = {}
        self.set_windows(windows)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._sleeper: asyncio.Future[None] | None = None
        self._paused_until = 0.0
        self._banned_until = 0.0
        self._ban_message = ""

    # --- configuration -------------------------------------------------------------------

    def set_windows(self, windows: Iterable[Window]) -> None:
        """Replace the budgets (e.g. with the live limits an exchange reports), keeping the
        usage already counted in windows of the same name and length."""
        counters: dict[str, _Counter] = {}
        for window in windows:
            old = self._counters.get(window.name)
            counter = _Counter(window)
            if old is not None and old.window.seconds == window.seconds:
                counter.index, counter.used = old.index, old.used
                counter.previous, counter.following = old.previous, old.following
            counters[window.name] = counter
        self._counters = counters
        self._counted = tuple(counters.values())
        # As multidict's case-insensitive strings: a response's headers find one of them
        # several times faster than a plain str, which they must fold first (a plain
        # mapping sees the same str).
        self._headers = tuple(
            (counter, istr(counter.window.header))
            for counter in self._counted
            if counter.window.header is not None
        )
        self.reads_headers: bool = bool(self._headers)
        """Whether any window reconciles with a response header (see :meth:`observe`)."""

    @property
    def windows(self) -> tuple[Window, ...]:
        return tuple(counter.window for counter in self._counters.values())

    # --- admission -----------------------------------------------------------------------

    def _in_margin(self, counter: _Counter, now: float) -> bool:
        """Whether ``now`` is so close after a window boundary that the exchange, whose
        clock may lag ours by up to ``safety``, may still be counting the previous window."""
        return now - counter.start() < self.safety

    def _in_tail(self, counter: _Counter, now: float) -> bool:
        """Whether ``now`` is so close before a window boundary that a request sent now
        may be counted in the next window (it arrives late, or the exchange's clock runs
        ahead of ours by up to ``safety``)."""
        return counter.next_start() - now < self.safety

    def _delay(
        self, costs: Mapping[str, int], now: float | None = None, max_wait: float | None = None
    ) -> float:
        """Seconds to wait before ``costs`` fit (0 when they fit now); raises when banned,
        and when a pause (HTTP 429) would hold the request longer than ``max_wait``."""
        if now is None:
            now = self.clock()
        if now < self._banned_until:
            raise IPBannedError(
                self._ban_message or "this IP is banned by the exchange",
                until=self._banned_until,
                retry_after=self._banned_until - now,
            )
        wait = max(0.0, self._paused_until - now)
        if max_wait is not None and wait > max_wait:
            raise RateLimitError(
                f"the exchange asked for a pause of {wait:.1f} s more (HTTP 429), longer "
                f"than this request may wait ({max_wait:.1f} s)",
                retry_after=wait,
            )
        for name, counter in self._counters.items():
            cost = costs.get(counter.unit, 0)
            if cost <= 0:
                continue
            counter.roll(now)
            limit = counter.limit
            if cost > limit:
                raise ValueError(
                    f"a request costing {cost} can never fit window {name!r} of {limit}"
                )
            if counter.used + cost > limit:
                wait = max(wait, counter.next_start() - now)
            elif self._in_margin(counter, now) and counter.previous + cost > limit:
                # It fits the new window but maybe not the old one the exchange may still
                # be in: wait out the margin rather than risk a 429.
                wait = max(wait, counter.start() + self.safety - now)
            elif self._in_tail(counter, now) and counter.following + cost > limit:
                # It fits this window but not the next one it may arrive in.
                wait = max(wait, counter.next_start() - now)
        return wait

    def _charge(self, costs: Mapping[str, int], now: float | None = None) -> None:
        if now is None:
            now = self.clock()
        for counter in self._counted:
            cost = costs.get(counter.unit, 0)
            if cost > 0:
                counter.roll(now)
                counter.used += cost
                if self._in_margin(counter, now):
                    counter.previous += cost  # the exchange may count it in either window
                if self._in_tail(counter, now):
                    counter.following += cost  # it may arrive in the next window

    def try_acquire(self, costs: Mapping[str, int]) -> bool:
        """Charge ``costs`` and return ``True`` if they fit right now with nobody queued;
        else change nothing and return ``False`` (then :meth:`acquire` waits its turn).
        The fast path of every request that needs no waiting: no coroutine, no future."""
        if self._waiters:
            return False
        now = self.clock()  # one reading for the check and the charge
        if now < self._banned_until:
            self._delay(costs, now)  # raises IPBannedError, naming the ban
        if now < self._paused_until:
            return False  # acquire() waits out the pause (or refuses one too long)
        # One pass that checks each window (what _delay does, for a request that needs no
        # wait) and charges it (what _charge does), taking back what it charged when a
        # later window refuses (rare: a full window): the path of almost every request,
        # kept to the bone. The margins are _in_margin's and _in_tail's comparisons,
        # inlined (a test walks both paths side by side).
        safety = self.safety
        for counter in self._counted:
            cost = costs.get(counter.unit, 0)
            if cost <= 0:
                continue
            if not counter.begins <= now < counter.ends:
                counter.roll(now)
            limit = counter.limit
            in_margin = now - counter.begins < safety  # the exchange may count the last window
            in_tail = counter.ends - now < safety  # it may arrive in the next window
            if (
                counter.used + cost > limit
                or (in_margin and counter.previous + cost > limit)
                or (in_tail and counter.following + cost > limit)
            ):
                self._take_back(costs, now, counter)
                return False
            counter.used += cost
            if in_margin:
                counter.previous += cost
            if in_tail:
                counter.following += cost
        return True

    def _take_back(self, costs: Mapping[str, int], now: float, refused: _Counter) -> None:
        """Undo what :meth:`try_acquire` charged at ``now`` to the windows before the one
        that ``refused``: the request is charged nothing."""
        safety = self.safety
        for counter in self._counted:
            if counter is refused:
                return
            cost = costs.get(counter.unit, 0)
            if cost > 0:
                counter.used -= cost
                if now - counter.begins < safety:
                    counter.previous -= cost
                if counter.ends - now < safety:
                    counter.following -= cost

    async def acquire(self, costs: Mapping[str, int], max_wait: float | None = None) -> None:
        """Wait until ``costs`` (amounts per unit, see :attr:`Window.charges`) fit in every
        window, then charge them.

        Requests are admitted in the order they asked; a cancelled waiter leaves the queue
        without being charged. Units no window of this limiter counts are ignored.
        ``max_wait`` bounds the wait a pause (HTTP 429) may impose, in seconds: a request
        that would be held longer fails at once with :class:`~aioca.errors.RateLimitError`
        (its ``retry_after`` says how long the pause lasts), never waits in silence.
        Waiting for a window to roll over is queueing, and is not bounded by it.
        """
        if self.try_acquire(costs):
            return
        if max_wait is not None:
            self._delay({}, max_wait=max_wait)  # a pause too long fails before queueing
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            if self._waiters[0] is not turn:
                await turn  # woken when every request ahead has been admitted
            # A time-based wait: the budget frees itself when the window rolls over. The
            # sleep runs as its own task so that a ban (418) can cut it short.
            while (delay := self._delay(costs, max_wait=max_wait)) > 0:
                sleeper = asyncio.ensure_future(self.sleep(delay))
                self._sleeper = sleeper
                try:
                    await asyncio.wait((sleeper,))
                finally:
                    self._sleeper = None
                    sleeper.cancel()
            self._charge(costs)
        finally:
            self._waiters.remove(turn)
            if self._waiters and not self._waiters[0].done():
                self._waiters[0].set_result(None)

    # --- what the exchange says ------------------------------------------------------------

    def observe(self, headers: Mapping[str, str], sent_at: float | None = None) -> None:
        """Reconcile with the usage the exchange reports in a response's headers: the
        exchange's count wins when it is higher (other processes share the budget).

        ``sent_at`` is the limiter-clock time the request was sent; a count is only
        applied when the request was sent in the current window, clear of its margin, since
        otherwise it may describe the previous window."""
        now: float | None = None
        for counter, header in self._headers:
            value = headers.get(header)
            if value is None:
                continue
            try:
                used = int(value)
            except ValueError:
                continue
            if now is None:
                now = self.clock()  # read once, and only when there is a count to apply
            if not counter.begins <= now < counter.ends:
                counter.roll(now)
            # The window's bounds, as start() and next_start() give them once rolled.
            if sent_at is not None and (
                sent_at < counter.begins + self.safety or sent_at >= counter.ends
            ):
                continue
            if used > counter.used:
                counter.used = used

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (after an HTTP 429 with ``Retry-After``).
        The caller bounds it (``RestApi``'s ``max_pause``); non-finite values are refused."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"a pause must be a finite number of seconds, not {seconds!r}")
        until = self.clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            if self._sleeper is not None:
                self._sleeper.cancel()  # the waiting request measures its wait again

    def ban(self, until: float, message: str = "") -> None:
        """Refuse every request until Unix time ``until`` (after an HTTP 418)."""
        self._banned_until = max(self._banned_until, until)
        self._ban_message = message
        if self._sleeper is not None:
            self._sleeper.cancel()  # the request waiting for its window fails now

    @property
    def banned_until(self) -> float | None:
        """When the current ban (HTTP 418) ends, on the limiter's clock; ``None``: none."""
        return self._banned_until if self._banned_until > self.clock() else None

    @property
    def paused_until(self) -> float | None:
        """When the current pause (HTTP 429) ends, on the limiter's clock; ``None``: none."""
        return self._paused_until if self._paused_until > self.clock() else None

    @property
    def waiting(self) -> int:
        """How many requests are queued for admission."""
        return len(self._waiters)

    def status(self) -> LimiterStatus:
        """Usage of each window now, and any pause or ban, for dashboards and the CLI."""
        now = self.clock()
        result = []
        for counter in self._counters.values():
            counter.roll(now)
            result.append(
                WindowStatus(
                    counter.window.name,
                    counter.used,
                    counter.window.limit,
                    max(0.0, counter.next_start() - now),
                )
            )
        return LimiterStatus(
            tuple(result),
            paused_until=self._paused_until if self._paused_until > now else None,
            banned_until=self._banned_until if self._banned_until > now else None,
            waiting=self.waiting,
        )

    def __repr__(self) -> str:
        status = self.status()
        parts: list[Any] = [f"{s.name}={s.used}/{s.limit}" for s in status]
        now = self.clock()
        if status.paused_until is not None:
            parts.append(f"paused={status.paused_until - now:.1f}s")
        if status.banned_until is not None:
            parts.append(f"banned={status.banned_until - now:.1f}s")
        return f"<RateLimiter {' '.join(parts)} waiting={self.waiting}>"
