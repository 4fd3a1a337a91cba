"""Binance's request security, checked by the simulator: API key, timestamp, signature.

The signature is checked over exactly the bytes received: ``totalParams`` is the raw query
string followed by the raw form body (no ``&`` between them), without the ``signature``
parameter, which must come last. HMAC-SHA256 signatures are hex (case-insensitive);
Ed25519 and RSA signatures are base64, verified with public keys registered at start
(``cryptography`` is imported only when such a key is given).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any
from urllib.parse import unquote_plus

from .errors import SimError

__all__ = ["Credentials", "split_signature"]

_HEX_SIGNATURE = re.compile(r"^[0-9a-fA-F]{64}$")
_MAX_FUTURE_MS = 1000
_MAX_RECV_WINDOW = 60_000
_WHOLE_WINDOW = re.compile(r"^[0-9]{1,10}$")
_FRACTIONAL_WINDOW = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,3})?$")


def _load_public_key(pem: str | bytes, kind: str) -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"an {kind} public key needs the 'cryptography' package: pip install cryptography"
        ) from exc
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = load_pem_public_key(data)
    except ValueError:
        raise ValueError(f"{kind.lower()}_public_key is not a PEM public key") from None
    wanted = ed25519.Ed25519PublicKey if kind == "Ed25519" else rsa.RSAPublicKey
    if not isinstance(key, wanted):
        raise ValueError(f"{kind.lower()}_public_key is not an {kind} public key")
    return key


def split_signature(query: str, body: str) -> tuple[str, str | None]:
    """``(totalParams without the signature, the signature)`` of a request's raw query
    and body; the signature is ``None`` unless it is the last parameter of one of them."""
    for raw, is_body in ((body, True), (query, False)):
        if not raw:
            continue
        head, sep, tail = raw.rpartition("signature=")
        if not sep or "&" in tail or (head and not head.endswith("&")):
            continue
        head = head[:-1] if head else ""
        if is_body:
            return query + head, unquote_plus(tail)
        if body:  # the signature must be the last parameter sent
            return query, None
        return head, unquote_plus(tail)
    return query + body, None


class Credentials:
    """The one account's API key and the keys that may sign its requests."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        ed25519_public_key: str | bytes | None = None,
        rsa_public_key: str | bytes | None = None,
    ) -> None:
        self.api_key = api_key
        self._secret = api_secret.encode()
        self._ed25519 = (
            _load_public_key(ed25519_public_key, "Ed25519") if ed25519_public_key else None
        )
        self._rsa = _load_public_key(rsa_public_key, "RSA") if rsa_public_key else None

    def check_key(self, header: str | None) -> None:
        """The ``X-MBX-APIKEY`` header: missing or malformed -2014, unknown -2015."""
        if not header:
            raise SimError(-2014, "API-key format invalid.", status=401)
        if not hmac.compare_digest(header.encode(), self.api_key.encode()):
            raise SimError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)

    @staticmethod
    def check_timestamp(
        timestamp: str | None,
        recv_window: str | None,
        server_ms: int,
        *,
        fractional_window: bool = False,
    ) -> None:
        """Binance's rule: ``timestamp < serverTime + 1000`` and
        ``serverTime - timestamp <= recvWindow`` (default 5000, at most 60000).
        ``fractional_window``: the market takes a ``recvWindow`` with up to three decimals
        (Spot: "Supports up to three decimal places of precision (e.g., 6000.346)")."""
        if not timestamp or not (timestamp.isascii() and timestamp.isdigit()):
            raise SimError(
                -1102,
                "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
            )
        window: float = 5000
        if recv_window is not None:
            pattern = _FRACTIONAL_WINDOW if fractional_window else _WHOLE_WINDOW
            if not pattern.match(recv_window) or not (0 < float(recv_window) <= _MAX_RECV_WINDOW):
                raise SimError(-1130, "Data sent for parameter 'recvWindow' is not valid.")
            window = float(recv_window)
        sent = int(timestamp)
        if sent >= server_ms + _MAX_FUTURE_MS:
            raise SimError(
                -1021, "Timestamp for this request was 1000ms ahead of the server's time."
            )
        if server_ms - sent > window:
            raise SimError(-1021, "Timestamp for this request is outside of the recvWindow.")

    def check_signature(self, payload: str, signature: str | None) -> None:
        """-1102 without a signature, -1022 when no registered key made it."""
        if not signature:
            raise SimError(
                -1102,
                "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
            )
        if _HEX_SIGNATURE.match(signature):
            expected = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()
            if hmac.compare_digest(expected, signature.lower()):
                return
        elif self._verify_asymmetric(payload.encode(), signature):
            return
        raise SimError(-1022, "Signature for this request is not valid.")

    def _verify_asymmetric(self, payload: bytes, signature: str) -> bool:
        if self._ed25519 is None and self._rsa is None:
            return False
        from cryptography.exceptions import InvalidSignature

        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return False
        if self._ed25519 is not None:
            try:
                self._ed25519.verify(raw, payload)
                return True
            except InvalidSignature:
                pass
        if self._rsa is not None:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding

            try:
                self._rsa.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
                return True
            except InvalidSignature:
                pass
        return False

    def __repr__(self) -> str:
        extra = [name for name, key in (("ed25519", self._ed25519), ("rsa", self._rsa)) if key]
        return f"<Credentials api_key={self.api_key!r} secret=*** extra={extra}>"
