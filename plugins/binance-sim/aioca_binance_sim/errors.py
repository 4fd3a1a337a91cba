"""Binance's error answers, as the simulator sends them: an HTTP status and a JSON body
``{"code": -1121, "msg": "Invalid symbol."}``.

Handlers raise :class:`SimError`; the server turns it into the response. The helpers
below carry Binance's exact wording (from its COIN-M error-code page, see
``plugins/binance/spec/binance-signing-and-errors.md``), so clients that match on ``msg``
see what they would see on Binance.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SimError",
    "bad_symbol",
    "illegal_chars",
    "invalid_parameter",
    "mandatory_missing",
]


class SimError(Exception):
    """An error answer: ``status`` (HTTP), ``code`` and ``msg`` (Binance's body), and extra
    response ``headers`` (``Retry-After`` for 429/418)."""

    def __init__(
        self, code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """Binance's error body: ``{"code": ..., "msg": ...}`` (some errors add more)."""
        return {"code": self.code, "msg": self.msg}


def mandatory_missing(name: str) -> SimError:
    return SimError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal_chars(name: str, legal: str) -> SimError:
    return SimError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def invalid_parameter(name: str) -> SimError:
    return SimError(-1130, f"Data sent for parameter '{name}' is not valid.")


def bad_symbol() -> SimError:
    return SimError(-1121, "Invalid symbol.")
