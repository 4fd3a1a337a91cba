"""OKX v5 request signing.

OKX signs the *prehash* string ``timestamp + METHOD + requestPath + body``: the timestamp is
the ``OK-ACCESS-TIMESTAMP`` header itself (ISO 8601, UTC, milliseconds), ``requestPath``
is the path with its query string (``/api/v5/account/balance?ccy=BTC``) and ``body`` the
JSON text of a POST (empty for GET). The signature is base64 of the HMAC-SHA256 digest,
not hex as on Binance: the two schemes share nothing but the hash.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time

__all__ = ["OkxSigner", "iso_timestamp", "prehash"]


def iso_timestamp(ms: int) -> str:
    """``ms`` (Unix milliseconds) as OKX wants it: ``2020-12-08T09:08:57.715Z``.

    Built from ``time.gmtime`` rather than ``datetime.isoformat``, which writes
    ``+00:00`` and microseconds, both of which OKX refuses."""
    seconds, millis = divmod(ms, 1000)
    return f"{_iso_second(seconds)}.{millis:03d}Z"


@functools.lru_cache(maxsize=4)
def _iso_second(seconds: int) -> str:
    """The date and time of a whole second: formatted once per second rather than per
    signed request (``strftime`` costs more than the rest of the timestamp)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def prehash(timestamp: str, method: str, request_path: str, body: str | None) -> str:
    """The string OKX signs; ``method`` is upper-cased as OKX requires."""
    return f"{timestamp}{method.upper()}{request_path}{body or ''}"


class OkxSigner:
    """HMAC-SHA256 over the prehash string, base64-encoded. The secret stays inside: the
    repr shows ``***`` so that logging the API object or a signer leaks nothing."""

    __slots__ = ("_keyed", "_secret")

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the OKX API secret is empty")
        self._secret = secret
        # Keyed once and copied for every signature: the key's padding and first hash
        # blocks are not worked out again per request.
        self._keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)

    def sign(self, payload: str) -> str:
        mac = self._keyed.copy()
        mac.update(payload.encode())
        return base64.b64encode(mac.digest()).decode()

    def __reduce__(self) -> tuple[type[OkxSigner], tuple[str]]:
        # A keyed HMAC cannot be pickled or deep-copied: rebuild from the secret.
        return (OkxSigner, (self._secret,))

    def __repr__(self) -> str:
        return "OkxSigner(secret=***)"
