"""The futures user-data listen key, as both futures markets keep it: one key per
account, valid 60 minutes from its creation or last keepalive, Binance's -1125 once it has
expired or been closed."""

from __future__ import annotations

import secrets
from typing import ClassVar

from .errors import SimError

__all__ = ["LISTEN_KEY_MS", "ListenKeyHolder"]

LISTEN_KEY_MS = 60 * 60_000


class ListenKeyHolder:
    """The listen key of an engine's account (``listen_key``, ``listen_key_expires`` in
    server ms, read by the stream hub too) and its REST lifecycle."""

    listen_key_path: ClassVar[str]
    """The market's listenKey endpoint, named in the -1125 message."""

    listen_key: str | None = None
    listen_key_expires: int = 0

    def start_stream(self, now: int) -> str:
        """POST: the current key (a new one once the old has expired), valid 60 min more."""
        if self.listen_key is None or now >= self.listen_key_expires:
            self.listen_key = secrets.token_urlsafe(48)[:64]
        self.listen_key_expires = now + LISTEN_KEY_MS
        return self.listen_key

    def keepalive_stream(self, now: int) -> str:
        """PUT: 60 more minutes for a live key; -1125 for none."""
        if self.listen_key is None or now >= self.listen_key_expires:
            raise SimError(
                -1125,
                f"This listenKey does not exist. Please use `POST {self.listen_key_path}` to "
                "recreate `listenKey`",
            )
        self.listen_key_expires = now + LISTEN_KEY_MS
        return self.listen_key

    def close_stream(self, now: int) -> None:
        """DELETE: the key is gone (-1125 if there was none)."""
        self.keepalive_stream(now)
        self.listen_key = None
