"""One rate-limit budget for every process and machine: counters in Redis.

``pip install "aioca-core[redis]"``. A :class:`RedisBackend` is given to API objects as
``limiter_backend=``; every API object of every process that uses the same Redis (and
prefix) then charges the same counters::

    backend = RedisBackend("redis://127.0.0.1:6379/0")
    api = MyExchangeApi(key, secret, limiter_backend=backend.bind(account="main"))

What it keeps, per exchange host:

* **weight per egress address** (:attr:`Window.scope <aioca.Window.scope>` ``"ip"``): the
  label of the address requests leave from: ``local_address`` when the API binds one, else
  the backend's ``egress`` label (one per machine by default: set the same label on
  machines that share a NAT address);
* **order counts per account** (scope ``"account"``): the ``account`` label given to
  :meth:`RedisBackend.bind` (API keys of one account share it), else the egress label;
* **pauses (HTTP 429) and bans (HTTP 418)** per egress address: a ban seen by one process
  stops every process at once (published on a channel, not only stored), until its end;
* **which processes share each budget** (per egress address, per account): a membership
  each renews while Redis answers, for the share each takes when it stops answering
  (:mod:`aioca.limits.membership`);
* **shared values**: the exchange's clock offset (one sync for all), live windows set by
  one process (they reach all of them), and answers such as exchangeInfo
  (:meth:`RedisBackend.cached`): kept with a time to live, fetched by one process while
  the others wait for it (a lock in Redis with a time limit, ``cache_wait``), so that N
  processes starting at once make one request.

Windows are counted on one clock for everyone: Redis's ``TIME`` plus the exchange's
offset from it when one was shared, so processes whose own clocks disagree still agree on
which window a request falls in.

**Leases.** A round trip per request would cost more than the request's own work, so a
process that takes budget also leases a small block (a fraction of the window's room,
capped) and spends it locally; most requests cost no round trip. Unused leases are given
back when the process goes idle (``lease_idle``), or, with no request of its own waiting,
shortly before the lease ends (0.1 s before its window's closing margin, once per window),
so that they do not die with the window. Near the end of a full window leases shrink to
nothing and every request is counted exactly.

**Fairness.** Within a process, requests are admitted first come, first served. Across
processes, a request refused for want of room joins the window's queue in Redis (in the
order of first refusal); units given back to the window before its closing margin wake
the queued processes they cover, in that order (one that does not fit is passed by a
later, smaller one), and they are served in the same window instead of sleeping to the
next. Otherwise each waiting process asks again when the window rolls over, and whoever
reaches Redis first is served first; a process still sending from its lease is not held
back for the queue. No process can starve another for more than the window in which it
holds a lease (leases are at most ``lease_cap`` of a window), and no request is admitted
past a limit.

**Failures.** When Redis cannot be reached, or answers slower than ``timeout``, a request
either fails with :class:`~aioca.limits.LimiterUnavailableError` and is not sent
(``on_failure="closed"``, the default), or goes through a local limiter holding a share
of each budget (``on_failure="local"``) with a warning naming it: ``degraded_share`` when
given, else 1/N, N the processes that shared that budget when Redis last answered (so N
processes degrading together still stay within it). Redis is tried
again every ``retry_interval`` seconds; when it answers, what the process spent meanwhile
is added to the shared counts, and bans it knows of are written back. If Redis came back
empty (restarted without persistence), the counts of the current windows are lost: they
are marked spent and requests resume with the next windows, so the first requests after
the outage do not overrun the exchange's own count. A process entering the local mode
spends nothing more in the windows under way (what the others spent there is unknown),
only its leases, then its share of each window to come.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, Self

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import NoScriptError, RedisError
except ImportError as missing:  # an optional extra: say which one
    raise ImportError(
        "aioca.limits.redis needs the redis package: pip install 'aioca-core[redis]'",
        name=missing.name,
    ) from missing

from ..errors import IPBannedError, RateLimitError
from ..ratelimit import LimiterStatus, RateLimiter, Window, WindowStatus
from . import scripts
from .base import LimiterUnavailableError
from .cache import SingleFlight, check_text, check_ttl
from .membership import MEMBERS, Membership

__all__ = ["BoundBackend", "RedisBackend", "RedisRateLimiter"]

logger = logging.getLogger("aioca.limits")
_sleep = asyncio.sleep  # one name for the limiter's waits, as in aioca.ratelimit

_LISTEN_WAIT = 1.0
"""Seconds the event listener waits for a message before it looks at its state again."""

_CLOSE_GRACE = 0.1
"""Seconds :meth:`RedisBackend.close` gives each step of stopping the listener (the wake-up
it publishes, then the listener's own end) before it moves on: a Redis killed or stalled
must not hold every process's shutdown."""

_RETURN_AHEAD = 0.1
"""Seconds before a lease ends (the closing margin of its window) at which a process with
no request waiting gives back what is left of it, at most a twentieth of the window:
time for a process queued in Redis for want of room to be woken and served in the same
window, instead of the units dying with it."""

_CACHE_POLL = 0.25
# A pause or ban reported again ending at most this much later than the one already
# shared is the same one (not written to Redis again).
_SAME_HOLD = 0.1
"""Seconds between two looks at a value another process is fetching (its end is announced
on the event channel at once: this only bounds how long a lost announcement costs)."""

_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
"""What counts as Redis being unreachable or too slow (connection refused or reset, a
socket timeout, our own deadline)."""


def _redacted(url: str) -> str:
    """The Redis URL without its password (it ends up in logs and error messages)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    credentials, at, where = rest.rpartition("@")
    return f"{scheme}://{'***@' if at else ''}{where}" if credentials or at else url


class _Lease:
    """Budget of one window leased to this process: ``units`` left, valid in window
    ``index`` until the monotonic time ``until``."""

    __slots__ = ("growth", "index", "limit", "returned", "units", "until", "used")

    def __init__(self) -> None:
        self.growth = 1  # leases of this window are sized growth x the backend's fraction
        self.units = 0
        self.index = -1
        self.until = 0.0
        self.used = 0  # the shared count as last reported, for status() and observe()
        self.limit = 0
        self.returned = -1  # the window whose units went back before its end


class RedisRateLimiter:
    """A limiter whose counters live in Redis, shared by every process using the same
    :class:`RedisBackend`. It has the interface of :class:`~aioca.RateLimiter` (see
    :class:`~aioca.limits.Limiter`), so the request path uses either one alike.

    Made by :meth:`RedisBackend.limiter` (one per host, egress address and account in a
    process); not built directly."""

    def __init__(
        self,
        backend: RedisBackend,
        host: str,
        windows: Iterable[Window],
        *,
        egress: str,
        account: str | None,
    ) -> None:
        self.backend = backend
        self.host = host
        self.egress = egress
        self.account = account
        self.safety = backend.safety
        prefix = backend.key_prefix
        self.hold_key = f"{prefix}:{host}:ip:{egress}:hold"
        self.offset_key = f"{prefix}:{host}:offset"
        self._windows: dict[str, Window] = {}
        self._keys: dict[str, str] = {}
        self._leases: dict[str, _Lease] = {}
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._sleeper: asyncio.Future[None] | None = None
        self._woken = False  # a room event came between a refusal and its sleep
        # Windows (names) in whose queue in Redis this process may stand: a refusal (or a
        # TAKE whose answer never came) may have put it there, an admission took it out.
        self._queued: set[str] = set()
        self._paused_until = 0.0
        self._banned_until = 0.0
        self._ban_message = ""
        self._ban_unpublished = False
        self._ban_sending = 0.0  # the end of the ban being written to Redis
        self._local: RateLimiter | None = None  # while Redis is out of reach (on_failure="local")
        self._local_spent: dict[str, tuple[int, int]] = {}  # window -> (index, units)
        self._epoch = 0  # the backend's count of Redis restarts, as of our last contact
        self._idle_check: asyncio.TimerHandle | None = None
        self._last_use = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reconciling: dict[str, tuple[int, float]] = {}  # window -> (count, sent at)
        self._reconcile_busy = False
        self._last_reconcile = -math.inf
        self._exchange_offset = 0.0  # the exchange's clock minus Redis's, as last reported
        self._offset_shared = False  # whether Redis held a shared offset at our last look
        self._looked_for_live_windows = False
        self.set_windows(windows, share=False)

    # --- configuration ------------------------------------------------------------------

    def offset_moved(self, offset: float) -> None:
        """Another process shared a new exchange offset for this host (``offset``: the
        exchange's clock minus Redis's, seconds): the shared clock jumps by the change.
        Leases last until the margin before their window's end, measured on the clock they
        were given with; on the new clock that margin may begin earlier, and a lease unit
        spent inside it would not be charged to the next window (the request may arrive
        there). Each lease is cut at its margin on the new clock. A clock moved back
        ends leases earlier than needed, never later."""
        self._exchange_offset = offset
        now = self.clock()
        moment = time.monotonic()
        for name, lease in self._leases.items():
            window = self._windows.get(name)
            if window is None or lease.until <= moment:
                continue
            ms = round(window.seconds * 1000)
            margin_starts = ((lease.index + 1) * ms - round(self.safety * 1000)) / 1000
            lease.until = min(lease.until, moment + (margin_starts - now))

    def _note_offset(self, text: str) -> None:
        """The exchange offset a script read from Redis (ms as text, ``''`` when none is
        shared). The shared offset lives for two sync intervals (refreshed by one process
        after one, see :meth:`RedisBackend.clock_offset`); when it is gone all the same
        (nobody synced for that long), every script counts windows on Redis's own clock
        until a process syncs and shares again.
        That is not silent: the jump is announced (a warning) and treated as any move of
        the offset (:meth:`offset_moved`: leases cut at their margin on the new clock)."""
        if text:
            self._offset_shared = True
            self._exchange_offset = float(text) / 1000
            return
        if self._offset_shared:
            self._offset_shared = False
            logger.warning(
                "the shared clock offset of %s (%.3f s) expired in Redis (%s): windows are "
                "counted on Redis's clock until a process syncs with the exchange again",
                self.host,
                self._exchange_offset,
                self.backend.where,
            )
            self.offset_moved(0.0)
        else:
            self._exchange_offset = 0.0

    def clock(self) -> float:
        """The shared clock (Redis's time plus the exchange's offset from it), in seconds,
        as well as this process knows it."""
        return self.backend.now() + self._exchange_offset

    def set_windows(self, windows: Iterable[Window], *, share: bool = True) -> None:
        """Replace the budgets (the live limits an exchange reports), and with ``share``
        (the default) announce them to every other process of this backend."""
        windows = list(windows)
        changed = [(w.name, w.limit, w.seconds) for w in windows] != [
            (w.name, w.limit, w.seconds) for w in self._windows.values()
        ]
        self._windows = {window.name: window for window in windows}
        prefix = self.backend.key_prefix
        self._keys = {}
        for window in windows:
            ms = round(window.seconds * 1000)
            owner = self._owner(window)
            self._keys[window.name] = f"{prefix}:{self.host}:{owner}:{window.name}:{ms}"
            lease = self._leases.get(window.name)
            if lease is None:
                lease = self._leases[window.name] = _Lease()
            lease.limit = window.limit
        for name in list(self._leases):
            if name not in self._windows:
                del self._leases[name]
        self._reads_headers = any(window.header for window in windows)
        if self._local is not None:
            self._local.set_windows(self._degraded_windows())
        if share and changed:
            self._spawn(self.backend.share_windows(self.host, windows))

    def _owner(self, window: Window) -> str:
        """Whose budget ``window`` counts: this account's, or the egress address's."""
        if window.scope == "account" and self.account is not None:
            return f"acct:{self.account}"
        return f"ip:{self.egress}"

    def member_key(self, owner: str) -> str:
        """The member set of the processes charging ``owner``'s budgets on this host."""
        return f"{self.backend.key_prefix}:{self.host}:{owner}:members"

    @property
    def member_keys(self) -> list[str]:
        """The scopes this limiter charges: its egress address, and its account if any."""
        owners = [f"ip:{self.egress}"]
        if self.account is not None:
            owners.append(f"acct:{self.account}")
        return [self.member_key(owner) for owner in owners]

    @property
    def processes(self) -> dict[str, int | None]:
        """For each window, how many processes (this one included) charged its budget
        when Redis last said, ``None`` before it said: on failure (``on_failure="local"``,
        no ``degraded_share``) each takes that fraction of the budget."""
        counts = self.backend.membership.counts
        return {
            name: counts.get(self.member_key(self._owner(window)))
            for name, window in self._windows.items()
        }

    @property
    def windows(self) -> tuple[Window, ...]:
        return tuple(self._windows.values())

    @property
    def reads_headers(self) -> bool:
        return self._reads_headers

    @property
    def degraded(self) -> bool:
        """Whether requests go through the local fallback limiter (Redis out of reach)."""
        return self._local is not None

    # --- admission ----------------------------------------------------------------------

    def try_acquire(self, costs: Mapping[str, int]) -> bool:
        """Charge ``costs`` to this process's leases and return ``True`` if they cover it
        with nobody queued and no pause or ban in force; else change nothing."""
        if self._waiters:
            return False
        if self._banned_until or self._paused_until:
            now = self.clock()
            if now < self._banned_until or now < self._paused_until:
                return False
        return self._spend_leases(costs)

    def _spend_leases(self, costs: Mapping[str, int]) -> bool:
        now = time.monotonic()
        leases = self._leases
        windows = self._windows
        for name, window in windows.items():
            cost = costs.get(window.unit or window.name, 0)
            if cost > 0:
                lease = leases[name]
                if lease.units < cost or now >= lease.until:
                    return False
        for name, window in windows.items():
            cost = costs.get(window.unit or window.name, 0)
            if cost > 0:
                leases[name].units -= cost
        self._last_use = now
        return True

    async def acquire(self, costs: Mapping[str, int], max_wait: float | None = None) -> None:
        """Wait until ``costs`` fit every window (leases first, then Redis), first come
        first served within this process; raises :class:`~aioca.errors.IPBannedError`
        during a ban, :class:`~aioca.errors.RateLimitError` when a pause (HTTP 429, in
        any process) would hold the request longer than ``max_wait`` seconds, and
        :class:`~aioca.limits.LimiterUnavailableError` when Redis cannot be reached and
        the backend fails closed."""
        if self.try_acquire(costs):
            return
        self._check_pause(max_wait)
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            if self._waiters[0] is not turn:
                await turn
            while True:
                if self._local is not None and await self.backend.try_reconnect():
                    await self._recover()  # also when banned: the others must learn of it
                self._check_ban()
                self._check_pause(max_wait)
                if self._spend_leases(costs):  # leases hold even while Redis is away
                    if self.clock() >= self._paused_until:
                        return
                    self._give_back_costs(costs)
                delay = await self._take(costs)
                if delay <= 0:
                    return
                await self._wait(delay)
        finally:
            self._waiters.remove(turn)
            if self._waiters and not self._waiters[0].done():
                self._waiters[0].set_result(None)  # its TAKE keeps our place in the queue
            elif not self._waiters and self._queued:
                # No request of ours waits any more (cancelled, timed out, banned, or served
                # from a lease) yet one may stand in a queue in Redis: out of it, in the
                # background (a cancellation waits for nothing).
                self._spawn(self._leave_queue(self._queued))
                self._queued = set()
            if not self._waiters and any(lease.units for lease in self._leases.values()):
                # The return of what is left is due again (it waits while requests do).
                self._schedule_idle_check()

    def wake(self) -> None:
        """Units came back to a window this process was refused in (another process's
        lease returned): a request sleeping to the next window asks again now."""
        if self._sleeper is not None:
            self._sleeper.cancel()
        else:
            self._woken = True  # the refusal's answer is still on its way: do not sleep

    def _give_back_costs(self, costs: Mapping[str, int]) -> None:
        for name, window in self._windows.items():
            cost = costs.get(window.unit or window.name, 0)
            if cost > 0:
                self._leases[name].units += cost

    def _check_ban(self) -> None:
        now = self.clock()
        if now < self._banned_until:
            raise IPBannedError(
                self._ban_message or "this IP is banned by the exchange",
                until=self._banned_until,
                retry_after=self._banned_until - now,
            )

    def _check_pause(self, max_wait: float | None) -> None:
        if max_wait is None:
            return
        wait = self._paused_until - self.clock()
        if wait > max_wait:
            raise RateLimitError(
                f"the exchange asked for a pause of {wait:.1f} s more (HTTP 429), longer "
                f"than this request may wait ({max_wait:.1f} s)",
                retry_after=wait,
            )

    async def _wait(self, delay: float) -> None:
        """Sleep ``delay`` seconds, cut short by a ban (which then fails the request), a
        pause, or units coming back to the window (:meth:`wake`)."""
        if self._woken:
            self._woken = False
            return
        sleeper = asyncio.ensure_future(_sleep(delay))
        self._sleeper = sleeper
        try:
            await asyncio.wait((sleeper,))
        finally:
            self._sleeper = None
            sleeper.cancel()

    async def _take(self, costs: Mapping[str, int]) -> float:
        """One admission round: 0 when ``costs`` were charged, else seconds to wait."""
        backend = self.backend
        if self._local is not None:
            return await self._take_local(costs)
        if backend.down:  # failing closed since Redis failed: is it back, and as it was?
            if not await backend.try_reconnect():
                self._enter_failure(ConnectionError("Redis is still out of reach"))
            await self._recover()
        if not self._looked_for_live_windows:
            # Live windows another process shared before this one started (they reach
            # running processes over the event channel): one read per limiter.
            self._looked_for_live_windows = True
            with contextlib.suppress(*_FAILURES, ValueError, TypeError):
                live = await backend.shared_windows(self.host)
                if live:
                    self.set_windows(live, share=False)
        charged = [
            (name, window, costs.get(window.unit or window.name, 0))
            for name, window in self._windows.items()
        ]
        charged = [item for item in charged if item[2] > 0]
        if not charged:
            now = self.clock()
            return max(0.0, self._paused_until - now)
        keys = [self.offset_key, self.hold_key, *(self._keys[name] for name, _, _ in charged)]
        # Adaptive leases: a process that spent its whole last lease of a window asks for
        # a bigger one (up to lease_growth times), so a busy process needs fewer round
        # trips; a refusal (the window is full) or no room to lease sets it back to the
        # smallest size; near a window's end leases still shrink to nothing (a fraction of
        # the room). One multiplier for the request: the smallest among its windows.
        moment = time.monotonic()
        for name, _, cost in charged:
            lease = self._leases[name]
            if lease.units < cost and moment < lease.until:
                # Its last lease of this window was used up before the window's end.
                lease.growth = min(lease.growth * 2, backend.lease_growth)
        growth = min((self._leases[name].growth for name, _, _ in charged), default=1)
        args: list[Any] = [
            round(self.safety * 1000),
            min(1.0, backend.lease_fraction * growth),
            min(1.0, backend.lease_cap * growth),
            backend.id,
        ]
        # What is left of each lease goes with the request: spent on it, or given back if
        # it must wait. Forgotten here first: if the answer is lost (a timeout), Redis may
        # have used them, and they must not be spent twice.
        held: list[int] = []
        for name, window, cost in charged:
            lease = self._leases[name]
            held.append(lease.units)  # past its time too: Redis checks the window index
            lease.units = 0
            args += [window.limit, round(window.seconds * 1000), cost, held[-1], lease.index]
        for _, window, cost in charged:
            if cost > window.limit:
                raise ValueError(
                    f"a request costing {cost} can never fit window {window.name!r} "
                    f"of {window.limit}"
                )
        started = time.monotonic()
        self._woken = False
        self._queued.update(name for name, _, _ in charged)  # until the answer says otherwise
        try:
            await backend.ready()
            reply = await backend.run(scripts.TAKE, keys, args)
        except _FAILURES as exc:
            self._enter_failure(exc)  # raises when failing closed
            return await self._take_local(costs)
        code = int(reply[0])
        if code == 1:
            self._banned_until = max(self._banned_until, int(reply[2]) / 1000)
            self._ban_message = _text(reply[3]) or self._ban_message
            self._check_ban()
            return 0.01  # our estimate of the clock says the ban just ended: ask again
        self._note_offset(_text(reply[3]))
        if code == 2:
            values = reply[5:]
            for number, (name, _, _) in enumerate(charged):
                lease = self._leases[name]
                lease.growth = 1
                if len(values) >= 2 * number + 2:
                    # The shared count as it is: usage headers at or below it need no
                    # round trip to reconcile (observe).
                    lease.index, lease.used = (int(v) for v in values[2 * number : 2 * number + 2])
            if reply[4:]:  # paused in Redis: by another process, maybe for longer
                self._apply_pause(int(reply[4]) / 1000)
            return int(reply[2]) / 1000
        until = started + int(reply[2]) / 1000
        values = reply[4:]
        self._queued.difference_update(name for name, _, _ in charged)  # served: out of them
        for number, (name, _, cost) in enumerate(charged):
            index, used, lease_units = (int(v) for v in values[3 * number : 3 * number + 3])
            lease = self._leases[name]
            kept = max(0, held[number] - cost) if lease.index == index else 0
            if lease_units == 0:
                lease.growth = 1  # no room to lease (a margin, or the window nearly full)
            lease.units = lease_units + kept  # the rest of the old lease went into this request
            lease.index = index
            lease.until = until
            lease.used = used
        self._last_use = time.monotonic()
        self._schedule_idle_check()
        return 0.0

    # --- leases given back when idle ----------------------------------------------------

    def _return_due(self) -> float:
        """When (monotonic) unspent leases go back: after ``lease_idle`` seconds without a
        request, or ``_RETURN_AHEAD`` before the first lease holding units ends (its
        window's closing margin), whichever comes first: units left at a lease's end would
        die with the window, while a process refused for want of them sleeps to the next.
        Once per window: a lease taken after that return lasts to its end (a process
        sending one request at a time would otherwise take and return one per request)."""
        due = self._last_use + self.backend.lease_idle
        for name, lease in self._leases.items():
            if lease.units > 0 and lease.returned != lease.index:
                ahead = min(_RETURN_AHEAD, self._windows[name].seconds / 20)
                due = min(due, lease.until - ahead)
        return due

    def _schedule_idle_check(self) -> None:
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._return_due() - time.monotonic())
        check = self._idle_check
        if check is not None:
            if check.when() <= loop.time() + delay:
                return
            check.cancel()
        self._idle_check = loop.call_later(delay, self._on_idle_check)

    def _on_idle_check(self) -> None:
        self._idle_check = None
        if time.monotonic() < self._return_due():
            self._schedule_idle_check()
            return
        # With requests waiting, a TAKE is due anyway and carries what is left.
        if not self._waiters:
            for lease in self._leases.values():
                if lease.units > 0:
                    lease.returned = lease.index
            self._spawn(self.give_back())

    async def give_back(self) -> None:
        """Return the unused part of this process's leases to the shared counts (done by
        itself when the process goes idle, and by :meth:`RedisBackend.close`)."""
        backend = self.backend
        keys: list[str] = [self.offset_key]
        args: list[Any] = [round(self.safety * 1000), backend.id, backend.channel]
        for name, lease in self._leases.items():
            if lease.units > 0:  # Redis takes them back only into the window they came from
                window = self._windows[name]
                keys.append(self._keys[name])
                args += [lease.index, lease.units, window.limit, round(window.seconds * 1000)]
            lease.units = 0
        if len(keys) == 1:
            return
        with contextlib.suppress(*_FAILURES):
            await backend.run(scripts.GIVE_BACK, keys, args)

    async def _leave_queue(self, names: set[str]) -> None:
        """Out of the windows' queues in Redis (:data:`~aioca.limits.scripts.LEAVE`): best
        effort, as a wake spent on a process gone costs the next one a window at most."""
        backend = self.backend
        keys: list[str] = [self.offset_key]
        args: list[Any] = [round(self.safety * 1000), backend.id, backend.channel]
        for name in names:
            window = self._windows.get(name)
            if window is not None:
                keys.append(self._keys[name])
                args += [window.limit, round(window.seconds * 1000)]
        if len(keys) == 1 or self._local is not None:
            return
        with contextlib.suppress(*_FAILURES):
            await backend.run(scripts.LEAVE, keys, args)

    # --- what the exchange says ---------------------------------------------------------

    def observe(self, headers: Mapping[str, str], sent_at: float | None = None) -> None:
        """Reconcile with the usage a response reports: a count higher than the shared
        counter held when this process last heard from it is written to Redis (the higher
        wins there), at most every ``RedisBackend.reconcile_interval`` seconds per limiter,
        the highest count of each window since then in one round trip. Other processes'
        spending makes most counts look higher: sending each would cost a round trip per
        response, where the shared counter already holds them."""
        if self._local is not None:
            self._local.observe(headers, sent_at)
            return
        pending = self._reconciling
        for name, window in self._windows.items():
            header = window.header
            if header is None:
                continue
            value = headers.get(header)
            if value is None:
                continue
            try:
                used = int(value)
            except ValueError:
                continue
            lease = self._leases[name]
            if used > lease.used and used > pending.get(name, (0, 0.0))[0]:
                pending[name] = (used, self.clock() if sent_at is None else sent_at)
        if pending and not self._reconcile_busy:
            now = time.monotonic()
            if now - self._last_reconcile >= self.backend.reconcile_interval:
                self._last_reconcile = now
                self._reconciling = {}
                self._reconcile_busy = True
                self._spawn(self._reconcile(pending))

    async def _reconcile(self, counts: dict[str, tuple[int, float]]) -> None:
        keys = [self.offset_key]
        args: list[Any] = [round(self.safety * 1000)]
        now = self.clock()
        for name, (used, sent_at) in counts.items():
            window = self._windows.get(name)
            if window is None:
                continue
            keys.append(self._keys[name])
            age = max(0, round((now - sent_at) * 1000))
            args += [round(window.seconds * 1000), used, age]
        try:
            if len(keys) > 1:
                await self.backend.run(scripts.OBSERVE, keys, args)
            for name, (used, _) in counts.items():
                lease = self._leases.get(name)
                if lease is not None:
                    lease.used = max(lease.used, used)
        except _FAILURES:
            pass  # the next response reports the count again
        finally:
            self._reconcile_busy = False

    def pause(self, seconds: float) -> None:
        """Hold every request of every process on this address for ``seconds`` (the
        caller bounds it: ``RestApi``'s ``max_pause``)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"a pause must be a finite number of seconds, not {seconds!r}")
        until = self.clock() + seconds
        # Already shared, as long or longer (within _SAME_HOLD: each refused request
        # reports the pause again, a hair later on the clock).
        known = until <= self._paused_until + _SAME_HOLD
        self._apply_pause(until)
        if self._local is not None:
            self._local.pause(seconds)
        if not known:
            self._spawn(self._hold("pause", seconds, ""))

    def ban(self, until: float, message: str = "") -> None:
        """Refuse every request of every process on this address until ``until`` (on this
        limiter's clock): at once here, within a Redis round trip everywhere else. A ban
        this process already shared (or learnt from Redis) that lasts as long is not
        written again: every request refused during a ban reports it here, and a round
        trip and an event to every process per refused request was a storm."""
        known = until <= self._banned_until + _SAME_HOLD and not self._ban_unpublished
        self._apply_ban(until, message)
        if known or until <= self._ban_sending + _SAME_HOLD:  # in Redis, or on its way
            return
        self._ban_sending = until
        self._ban_unpublished = True
        self._spawn(self._hold("ban", until - self.clock(), message))

    def _apply_ban(self, until: float, message: str) -> None:
        if until > self._banned_until:
            self._banned_until = until
            self._ban_message = message
        if self._local is not None:
            self._local.ban(until, message)
        for lease in self._leases.values():
            lease.units = 0  # no lease outlives a ban
        if self._sleeper is not None:
            self._sleeper.cancel()

    def _apply_pause(self, until: float) -> None:
        if until > self._paused_until:
            self._paused_until = until
            if self._sleeper is not None:
                self._sleeper.cancel()  # the waiting request measures its wait again

    async def _hold(self, kind: str, seconds: float, message: str) -> None:
        try:
            await self.backend.run(
                scripts.HOLD,
                [self.offset_key, self.hold_key],
                [kind, max(0, round(seconds * 1000)), message, self.backend.channel, self.hold_key],
            )
            if kind == "ban":
                self._ban_unpublished = False
        except _FAILURES as exc:
            if kind == "ban":
                self._ban_sending = 0.0  # the next report of it tries again
                logger.warning(
                    "the ban on %s could not be shared through Redis (%s): it holds in this "
                    "process and is written back when Redis answers again",
                    self.host,
                    type(exc).__name__,
                )

    @property
    def banned_until(self) -> float | None:
        return self._banned_until if self._banned_until > self.clock() else None

    @property
    def paused_until(self) -> float | None:
        return self._paused_until if self._paused_until > self.clock() else None

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def status(self) -> LimiterStatus:
        """Each window's shared usage as last reported to this process (its own unused
        leases not counted), seconds until it resets, and any pause or ban."""
        now = self.clock()
        if self._local is not None:
            return LimiterStatus(
                self._local.status().windows,
                paused_until=self.paused_until,
                banned_until=self.banned_until,
                waiting=self.waiting,
            )
        result = []
        for name, window in self._windows.items():
            lease = self._leases[name]
            index = math.floor(now / window.seconds)
            used = lease.used - lease.units if lease.index == index else 0
            result.append(
                WindowStatus(name, max(0, used), window.limit, (index + 1) * window.seconds - now)
            )
        return LimiterStatus(
            tuple(result),
            paused_until=self.paused_until,
            banned_until=self.banned_until,
            waiting=self.waiting,
        )

    # --- Redis out of reach ---------------------------------------------------------------

    def _degraded_limits(self) -> dict[str, tuple[int, str, str]]:
        """For each window, the budget this process may spend alone while Redis is out of
        reach, the share that is and why (for the warning): ``degraded_share`` of it
        when one was given, else 1/N, N the processes last counted charging it (see
        :mod:`aioca.limits.membership`), else 1/``assumed_processes`` (Redis never
        answered this process). At least 1, or no request could ever pass."""
        backend = self.backend
        explicit = backend.degraded_share
        counted = self.processes
        limits = {}
        for name, window in self._windows.items():
            if explicit is not None:
                limit = int(window.limit * explicit)
                share, why = f"{explicit * 100:g}%", "degraded_share"
            elif (count := counted[name]) is not None:
                limit = window.limit // max(1, count)
                who = "1 process" if count == 1 else f"{count} processes"
                share, why = f"1/{count}", f"{who} shared it when Redis last answered"
            else:
                count = backend.assumed_processes
                limit = window.limit // count
                share, why = f"1/{count}", "Redis never counted the processes: assumed_processes"
            limits[name] = (max(1, limit), share, why)
        return limits

    def _degraded_windows(self) -> list[Window]:
        limits = self._degraded_limits()
        return [
            Window(w.name, limits[w.name][0], w.seconds, w.header, w.unit, w.scope)
            for w in self._windows.values()
        ]

    def _describe_degraded(self) -> str:
        """The budgets of the local limiter, for the warning: ``1/4 of each budget (4
        processes ...)``, or by groups of windows when they differ."""
        groups: dict[tuple[str, str], list[str]] = {}
        for name, (_, share, why) in self._degraded_limits().items():
            groups.setdefault((share, why), []).append(name)
        if len(groups) == 1:
            ((share, why),) = groups
            return f"{share} of each budget ({why})"
        return "; ".join(
            f"{share} of {', '.join(names)} ({why})" for (share, why), names in groups.items()
        )

    def _enter_failure(self, exc: BaseException) -> None:
        backend = self.backend
        backend.note_failure(exc)
        if backend.on_failure == "closed":
            raise LimiterUnavailableError(
                f"the shared rate limiter ({backend.where}) did not answer "
                f"({type(exc).__name__}): the request was not sent (on_failure='closed')",
                cause=type(exc).__name__,
            ) from None
        if self._local is None:
            local = RateLimiter(self._degraded_windows(), clock=self.clock, safety=self.safety)
            # What other processes spent in the current windows is unknown: nothing more
            # in them (beyond this process's leases, already counted), then a share of
            # each window to come.
            now = self.clock()
            for counter in local._counters.values():
                counter.roll(now)
                counter.used = counter.window.limit
            self._local_spent = {}
            if self._banned_until:
                local.ban(self._banned_until, self._ban_message)
            if self._paused_until > self.clock():
                local.pause(self._paused_until - self.clock())
            self._local = local
            logger.warning(
                "the shared rate limiter (%s) did not answer (%s): %s goes on with a local "
                "limiter holding %s until it is back",
                backend.where,
                type(exc).__name__,
                self.host,
                self._describe_degraded(),
            )

    async def _take_local(self, costs: Mapping[str, int]) -> float:
        local = self._local
        assert local is not None
        # Wait here at most until the next reconnection attempt is due.
        now = self.clock()
        delay = local._delay(costs, now)
        if delay <= 0:
            local._charge(costs, now)
            for name, window in self._windows.items():
                cost = costs.get(window.unit or window.name, 0)
                if cost > 0:
                    index = math.floor(now / window.seconds)
                    spent_index, spent = self._local_spent.get(name, (index, 0))
                    self._local_spent[name] = (index, (spent if spent_index == index else 0) + cost)
            return 0.0
        return min(delay, self.backend.retry_interval)

    async def _recover(self) -> None:
        """Redis answers again: add what was spent meanwhile and write bans back. If Redis
        came back empty (restarted without persistence), every count of the current
        windows is lost: they are marked spent, and requests resume in the next ones."""
        local, self._local = self._local, None
        now = self.clock()
        keys = [self.offset_key]
        args: list[int] = []
        lost = self.backend.restarts != self._epoch
        for name, window in self._windows.items():
            index = math.floor(now / window.seconds)
            spent_index, units = self._local_spent.get(name, (-1, 0))
            if spent_index != index:
                units = 0
            if lost:
                units = window.limit
            if units > 0:
                keys.append(self._keys[name])
                args += [round(window.seconds * 1000), index, units]
        try:
            if len(keys) > 1:
                await self.backend.run(scripts.ADD, keys, args)
            if self._banned_until > now:
                await self._hold("ban", self._banned_until - now, self._ban_message)
        except _FAILURES as exc:
            self._local = local
            self.backend.note_failure(exc)
            return
        self._epoch = self.backend.restarts
        self._local_spent = {}
        logger.warning("the shared rate limiter (%s) answers again", self.backend.where)

    # --- plumbing ------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> None:
        """Run ``coroutine`` in the background (pause, ban, reconcile: called from
        synchronous code); without a running loop, it is dropped (nothing to share with)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coroutine.close()
            return
        task = loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the background writes (bans, pauses, reconciliations) under way."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def __repr__(self) -> str:
        parts = [f"{s.name}={s.used}/{s.limit}" for s in self.status()]
        state = " degraded" if self._local is not None else ""
        return f"<RedisRateLimiter {self.host} {' '.join(parts)}{state} waiting={self.waiting}>"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


class BoundBackend:
    """A :class:`RedisBackend` with an account (and egress) label fixed, to give as one
    API object's ``limiter_backend=``."""

    def __init__(self, backend: RedisBackend, account: str | None, egress: str | None) -> None:
        self.backend = backend
        self.account = account
        self.egress = egress

    def limiter(
        self,
        host: str,
        windows: Sequence[Window],
        *,
        clock: Callable[[], float],
        local_address: str | None = None,
    ) -> RedisRateLimiter:
        return self.backend.limiter(
            host,
            windows,
            clock=clock,
            local_address=local_address,
            account=self.account,
            egress=self.egress,
        )

    async def clock_offset(self, host: str) -> float | None:
        return await self.backend.clock_offset(host)

    async def share_clock_offset(self, host: str, offset: float, ttl: float = 600.0) -> None:
        await self.backend.share_clock_offset(host, offset, ttl)

    async def cached(self, name: str, fetch: Callable[[], Awaitable[str]], *, ttl: float) -> str:
        return await self.backend.cached(name, fetch, ttl=ttl)

    async def forget(self, name: str) -> None:
        await self.backend.forget(name)

    def __repr__(self) -> str:
        return f"<BoundBackend account={self.account!r} egress={self.egress!r} {self.backend!r}>"


class RedisBackend:
    """Shared rate limits, clock offset and exchange information, in one Redis.

    ``url`` is a redis-py URL (``redis://[:password@]host:port/db``, ``rediss://`` for
    TLS) or ``client`` an existing ``redis.asyncio.Redis``. ``prefix`` namespaces the keys
    (processes that should share a budget use the same one). ``egress`` labels the
    address this machine's requests leave from (machines behind one NAT address share a
    label). ``on_failure`` is ``"closed"`` (raise, send nothing) or ``"local"`` (a local
    limiter with a share of each budget: ``degraded_share`` when given, else ``1/N``, N the
    processes that charged that budget when Redis last answered, this one included, or
    ``1/assumed_processes`` for a process Redis never answered). Every process renews its
    membership of the budgets it charges every ``heartbeat`` seconds (riding on a round
    trip it makes anyway) and is forgotten three heartbeats after its last one; see
    :mod:`aioca.limits.membership`. ``timeout`` bounds every Redis call in seconds.
    ``lease_fraction`` and ``lease_cap`` size leases: that fraction of a window's room,
    at most that fraction of its limit; ``lease_cap=0`` disables leasing; ``lease_idle`` is
    how long a process stays idle before it gives its leases back. ``lease_growth`` lets a
    busy process's leases grow: each time it used up its last lease of a window it gets
    twice the size next time, up to ``lease_growth`` times ``lease_fraction`` and
    ``lease_cap`` (``1`` keeps them fixed); a refusal sets it back. The default ``2``:
    since leases are given back before their window closes and wake the processes queued
    for them, growth no longer costs weight, and it saved 8-40 % of the round trips in the
    benchmark (docs/performance.md).
    ``reconcile_interval``
    is the least time between two writes of the exchange's usage headers to Redis.
    ``cache_wait`` bounds how long a process waits for another's fetch of a shared answer
    (:meth:`cached`): the fetch lock lasts that long, so a process that died holding it
    holds up the others at most that long, and a waiting process then fetches for itself.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: aioredis.Redis | None = None,
        prefix: str = "aioca",
        egress: str = "default",
        on_failure: Literal["closed", "local"] = "closed",
        degraded_share: float | None = None,
        assumed_processes: int = 8,
        heartbeat: float = 2.0,
        timeout: float = 0.5,
        retry_interval: float = 1.0,
        lease_fraction: float = 0.125,
        lease_cap: float = 0.05,
        lease_idle: float = 0.25,
        lease_growth: int = 2,
        reconcile_interval: float = 0.1,
        safety: float = 0.25,
        cache_wait: float = 15.0,
    ) -> None:
        problems = []
        if on_failure not in ("closed", "local"):
            problems.append(f"on_failure must be 'closed' or 'local', not {on_failure!r}")
        if degraded_share is not None and not 0 < degraded_share <= 1:
            problems.append(f"degraded_share must be in (0, 1] or None, not {degraded_share!r}")
        if not isinstance(assumed_processes, int) or assumed_processes < 1:
            problems.append(
                f"assumed_processes must be a whole number >= 1, not {assumed_processes!r}"
            )
        if not 0 < heartbeat < math.inf:
            problems.append(f"heartbeat must be a positive number of seconds, not {heartbeat!r}")
        if not 0 <= lease_fraction <= 1 or not 0 <= lease_cap <= 1:
            problems.append("lease_fraction and lease_cap must be in [0, 1]")
        if not isinstance(lease_growth, int) or lease_growth < 1:
            problems.append(f"lease_growth must be a whole number >= 1, not {lease_growth!r}")
        if timeout <= 0 or retry_interval <= 0 or lease_idle <= 0:
            problems.append("timeout, retry_interval and lease_idle must be positive")
        if not 0 < cache_wait < math.inf:
            problems.append(f"cache_wait must be a positive number of seconds, not {cache_wait!r}")
        if not prefix or any(c in prefix for c in "{}: "):
            problems.append(f"prefix must be a plain name, not {prefix!r}")
        if problems:
            raise ValueError("; ".join(problems))
        self.url = url
        self.where = _redacted(url) if client is None else repr(client)
        self.prefix = prefix
        self.key_prefix = "{" + prefix + "}"  # one hash slot: scripts touch several keys
        self.channel = f"{self.key_prefix}:events"
        self.egress = egress
        self.on_failure = on_failure
        self.degraded_share = degraded_share
        self.assumed_processes = assumed_processes
        self.membership = Membership(self.channel, heartbeat)
        """The scopes this process counts itself in, and how many processes each had."""
        self.timeout = timeout
        # Our own bound, a little past redis-py's socket timeouts: those fire first and
        # close the connection properly; this one only catches what they do not cover.
        self._deadline = timeout * 1.5 + 0.05
        self.retry_interval = retry_interval
        self.lease_fraction = lease_fraction
        self.lease_cap = lease_cap
        self.lease_idle = lease_idle
        self.lease_growth = lease_growth
        self.reconcile_interval = reconcile_interval
        self.safety = safety
        self.cache_wait = cache_wait
        self.local_time: Callable[[], float] = time.time
        """This process's clock (tests skew it); the shared clock is measured against it."""
        self._given_client = client
        self._client: aioredis.Redis | None = client
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, str] = {}  # script text -> its SHA1 digest
        self._limiters: dict[tuple[str, str, str | None], RedisRateLimiter] = {}
        self._offset = 0.0  # shared clock minus local clock, seconds
        self._offset_rtt = math.inf
        self._offset_at = -math.inf
        self._listener: asyncio.Task[None] | None = None
        self._stopping = False
        # Set by close(): a listener waiting ``retry_interval`` to reconnect to a Redis that
        # went away stops at once instead (made with the listener, in its event loop).
        self._stop = asyncio.Event()
        # This backend's own channel: close() wakes its listener there, so the listener can
        # wait for events a long while (each wake-up costs CPU in every idle process).
        self._wake_channel = f"{self.channel}:{secrets.token_hex(6)}"
        self.id = secrets.token_hex(6)
        """This backend's name in the queues of processes waiting for room in a window."""
        self._down_since: float | None = None
        self._next_retry = 0.0
        self._epoch: str | None = None
        self.restarts = 0
        """How many times Redis was found to have restarted empty (our keys gone)."""
        self._flights = SingleFlight()
        self._cache_copies: dict[str, tuple[float, str]] = {}  # name -> (monotonic end, text)
        self._cache_wakes: dict[str, asyncio.Event] = {}  # names this process waits for

    # --- limiters -----------------------------------------------------------------------

    def bind(self, *, account: str | None = None, egress: str | None = None) -> BoundBackend:
        """This backend with an ``account`` label (order counts are per account: every API
        key of one account should use the same label) and optionally an ``egress`` label."""
        return BoundBackend(self, account, egress)

    def limiter(
        self,
        host: str,
        windows: Sequence[Window],
        *,
        clock: Callable[[], float] | None = None,
        local_address: str | None = None,
        account: str | None = None,
        egress: str | None = None,
    ) -> RedisRateLimiter:
        """The shared limiter of ``host`` for requests leaving from ``egress`` (default:
        ``local_address``, else the backend's label), for ``account``. ``clock`` is
        accepted for the :class:`~aioca.limits.LimiterBackend` interface and not used:
        shared windows are counted on the shared clock."""
        label = egress or local_address or self.egress
        key = (host, label, account)
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RedisRateLimiter(
                self, host, windows, egress=label, account=account
            )
            self.membership.join(limiter.member_keys)
        return limiter

    # --- the connection -----------------------------------------------------------------

    def _connection(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or (self._given_client is None and self._client_loop is not loop):
            self._client = aioredis.Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),
            )
            self._scripts = {}
            self._listener = None
        self._client_loop = loop
        if self._listener is None or self._listener.done():
            self._stop = asyncio.Event()
            self._listener = loop.create_task(self._listen())
        return self._client

    async def run(self, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run one of :mod:`aioca.limits.scripts` (EVALSHA, loading it when Redis does not
        know it, e.g. after a restart), within ``timeout``."""
        client = self._connection()
        digest = self._scripts.get(script)
        if digest is None:
            digest = self._scripts[script] = hashlib.sha1(script.encode()).hexdigest()
        # EVALSHA through execute_command: redis-py's Script object adds a layer of calls
        # per round trip (measured: ~17 us of CPU of the ~90 us a round trip costs).
        execute: Callable[..., Awaitable[Any]] = client.execute_command  # untyped in redis-py
        async with asyncio.timeout(self._deadline):
            try:
                if self.membership.due:
                    return await self._run_renewing(client, digest, keys, args)
                return await execute("EVALSHA", digest, len(keys), *keys, *args)
            except NoScriptError:  # a restarted (or flushed) Redis: load it, once more
                await client.script_load(script)
                return await execute("EVALSHA", digest, len(keys), *keys, *args)

    async def _run_renewing(
        self, client: aioredis.Redis, digest: str, keys: Sequence[str], args: Sequence[Any]
    ) -> Any:
        """EVALSHA ``digest`` with this process's membership renewal pipelined behind it:
        one round trip for both (see :mod:`aioca.limits.membership`). The renewal is sent
        as EVAL (the script's text): Redis never has to know it beforehand."""
        scopes, renewal = self.membership.renewal()
        async with client.pipeline(transaction=False) as pipe:
            pipe.execute_command("EVALSHA", digest, len(keys), *keys, *args)
            pipe.execute_command("EVAL", MEMBERS, len(scopes), *scopes, *renewal)
            try:
                reply, counts = await pipe.execute(raise_on_error=False)
            except BaseException:
                self.membership.missed()
                raise
        if isinstance(counts, Exception):  # pragma: no cover - a script error: a bug
            self.membership.missed()
            logger.warning("membership not renewed in Redis (%s): %s", self.where, counts)
        else:
            self.membership.note(scopes, counts)
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def renew_membership(self) -> None:
        """Renew this process's membership in its scopes now, in a round trip of its own
        (the event listener's, for a process that makes none)."""
        scopes, renewal = self.membership.renewal()
        try:
            counts = await self.run(MEMBERS, scopes, renewal)
        except BaseException:
            self.membership.missed()
            raise
        self.membership.note(scopes, counts)

    async def connect(self) -> None:
        """Reach Redis now (otherwise the first request does): measure the shared clock and
        learn whether Redis kept our keys. Raises when Redis does not answer."""
        await self._measure_clock()
        await self._check_epoch()

    async def ready(self) -> None:
        """:meth:`connect`, once: the first admission waits for the clock to be known."""
        if self._offset_rtt == math.inf or self._epoch is None:
            await self.connect()

    async def _check_epoch(self) -> None:
        """Remember a token kept in Redis; finding it gone later means Redis restarted
        empty and forgot every count (then spending is replayed, see the module doc)."""
        client = self._connection()
        key = f"{self.key_prefix}:epoch"
        async with asyncio.timeout(self._deadline):
            await client.set(key, secrets.token_hex(8), nx=True)
            value = await client.get(key)
        token = _text(value)
        if self._epoch is not None and token != self._epoch:
            self.restarts += 1
        self._epoch = token

    async def _measure_clock(self) -> None:
        """Estimate the shared clock's offset from this process's clock, keeping the
        sample with the shortest round trip (its midpoint is the most exact)."""
        samples = []
        for _ in range(3):
            sent = self.local_time()
            reply = await self.run(scripts.NOW, [f"{self.key_prefix}:offset-any"], [])
            received = self.local_time()
            samples.append((received - sent, float(_text(reply)) / 1000 - (sent + received) / 2))
        rtt, offset = min(samples)
        self._offset, self._offset_rtt, self._offset_at = offset, rtt, time.monotonic()

    def now(self) -> float:
        """Redis's clock in seconds, as this process estimates it."""
        return self.local_time() + self._offset

    @property
    def down(self) -> bool:
        """Whether the last call to Redis failed (and none succeeded since)."""
        return self._down_since is not None

    def note_failure(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = now
            logger.warning("Redis (%s) did not answer: %s", self.where, type(exc).__name__)
        self._next_retry = now + self.retry_interval

    async def try_reconnect(self) -> bool:
        """Whether Redis answers again (asked at most every ``retry_interval``)."""
        if time.monotonic() < self._next_retry:
            return False
        try:
            await self._check_epoch()
            await self._measure_clock()
        except _FAILURES as exc:
            self.note_failure(exc)
            return False
        self._down_since = None
        return True

    # --- events: bans, pauses, windows from other processes ------------------------------

    async def _listen(self) -> None:
        """Receive what other processes announce, reconnecting after Redis failures.
        Stops when :meth:`close` sets ``_stopping`` and wakes it on this backend's own
        channel (redis-py's pub/sub read does not always give way to a cancellation). Each
        read waits at most ``_LISTEN_WAIT``: events wake it at once, and the wait bounds
        how long a close that could not publish its wake-up (Redis gone) takes; shorter
        waits cost CPU in every process for nothing (the 0.2 s it was cost about 1.3 ms of
        CPU per second per process, a third of the CPU the benchmark's workers added)."""
        while not self._stopping:
            client = self._client
            if client is None:  # pragma: no cover - set before the listener starts
                return
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel, self._wake_channel)
                if self._offset_rtt == math.inf:
                    with contextlib.suppress(*_FAILURES):
                        await self._measure_clock()
                        await self._check_epoch()
                while not self._stopping:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True,
                        timeout=min(_LISTEN_WAIT, self.membership.heartbeat),
                    )
                    if message is not None:
                        self._dispatch(message.get("data"))
                    if self.membership.due and not self.down:  # idle: no round trip carried it
                        with contextlib.suppress(*_FAILURES):
                            await self.renew_membership()
                    if time.monotonic() - self._offset_at > 30:
                        with contextlib.suppress(*_FAILURES):
                            await self._measure_clock()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis gone: try again later, never die
                logger.debug("event listener: %s", type(exc).__name__)
                with contextlib.suppress(TimeoutError):  # close() ends the wait at once
                    async with asyncio.timeout(self.retry_interval):
                        await self._stop.wait()
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _dispatch(self, data: Any) -> None:
        try:
            event = json.loads(_text(data))
            kind = event["kind"]
        except (ValueError, KeyError, TypeError):
            return
        if kind in ("ban", "pause"):
            scope, till = event.get("scope"), int(event.get("till", 0)) / 1000
            for limiter in self._limiters.values():
                if limiter.hold_key == scope:
                    if kind == "ban":
                        limiter._apply_ban(till, str(event.get("msg") or ""))
                    else:
                        limiter._apply_pause(till)
        elif kind == "room":  # units came back to a window this process waits for
            ids, key = event.get("ids"), event.get("key")
            if isinstance(ids, list) and self.id in ids:
                for limiter in self._limiters.values():
                    if key in limiter._keys.values():
                        limiter.wake()
        elif kind == "windows":
            host = event.get("host")
            windows = [Window(**item) for item in event.get("windows", [])]
            for limiter in self._limiters.values():
                if limiter.host == host and windows:
                    limiter.set_windows(windows, share=False)
        elif kind == "offset":
            self._offset_at = -math.inf  # measure again soon
            host, ms = event.get("host"), event.get("ms")
            if isinstance(ms, int | float) and math.isfinite(ms):
                for limiter in self._limiters.values():
                    if limiter.host == host:
                        limiter.offset_moved(ms / 1000)
        elif kind == "members":
            scope, count = event.get("scope"), event.get("count")
            if scope in self.membership.keys and isinstance(count, int):
                self.membership.counts[scope] = count
        elif kind in ("cache", "cache-forget"):
            name = event.get("name")
            if kind == "cache-forget":
                self._cache_copies.pop(name, None)
            wake = self._cache_wakes.get(name)
            if wake is not None:
                wake.set()

    # --- shared values ------------------------------------------------------------------

    async def set_value(self, name: str, value: str, ttl: float) -> None:
        """Keep ``value`` under ``name`` for ``ttl`` seconds, for every process."""
        client = self._connection()
        async with asyncio.timeout(self._deadline):
            await client.set(f"{self.key_prefix}:value:{name}", value, px=max(1, round(ttl * 1000)))

    async def get_value(self, name: str) -> str | None:
        """The value kept under ``name``, or ``None`` (never set, or expired)."""
        client = self._connection()
        async with asyncio.timeout(self._deadline):
            value = await client.get(f"{self.key_prefix}:value:{name}")
        return None if value is None else _text(value)

    async def share_clock_offset(self, host: str, offset: float, ttl: float = 600.0) -> None:
        """Share the exchange's clock offset from *this process's* clock (seconds, as a
        server-time sync measures it): stored relative to Redis's clock, so each process
        gets it back relative to its own (:meth:`clock_offset`) whatever its skew. Redis
        out of reach: logged, nothing shared (each process then syncs for itself)."""
        try:
            if self._offset_rtt == math.inf:
                await self._measure_clock()
            relative_to_redis = offset - self._offset
            client = self._connection()
            key = f"{self.key_prefix}:{host}:offset"
            ms = round(relative_to_redis * 1000, 3)
            async with asyncio.timeout(self._deadline):
                # Kept twice the sync interval: the first process due again after one
                # interval measures anew and replaces it (clock_offset) before it expires,
                # so running processes never fall back to Redis's unsynced clock.
                async with client.pipeline(transaction=True) as pipe:
                    pipe.set(key, repr(ms), px=round(2 * ttl * 1000))
                    pipe.set(f"{key}:fresh", "1", px=round(ttl * 1000))
                    pipe.delete(f"{key}:refresh")  # the next interval's refresh is open
                    await pipe.execute()
                # The value goes with the event: each limiter of the host cuts its leases
                # at once by the new clock (RedisRateLimiter.offset_moved).
                event = {"kind": "offset", "host": host, "ms": ms}
                await client.publish(self.channel, json.dumps(event))
        except _FAILURES as exc:
            logger.info("clock offset of %s not shared: %s", host, type(exc).__name__)

    async def clock_offset(self, host: str) -> float | None:
        """The exchange's clock minus this process's clock (seconds), from the offset some
        process shared for ``host``; ``None`` when none is shared, it expired, or Redis is
        out of reach, and also for the one process that claims the refresh of an offset
        shared more than its sync interval ago: it measures and shares anew, while the
        others keep reading the old one (kept for another interval)."""
        try:
            client = self._connection()
            key = f"{self.key_prefix}:{host}:offset"
            async with asyncio.timeout(self._deadline):
                async with client.pipeline(transaction=False) as pipe:
                    pipe.get(key)
                    pipe.exists(f"{key}:fresh")
                    value, fresh = await pipe.execute()
                if value is None:
                    return None
                # Older than one interval: one process (the first to claim it) resyncs.
                # The claim lapses in a minute: if its holder dies before sharing, the
                # next process due takes it over.
                if not fresh and await client.set(f"{key}:refresh", "1", nx=True, px=60_000):
                    return None
            if self._offset_rtt == math.inf:
                await self._measure_clock()
        except _FAILURES as exc:
            logger.info("no shared clock offset for %s: %s", host, type(exc).__name__)
            return None
        # Our estimate of Redis's clock minus ours (measured without any exchange offset),
        # plus the exchange's offset from Redis's clock.
        return self._offset + float(_text(value)) / 1000

    async def share_windows(self, host: str, windows: Sequence[Window], ttl: float = 3600) -> None:
        """Announce live windows for ``host`` (exchangeInfo's limits) to every process, and
        keep them for processes that start later (:meth:`shared_windows`)."""
        payload = [
            {
                "name": w.name,
                "limit": w.limit,
                "seconds": w.seconds,
                "header": w.header,
                "unit": w.unit,
                "scope": w.scope,
            }
            for w in windows
        ]
        try:
            await self.set_value(f"windows:{host}", json.dumps(payload), ttl)
            client = self._connection()
            async with asyncio.timeout(self._deadline):
                await client.publish(
                    self.channel, json.dumps({"kind": "windows", "host": host, "windows": payload})
                )
        except _FAILURES as exc:
            logger.info("live windows of %s not shared: %s", host, type(exc).__name__)

    async def shared_windows(self, host: str) -> list[Window] | None:
        """The live windows some process shared for ``host``, if any."""
        text = await self.get_value(f"windows:{host}")
        if text is None:
            return None
        return [Window(**item) for item in json.loads(text)]

    async def cached(self, name: str, fetch: Callable[[], Awaitable[str]], *, ttl: float) -> str:
        """The text kept in Redis under ``name`` for every process, or else the text
        ``await fetch()`` returns, kept there for ``ttl`` seconds (see
        :class:`~aioca.limits.SharedCache`).

        One fetch for all: a process that finds no value takes a lock in Redis (for
        ``cache_wait`` seconds) and fetches; the others wait for the value it stores,
        woken over the event channel, and callers in one process share one wait. If the
        fetch fails, the lock is given up and the next waiting process fetches; if its
        process died, the lock expires after ``cache_wait``. A process that waited longer
        than that, or finds Redis out of reach, fetches for itself (with a warning), and
        nothing fails for want of Redis. Each process keeps a copy until the value expires
        in Redis, so that repeated calls cost no round trip."""
        ttl = check_ttl(ttl)
        copy = self._cache_copies.get(name)
        if copy is not None and copy[0] > time.monotonic():
            return copy[1]
        return await self._flights.run(
            name, functools.partial(self._fetch_shared, name, fetch, ttl)
        )

    async def _fetch_shared(
        self, name: str, fetch: Callable[[], Awaitable[str]], ttl: float
    ) -> str:
        key = f"{self.key_prefix}:cache:{name}"
        lock = f"{key}:lock"
        token = secrets.token_hex(8)
        wake = self._cache_wakes[name] = asyncio.Event()
        # A little past the lock's own time: a holder that died releases first, and one
        # waiting process (not all of them) takes the fetch over.
        give_up = time.monotonic() + self.cache_wait + 2 * _CACHE_POLL
        holding = False
        try:
            while True:
                wake.clear()
                try:
                    if self.down and time.monotonic() < self._next_retry:
                        raise ConnectionError("Redis is out of reach")
                    reply = await self.run(
                        scripts.CACHE_LOOK, [key, lock], [token, round(self.cache_wait * 1000)]
                    )
                except _FAILURES as exc:
                    logger.warning(
                        "shared value %r: Redis (%s) did not answer (%s): this process "
                        "fetches it itself",
                        name,
                        self.where,
                        type(exc).__name__,
                    )
                    break
                if int(reply[0]) == 1:
                    value = _text(reply[1])
                    self._keep_copy(name, value, int(reply[2]) / 1000)
                    return value
                if int(reply[0]) == 2:
                    holding = True
                    break
                left = give_up - time.monotonic()
                if left <= 0:
                    logger.warning(
                        "shared value %r: another process's fetch took more than %.1f s: "
                        "this process fetches it itself",
                        name,
                        self.cache_wait,
                    )
                    break
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(left, _CACHE_POLL)):
                        await wake.wait()
        finally:
            if self._cache_wakes.get(name) is wake:
                del self._cache_wakes[name]
        if not holding:
            return check_text(name, await fetch())
        return await self._fetch_holding(name, key, lock, token, fetch, ttl)

    async def _fetch_holding(
        self,
        name: str,
        key: str,
        lock: str,
        token: str,
        fetch: Callable[[], Awaitable[str]],
        ttl: float,
    ) -> str:
        """Fetch with the lock held, then store the value for all (or give the lock up)."""
        event = json.dumps({"kind": "cache", "name": name})
        try:
            value = check_text(name, await fetch())
        except BaseException:
            with contextlib.suppress(Exception):
                await self.run(scripts.CACHE_RELEASE, [lock], [token, self.channel, event])
            raise
        try:
            await self.run(
                scripts.CACHE_STORE,
                [key, lock],
                [value, max(1, round(ttl * 1000)), token, self.channel, event],
            )
        except _FAILURES as exc:
            logger.warning(
                "shared value %r was fetched but not shared: Redis (%s) did not answer (%s)",
                name,
                self.where,
                type(exc).__name__,
            )
            # The waiting processes fetch for themselves now rather than at the lock's end.
            with contextlib.suppress(Exception):
                await self.run(scripts.CACHE_RELEASE, [lock], [token, self.channel, event])
        self._keep_copy(name, value, ttl)
        return value

    def _keep_copy(self, name: str, value: str, ttl: float) -> None:
        now = time.monotonic()
        copies = self._cache_copies
        for old in [key for key, (until, _) in copies.items() if until <= now]:
            del copies[old]
        if ttl > 0:
            copies[name] = (now + ttl, value)

    async def forget(self, name: str) -> None:
        """Drop the value kept under ``name`` in Redis and in every process's copy: the
        next caller fetches it again. Redis out of reach: only this process's copy."""
        self._cache_copies.pop(name, None)
        try:
            client = self._connection()
            async with asyncio.timeout(self._deadline):
                await client.delete(f"{self.key_prefix}:cache:{name}")
                await client.publish(
                    self.channel, json.dumps({"kind": "cache-forget", "name": name})
                )
        except _FAILURES as exc:
            logger.warning(
                "shared value %r not forgotten in Redis (%s): %s",
                name,
                self.where,
                type(exc).__name__,
            )

    # --- life cycle -----------------------------------------------------------------------

    async def close(self) -> None:
        """Give leases back, stop listening and close the connection we opened."""
        for limiter in self._limiters.values():
            if limiter._idle_check is not None:
                limiter._idle_check.cancel()
                limiter._idle_check = None
            with contextlib.suppress(Exception):
                await limiter.give_back()
            await limiter.drain()
        if self._client is not None and self.membership.keys and not self.down:
            # The others count one process fewer at once (an event), not when it expires.
            with contextlib.suppress(Exception):
                await self.run(MEMBERS, *self.membership.leaving())
        listener, self._listener = self._listener, None
        if listener is not None:
            self._stopping = True
            self._stop.set()  # a listener waiting to reconnect
            client = self._client
            if client is not None and not listener.done():
                # A listener reading events is woken on its own channel; a Redis that does
                # not answer (stalled) must not hold the close up to ``timeout``.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(min(self._deadline, _CLOSE_GRACE)):
                        await client.publish(self._wake_channel, "stop")
            await asyncio.wait((listener,), timeout=_CLOSE_GRACE)
            if not listener.done():  # stuck reading from a stalled Redis
                listener.cancel()
                await asyncio.wait((listener,), timeout=_CLOSE_GRACE)
            self._stopping = False
        if self._given_client is None and self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):
                await client.aclose()
        self._scripts = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "down" if self._down_since is not None else "up"
        return f"<RedisBackend {self.where} prefix={self.prefix!r} {state}>"
