"""Signing: Binance's published HMAC vectors byte for byte, and Ed25519/RSA signatures
verified independently with the public key."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, unquote

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from aioca import PreparedRequest
from aioca.errors import AuthenticationError
from aioca_binance import BinanceRestApi
from aioca_binance.signing import (
    Ed25519Signer,
    HmacSigner,
    RsaSigner,
    load_private_key_signer,
)

# Binance's COIN-M general-info page, "SIGNED Endpoint Examples for POST /dapi/v1/order".
DOC_API_KEY = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
DOC_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
DOC_TIMESTAMP = 1591702613943
COINM_PAYLOAD = (
    "symbol=BTCUSD_200925&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
    "&recvWindow=5000&timestamp=1591702613943"
)
COINM_SIGNATURE = "04c8b9fbd55285a38fd6a3fc40ba3a7d114f22564dab61611bf24f2d2efb890f"
COINM_PAGE_ERRATUM = "21fd819734bf0e5c68740eed892909414d693635c5f7fffab1313925ae13556a"
USDM_PAYLOAD = COINM_PAYLOAD.replace("BTCUSD_200925", "BTCUSDT")
USDM_SIGNATURE = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
# Example 3 signs query + body concatenated with no '&' between them, exactly as printed
# (including the page's stray space after "timestamp=").
MIXED_PAYLOAD = (
    "symbol=BTCUSD_200925&side=BUY&type=LIMIT&timeInForce=GTC"
    "quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943"
)
MIXED_SIGNATURE = "f3129e7c72c7727037891ad8a86b76a7dc514ba125a536775c8ba403b2d1b222"


def test_hmac_reproduces_the_coinm_vector() -> None:
    assert HmacSigner(DOC_SECRET).sign(COINM_PAYLOAD) == COINM_SIGNATURE


def test_coinm_page_signature_is_a_documented_erratum() -> None:
    # The page prints 21fd8197... for this payload; no input reproduces it (see the spec).
    assert HmacSigner(DOC_SECRET).sign(COINM_PAYLOAD) != COINM_PAGE_ERRATUM


def test_hmac_reproduces_the_usdm_vector() -> None:
    assert HmacSigner(DOC_SECRET).sign(USDM_PAYLOAD) == USDM_SIGNATURE


def test_hmac_reproduces_the_mixed_query_and_body_vector() -> None:
    assert HmacSigner(DOC_SECRET).sign(MIXED_PAYLOAD) == MIXED_SIGNATURE


def test_signer_reprs_hide_the_key() -> None:
    assert DOC_SECRET not in repr(HmacSigner(DOC_SECRET))
    assert "***" in repr(HmacSigner(DOC_SECRET))


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        HmacSigner("")


def _api(**options: object) -> BinanceRestApi:
    api = BinanceRestApi(DOC_API_KEY, DOC_SECRET, **options)  # type: ignore[arg-type]
    api.timestamp_ms = lambda: DOC_TIMESTAMP  # type: ignore[method-assign]
    return api


def test_signed_post_body_reproduces_the_documented_request_byte_for_byte() -> None:
    api = _api()
    request = PreparedRequest(
        "POST",
        "https://dapi.binance.com/dapi/v1/order",
        form=[
            ("symbol", "BTCUSD_200925"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("quantity", "1"),
            ("price", "9000"),
            ("timeInForce", "GTC"),
        ],
        signed=True,
    )
    api.sign_request(request)
    assert request.body() == f"{COINM_PAYLOAD}&signature={COINM_SIGNATURE}"
    assert request.query_string() == ""


def test_signature_covers_query_then_body_with_nothing_between() -> None:
    api = _api()
    request = PreparedRequest(
        "POST",
        "https://dapi.binance.com/dapi/v1/order",
        query=[("symbol", "BTCUSD_200925"), ("timeInForce", "GTC")],
        form=[("quantity", "1")],
        signed=True,
    )
    api.sign_request(request)
    body = request.body() or ""
    unsigned_body = body.rsplit("&signature=", 1)[0]
    expected = hmac.new(
        DOC_SECRET.encode(),
        (request.query_string() + unsigned_body).encode(),
        hashlib.sha256,
    ).hexdigest()
    assert body.endswith(f"&signature={expected}")
    assert unsigned_body == f"quantity=1&recvWindow=5000&timestamp={DOC_TIMESTAMP}"


def test_get_is_signed_in_the_query_with_recv_window_then_timestamp_then_signature() -> None:
    api = _api(recv_window=3000)
    request = PreparedRequest(
        "GET", "https://dapi.binance.com/dapi/v1/account", query=[], signed=True
    )
    api.sign_request(request)
    names = [name for name, _ in request.query]
    assert names == ["recvWindow", "timestamp", "signature"]
    assert dict(request.query)["recvWindow"] == "3000"


def test_a_given_recv_window_is_kept_not_duplicated() -> None:
    api = _api()
    request = PreparedRequest("GET", "https://x", query=[("recvWindow", "1000")], signed=True)
    api.sign_request(request)
    assert [name for name, _ in request.query].count("recvWindow") == 1
    assert dict(request.query)["recvWindow"] == "1000"


def test_signing_without_a_secret_is_a_clear_authentication_error() -> None:
    api = BinanceRestApi("key-only")
    request = PreparedRequest("GET", "https://x", signed=True)
    with pytest.raises(AuthenticationError, match="api_secret"):
        api.sign_request(request)


# --- Ed25519 and RSA ------------------------------------------------------------------


def _ed25519_pem(password: bytes | None = None) -> tuple[bytes, ed25519.Ed25519PublicKey]:
    key = ed25519.Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    return pem, key.public_key()


def _rsa_pem() -> tuple[bytes, rsa.RSAPublicKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, key.public_key()


def _signed_query(api: BinanceRestApi) -> tuple[str, str]:
    """Sign a GET and return (payload signed, signature decoded from the wire)."""
    request = PreparedRequest(
        "GET",
        "https://dapi.binance.com/dapi/v1/order",
        query=[("symbol", "BTCUSD_PERP"), ("orderId", "22542179")],
        signed=True,
    )
    api.sign_request(request)
    wire = request.query_string()
    payload, encoded_signature = wire.rsplit("&signature=", 1)
    assert "+" not in encoded_signature
    assert "/" not in encoded_signature
    assert "=" not in encoded_signature, "base64 padding must be percent-encoded on the wire"
    signature = unquote(encoded_signature)
    assert dict(parse_qsl(wire))["signature"] == signature
    return payload, signature


def test_ed25519_signature_verifies_with_the_public_key() -> None:
    pem, public_key = _ed25519_pem()
    api = BinanceRestApi("key", private_key=pem.decode())
    payload, signature = _signed_query(api)
    public_key.verify(base64.b64decode(signature), payload.encode())  # raises if wrong


def test_rsa_signature_verifies_with_the_public_key() -> None:
    pem, public_key = _rsa_pem()
    api = BinanceRestApi("key", private_key=pem)
    payload, signature = _signed_query(api)
    public_key.verify(
        base64.b64decode(signature), payload.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_encrypted_private_key_needs_its_passphrase() -> None:
    pem, public_key = _ed25519_pem(password=b"correct horse")
    with pytest.raises(ValueError, match="passphrase"):
        BinanceRestApi("key", private_key=pem)
    api = BinanceRestApi("key", private_key=pem, private_key_passphrase="correct horse")
    payload, signature = _signed_query(api)
    public_key.verify(base64.b64decode(signature), payload.encode())


def test_private_key_can_be_read_from_a_file(tmp_path: pytest.TempPathFactory) -> None:
    pem, _ = _ed25519_pem()
    path = tmp_path / "key.pem"  # type: ignore[operator]
    path.write_bytes(pem)
    assert isinstance(load_private_key_signer(str(path)), Ed25519Signer)


def test_loader_picks_the_signer_for_the_key_type() -> None:
    assert isinstance(load_private_key_signer(_rsa_pem()[0]), RsaSigner)
    assert isinstance(load_private_key_signer(_ed25519_pem()[0]), Ed25519Signer)


def test_private_key_never_shows_in_reprs() -> None:
    pem, _ = _ed25519_pem()
    api = BinanceRestApi("key", private_key=pem)
    text = repr(api) + repr(api._signer)
    assert "PRIVATE KEY" not in text
    assert pem.decode().splitlines()[1][:20] not in text
