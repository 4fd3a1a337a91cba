"""A live progress line for long runs (rings of many passes) on a terminal.

``ProgressLine`` counts the tasks a queue hands back, finished and failed, and how long
the rate limiter of the given APIs will hold requests, and rewrites one line in place::

    ticker ring: 212 finished, 1 failed, rate-limit wait 3.4 s

It writes only to a terminal (``stream.isatty()``), so logs and pipes get nothing but the
regular output; call :meth:`ProgressLine.clear` before printing a line of your own, and the
next :meth:`ProgressLine.update` draws the progress line again below it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .rest import RestApi
    from .task import BaseTask

__all__ = ["ProgressLine", "rate_limit_wait"]


def rate_limit_wait(apis: Iterable[RestApi]) -> float:
    """Seconds until the fullest window of any of ``apis`` resets, when one is full (a
    request would wait that long); 0 when every window has room."""
    wait = 0.0
    for api in apis:
        for windows in api.rate_limit_status().values():
            for window in windows:
                if window.used >= window.limit:
                    wait = max(wait, window.resets_in)
    return wait


class ProgressLine:
    """One status line, redrawn at most every ``interval`` seconds while tasks finish."""

    def __init__(
        self,
        label: str,
        *,
        apis: Iterable[RestApi] = (),
        stream: IO[str] | None = None,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.apis = list(apis)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self.clock = clock
        self.finished = 0
        self.failed = 0
        self._drawn = False
        self._last_draw = -float("inf")

    def text(self) -> str:
        """The line as it is drawn now."""
        text = f"{self.label}: {self.finished} finished, {self.failed} failed"
        wait = rate_limit_wait(self.apis)
        return text + (f", rate-limit wait {wait:.1f} s" if wait > 0 else ", no rate-limit wait")

    def update(self, task: BaseTask) -> None:
        """Count a task the queue handed back, and redraw the line."""
        if task.exception is not None:
            self.failed += 1
        else:
            self.finished += 1
        self.draw()

    def draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not force and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self.stream.write("\r\x1b[2K" + self.text())
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Remove the line (to print something else, or at the end)."""
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()
