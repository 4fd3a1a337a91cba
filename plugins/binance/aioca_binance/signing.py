"""Binance request signers: HMAC-SHA256 (hex), and Ed25519 or RSA (base64) for private keys.

A signer turns the exact bytes of ``totalParams`` (the query string followed by the body,
no separator in between) into the value of the ``signature`` parameter. The secret or the
private key lives only inside the signer object, whose ``repr`` shows the kind of key and
nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Protocol

__all__ = ["Ed25519Signer", "HmacSigner", "RsaSigner", "Signer", "load_private_key_signer"]

_CRYPTO_HINT = (
    "Ed25519 and RSA keys need the 'cryptography' package: pip install cryptography "
    "(it is the plugin's 'crypto' extra: pip install './plugins/binance[crypto]' from a clone)"
)


class Signer(Protocol):
    """Computes the ``signature`` parameter over the exact payload sent."""

    def sign(self, payload: str) -> str: ...


class HmacSigner:
    """HMAC-SHA256 with the API secret, hex encoded (Binance's default key type)."""

    __slots__ = ("_keyed", "_secret")

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the API secret is empty")
        self._secret = secret
        keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        # The HMAC keyed once, copied for every signature: the key's padding and the first
        # hash blocks are not worked out again per request. OpenSSL's own HMAC object (when
        # the hmac module has one) copies without the Python wrapper's extra object.
        self._keyed: Any = getattr(keyed, "_hmac", None) or keyed

    def sign(self, payload: str) -> str:
        mac = self._keyed.copy()
        mac.update(payload.encode())
        return str(mac.hexdigest())

    def __reduce__(self) -> tuple[type[HmacSigner], tuple[str]]:
        # The keyed OpenSSL object cannot be pickled or deep-copied: rebuild from the secret.
        return (HmacSigner, (self._secret,))

    def __repr__(self) -> str:
        return "<HmacSigner secret=***>"


class Ed25519Signer:
    """Ed25519 over the payload, base64 encoded (the URL encoding happens when it is sent)."""

    __slots__ = ("_key",)

    def __init__(self, key: Any) -> None:
        self._key = key

    def sign(self, payload: str) -> str:
        return base64.b64encode(self._key.sign(payload.encode())).decode()

    def __repr__(self) -> str:
        return "<Ed25519Signer private_key=***>"


class RsaSigner:
    """RSASSA-PKCS1-v1_5 with SHA-256 over the payload, base64 encoded."""

    __slots__ = ("_key",)

    def __init__(self, key: Any) -> None:
        self._key = key

    def sign(self, payload: str) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = self._key.sign(payload.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def __repr__(self) -> str:
        return "<RsaSigner private_key=***>"


def load_private_key_signer(
    private_key: str | bytes, passphrase: str | bytes | None = None
) -> Ed25519Signer | RsaSigner:
    """A signer for a PEM private key (PKCS#8), or a path to a PEM file; Ed25519 or RSA."""
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_CRYPTO_HINT) from exc

    pem = private_key.encode() if isinstance(private_key, str) else private_key
    if b"-----BEGIN" not in pem:
        with open(pem.decode(), "rb") as file:  # a path to the PEM file
            pem = file.read()
    password = passphrase.encode() if isinstance(passphrase, str) else passphrase
    try:
        key = load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        # The message of cryptography's error never contains key material, but keep ours
        # generic all the same: this text may end up in logs.
        raise ValueError(
            f"private_key is not a PEM private key this passphrase opens ({type(exc).__name__})"
        ) from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return RsaSigner(key)
    raise ValueError("private_key must be an Ed25519 or RSA key")
