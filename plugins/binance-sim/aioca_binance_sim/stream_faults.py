"""``StreamFaults``: the stream hub's standing fault knobs, changeable while it runs.

A client's reconnection logic is exercised by connections that end: after a lifetime
(Binance ends each after 24 h), all at once (a network break), by going silent (a stalled
server the client's heartbeat must notice), or by a depth diff that never comes (a
sequence gap the client must resync from). The one-off forms are the hub's methods
(``drop()``, ``stall()``, ``skip_update()``); these knobs repeat them, so a simulator
started from the command line (``aioca sim binance --ws-drop-every 30``) shows a client
every failure without a test driving it. Values are checked when set.
"""

from __future__ import annotations

from typing import Any

__all__ = ["StreamFaults"]

_KNOBS = ("lifetime", "stall_after", "drop_every", "skip_every")


class StreamFaults:
    """Seconds (wall clock), each ``None`` for never: ``lifetime``: the server closes each
    connection that long after it opened; ``stall_after``: each connection stops being
    sent to and read from that long after it opened (left open: silent); ``drop_every``:
    every connection is aborted, no close frame, that often; ``skip_every``: that often,
    the next depth diff of every subscribed symbol is left out (the one after shows the
    gap in its ``pu``)."""

    __slots__ = _KNOBS

    lifetime: float | None
    stall_after: float | None
    drop_every: float | None
    skip_every: float | None

    def __init__(
        self,
        lifetime: float | None = None,
        stall_after: float | None = None,
        drop_every: float | None = None,
        skip_every: float | None = None,
    ) -> None:
        self.lifetime = lifetime
        self.stall_after = stall_after
        self.drop_every = drop_every
        self.skip_every = skip_every

    def __setattr__(self, name: str, value: Any) -> None:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"StreamFaults.{name} must be seconds or None, not {value!r}")
            if not value > 0:
                raise ValueError(f"StreamFaults.{name} must be > 0 seconds, not {value!r}")
            value = float(value)
        object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StreamFaults):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in _KNOBS)

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        knobs = ", ".join(f"{k}={getattr(self, k)!r}" for k in _KNOBS)
        return f"StreamFaults({knobs})"
