"""Which processes share a budget: a heartbeat in Redis, so that each knows how many they
are when Redis stops answering.

A process whose shared limiter falls back to a local one (``on_failure="local"``) can no
longer see what the others spend. If each kept a fixed share of the budget (it was half),
N processes degrading together would spend N halves of it: eight processes did, in a
benchmark where Redis grew too slow under load, and got 429s and an IP ban. So while Redis
answers, every process keeps a membership in each scope whose budget it charges (one
exchange host and egress address, one host and account), renewed every ``heartbeat``
seconds and lasting three of them; the renewal rides on a round trip the process makes
anyway (pipelined with it), so it costs no round trip of its own, except for an idle
process, whose event listener renews it. Each renewal brings back the number of live
members. When Redis fails, each process takes ``1/N`` of each budget, N being the last
count it had for that budget's scope: together they stay within it.

The count is kept as fresh as it is cheap to: a process that joins a scope, one that
leaves it (closing its backend) and members found expired are announced on the event
channel, so the others learn a new count at once; a process that died without leaving is
counted until its membership expires (too many, the safe side).
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["MEMBERS", "Membership"]

MEMBERS = """
-- KEYS: one member set per scope. ARGV: this process's token, ms its membership lasts,
--       'join' (or renew) or 'leave', the event channel.
-- Returns the number of live members of each scope. A member set is a sorted set scored
-- by the moment (Redis's clock, ms) each membership ends.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local out = {}
for i, key in ipairs(KEYS) do
  local changed = redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if ARGV[3] == 'leave' then
    changed = changed + redis.call('ZREM', key, ARGV[1])
  else
    changed = changed + redis.call('ZADD', key, now + ttl, ARGV[1])
  end
  local count = redis.call('ZCARD', key)
  if count > 0 and redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
  if changed > 0 then
    redis.call('PUBLISH', ARGV[4], cjson.encode({kind = 'members', scope = key,
      count = count}))
  end
  out[i] = count
end
return out
"""
"""Join (or renew), or leave, the member sets of some scopes, drop the memberships that
expired, and announce any change of a count on the event channel, in one atomic step."""

_LIFETIMES = 3
"""A membership lasts this many heartbeats: a process whose event loop is held up (a busy
machine) for a heartbeat or two is still counted."""


class Membership:
    """One backend's membership in the scopes its limiters charge, and the last count of
    live members of each (``counts``: member-set key -> count, this process included)."""

    def __init__(self, channel: str, heartbeat: float) -> None:
        self.channel = channel
        self.heartbeat = heartbeat
        self.token = secrets.token_hex(8)
        self.keys: dict[str, None] = {}  # the scopes joined, in order
        self.counts: dict[str, int] = {}
        self._due = -math.inf  # monotonic time of the next renewal

    def join(self, keys: Sequence[str]) -> None:
        """Count this process among the members of the scopes ``keys`` (from the next
        round trip on)."""
        for key in keys:
            if key not in self.keys:
                self.keys[key] = None
                self._due = -math.inf

    @property
    def due(self) -> bool:
        """Whether a renewal should ride on the next round trip."""
        return bool(self.keys) and time.monotonic() >= self._due

    def renewal(self) -> tuple[list[str], list[Any]]:
        """Keys and arguments of :data:`MEMBERS` for a renewal, marked as sent (it is
        due again after a heartbeat, or at once if :meth:`missed`)."""
        self._due = time.monotonic() + self.heartbeat
        return list(self.keys), [self.token, self._lifetime_ms, "join", self.channel]

    def leaving(self) -> tuple[list[str], list[Any]]:
        """Keys and arguments of :data:`MEMBERS` to leave every scope (the backend
        closes); no renewal is due for a heartbeat (none rides on the leaving itself)."""
        self._due = time.monotonic() + self.heartbeat
        return list(self.keys), [self.token, self._lifetime_ms, "leave", self.channel]

    @property
    def _lifetime_ms(self) -> int:
        return max(1, round(_LIFETIMES * self.heartbeat * 1000))

    def missed(self) -> None:
        """The renewal was not made: try again with the next round trip."""
        self._due = -math.inf

    def note(self, keys: Sequence[str], counts: Sequence[Any]) -> None:
        """The counts a renewal brought back, one per key."""
        for key, count in zip(keys, counts, strict=True):
            self.counts[key] = int(count)
