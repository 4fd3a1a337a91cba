"""Base URLs per market, declared by a plugin and overridable by its users, validated.

An exchange API object talks to one base URL per market (an exchange may have separate
hosts for spot and futures, or one REST host). A plugin declares its defaults (and its
testnet's);
users override any of them (``urls={"futures": "http://127.0.0.1:8080"}``: a simulator, a
proxy). :func:`base_urls` merges the two and refuses, with a clear ``ValueError``, a market
the exchange does not have and a URL that is not an absolute ``http(s)`` URL without a
query: a typo should fail when the API object is made, not on its first request.
"""

from __future__ import annotations

from collections.abc import Mapping

from yarl import URL

__all__ = ["base_urls", "check_base_url"]


def check_base_url(url: str, *, market: str = "") -> str:
    """``url`` without a trailing ``/``, or ``ValueError`` when it is not an absolute
    ``http``/``https`` URL with a host and without a query or fragment."""
    where = f" for {market!r}" if market else ""
    if not isinstance(url, str):
        raise TypeError(f"the base URL{where} must be a string, not {url!r}")
    try:
        parsed = URL(url)
    except ValueError as exc:
        raise ValueError(f"the base URL{where} is not a URL: {url!r} ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(
            f"the base URL{where} must be an absolute http(s) URL such as "
            f"https://api.example.com, not {url!r}"
        )
    if parsed.query_string or parsed.fragment:
        raise ValueError(f"the base URL{where} must not have a query or fragment: {url!r}")
    return url.rstrip("/")


def base_urls(
    defaults: Mapping[str, str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``defaults`` with ``overrides`` applied, each override's market known and its URL
    checked (see :func:`check_base_url`)."""
    merged = dict(defaults)
    for market, url in (overrides or {}).items():
        if market not in merged:
            raise ValueError(f"unknown market {market!r} in urls: use {', '.join(merged)}")
        merged[market] = check_base_url(url, market=market)
    return merged
