"""``Faults``: the simulator's fault-injection knobs, changeable while it runs.

Tests and demos need the failures a real exchange shows now and then: slow answers, 5xx
errors, connections closed without an answer, a server clock that disagrees with ours.
Each knob is read on every request, so ``sim.faults.latency = 0.05`` takes effect on the
next one; values are checked when set, so a typo fails where it is made.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Faults"]


class Faults:
    """``latency``: seconds added before every answer; ``error_rate``: the fraction of
    requests answered with HTTP 503 and Binance's ``-1001`` instead of being processed;
    ``drop_rate``: the fraction of requests whose connection is closed with no answer;
    ``clock_skew_ms``: milliseconds added to the server's clock (``/dapi/v1/time``, the
    ``timestamp`` checks, every time in the data)."""

    __slots__ = ("clock_skew_ms", "drop_rate", "error_rate", "latency")

    latency: float
    error_rate: float
    drop_rate: float
    clock_skew_ms: int

    def __init__(
        self,
        latency: float = 0.0,
        error_rate: float = 0.0,
        drop_rate: float = 0.0,
        clock_skew_ms: int = 0,
    ) -> None:
        self.latency = latency
        self.error_rate = error_rate
        self.drop_rate = drop_rate
        self.clock_skew_ms = clock_skew_ms

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"Faults.{name} must be a number, not {value!r}")
        if name == "latency" and value < 0:
            raise ValueError(f"Faults.latency must be >= 0 seconds, not {value!r}")
        if name in ("error_rate", "drop_rate") and not 0.0 <= value <= 1.0:
            raise ValueError(f"Faults.{name} must be a fraction in [0, 1], not {value!r}")
        if name == "clock_skew_ms":
            if value != int(value):
                raise ValueError(f"Faults.clock_skew_ms must be whole ms, not {value!r}")
            value = int(value)
        else:
            value = float(value)
        object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Faults):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def _values(self) -> tuple[float, float, float, int]:
        return (self.latency, self.error_rate, self.drop_rate, self.clock_skew_ms)

    def __repr__(self) -> str:
        return (
            f"Faults(latency={self.latency!r}, error_rate={self.error_rate!r}, "
            f"drop_rate={self.drop_rate!r}, clock_skew_ms={self.clock_skew_ms!r})"
        )
