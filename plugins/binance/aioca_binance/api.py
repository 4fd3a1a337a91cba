"""``BinanceRestApi``: base URLs, security types, signing and error mapping for Binance.

Signed requests follow Binance's rules (``plugins/binance/spec/binance-signing-and-errors.md``): GET
and DELETE send their parameters in the query string, POST and PUT in a form body, in the
order given; ``recvWindow`` and ``timestamp`` come last, then ``signature``, computed over
exactly the bytes sent (the query string followed by the body).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import aiohttp

from aioca import PreparedRequest, Response, RestApi, errors
from aioca.rest import Params

from .endpoint import Endpoint, Security
from .errors import error_class_for
from .signing import HmacSigner, Signer, load_private_key_signer

__all__ = ["MAINNET_URLS", "TESTNET_URLS", "BinanceRestApi"]

MAINNET_URLS: Mapping[str, str] = {
    "spot": "https://api.binance.com",
    "usdm": "https://fapi.binance.com",
    "coinm": "https://dapi.binance.com",
}
"""Base URLs of Binance's spot, USDⓈ-M futures and COIN-M futures REST APIs."""

TESTNET_URLS: Mapping[str, str] = {
    "spot": "https://testnet.binance.vision",
    "usdm": "https://testnet.binancefuture.com",
    "coinm": "https://testnet.binancefuture.com",
}
"""Base URLs of the same APIs on Binance's testnets."""

_MAX_RECV_WINDOW = 60_000
_BANNED_UNTIL = re.compile(r"banned until (\d{12,})")


class BinanceRestApi(RestApi):
    """Binance REST API: credentials, base URLs, signing and Binance's error codes.

    ``api_key`` and ``api_secret`` for HMAC keys; or ``private_key`` (a PEM string, or a
    path to a PEM file; Ed25519 or RSA) with an optional ``private_key_passphrase``.
    ``testnet=True`` selects the testnets; ``urls={"coinm": "http://127.0.0.1:8080"}``
    overrides any base URL (a local simulator, a test server). ``recv_window`` is the
    default ``recvWindow`` in milliseconds; ``timeout`` is seconds or an
    ``aiohttp.ClientTimeout``. Other keyword arguments go to :class:`aioca.RestApi`.

    User tasks should build URLs from the instance attributes (``api.coinm_url``), which
    honour overrides; the class constant ``CoinM_BASE_URL`` is kept for seed-style code.
    """

    exchange: ClassVar[str] = "binance"

    CoinM_BASE_URL: ClassVar[str] = MAINNET_URLS["coinm"]
    """The seed README's constant: COIN-M's production base URL (ignores ``urls=``)."""

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        private_key: str | bytes | None = None,
        private_key_passphrase: str | bytes | None = None,
        testnet: bool = False,
        urls: Mapping[str, str] | None = None,
        recv_window: int = 5000,
        timeout: float | aiohttp.ClientTimeout = 10.0,
        proxy: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(timeout=timeout, proxy=proxy, **options)
        if isinstance(recv_window, bool) or not isinstance(recv_window, int):
            raise TypeError(f"recv_window must be whole milliseconds, not {recv_window!r}")
        if not 0 < recv_window <= _MAX_RECV_WINDOW:
            raise ValueError(f"recv_window must be 1..{_MAX_RECV_WINDOW} ms, not {recv_window}")
        base = dict(TESTNET_URLS if testnet else MAINNET_URLS)
        for market, url in (urls or {}).items():
            if market not in base:
                raise ValueError(f"unknown market {market!r} in urls: use {', '.join(base)}")
            base[market] = url.rstrip("/")
        self.urls: Mapping[str, str] = base
        self.testnet = testnet
        self.recv_window = recv_window
        self.api_key = api_key
        self.time_offset_ms = 0
        """Server time minus local time, added to every ``timestamp``."""
        self._signer: Signer | None
        if private_key is not None:
            self._signer = load_private_key_signer(private_key, private_key_passphrase)
        elif api_secret:
            self._signer = HmacSigner(api_secret)
        else:
            self._signer = None

    @property
    def spot_url(self) -> str:
        return self.urls["spot"]

    @property
    def usdm_url(self) -> str:
        return self.urls["usdm"]

    @property
    def coinm_url(self) -> str:
        return self.urls["coinm"]

    def timestamp_ms(self) -> int:
        """The ``timestamp`` of a request sent now, on the server's clock as far as known."""
        return int(time.time() * 1000) + self.time_offset_ms

    # --- sending -------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        params: Params | None = None,
        *,
        signed: bool = False,
        security: Security | str | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> Any:
        """Send one request, as the seed's ``request(method, url, params)`` did.

        ``security`` is the endpoint's Binance security type; without it, ``signed=True``
        means ``USER_DATA`` and ``signed=False`` means ``NONE``. POST and PUT parameters
        go into a form body, GET and DELETE parameters into the query string.
        """
        kind = (
            Security(security)
            if security is not None
            else (Security.USER_DATA if signed else Security.NONE)
        )
        sent_headers = dict(headers or {})
        if kind.needs_key:
            sent_headers["X-MBX-APIKEY"] = self._require_key(kind)
        if method.upper() in ("POST", "PUT"):
            options["data"] = _pairs(params)
            params = None
        return await super().request(
            method, url, params, signed=kind.signed, headers=sent_headers, **options
        )

    async def call_endpoint(self, endpoint: Endpoint, params: Params | None = None) -> Any:
        """Send a request to a declared endpoint (what catalog tasks do)."""
        return await self.request(
            endpoint.method,
            self.urls[endpoint.market] + endpoint.path,
            params,
            security=endpoint.security,
        )

    def _require_key(self, kind: Security) -> str:
        if not self.api_key:
            raise errors.AuthenticationError(
                f"a {kind.value} request needs an API key: BinanceRestApi(api_key=...)",
                exchange=self.exchange,
            )
        return self.api_key

    def sign_request(self, request: PreparedRequest) -> None:
        if self._signer is None:
            raise errors.AuthenticationError(
                "a signed request needs api_secret (HMAC) or private_key (Ed25519/RSA)",
                **self.error_context(request),
            )
        target = request.form if request.form is not None else request.query
        if not any(name == "recvWindow" for name, _ in (*request.query, *target)):
            target.append(("recvWindow", str(self.recv_window)))
        target.append(("timestamp", str(self.timestamp_ms())))
        payload = request.query_string() + (request.body() or "")
        target.append(("signature", self._signer.sign(payload)))

    # --- errors --------------------------------------------------------------------------

    def map_error(self, response: Response, payload: Any) -> errors.AiocaError:
        code: int | None = None
        msg = ""
        if isinstance(payload, Mapping):
            raw_code = payload.get("code")
            code = (
                raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
            )
            msg = str(payload.get("msg") or "")
        message = msg or response.excerpt() or "(empty body)"
        error_class = error_class_for(response.status, code)
        context = self.error_context(response.request)
        if issubclass(error_class, errors.RateLimitError):
            retry_after = response.retry_after()
            if error_class is errors.IPBannedError:
                until = _ban_end(message, retry_after)
                return errors.IPBannedError(
                    message,
                    until=until,
                    retry_after=retry_after,
                    code=code,
                    status=response.status,
                    **context,
                )
            return error_class(
                message, retry_after=retry_after, code=code, status=response.status, **context
            )
        return error_class(message, code=code, status=response.status, **context)

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        signer = type(self._signer).__name__ if self._signer is not None else "none"
        return (
            f"<BinanceRestApi key={key} signer={signer} coinm={self.coinm_url!r} "
            f"session={'closed' if self.closed else 'open'}>"
        )


def _pairs(params: Params | None) -> list[tuple[str, Any]]:
    if params is None:
        return []
    items: Iterable[tuple[str, Any]] = params.items() if isinstance(params, Mapping) else params
    return list(items)


def _ban_end(message: str, retry_after: float | None) -> float | None:
    """When an IP ban lifts, in Unix seconds: from Retry-After, else from Binance's message
    ("IP banned until 1618898400000")."""
    if retry_after is not None:
        return time.time() + retry_after
    match = _BANNED_UNTIL.search(message)
    return int(match.group(1)) / 1000 if match else None
