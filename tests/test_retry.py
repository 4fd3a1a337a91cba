"""RetryPolicy, and how RestApi.request retries: what is repeated and what never is, the
pauses between tries (Retry-After, backoff, the total-time bound), re-signing, and how a
429 or 418 and the exchange's usage headers reach the rate limiter.

HTTP is mocked with aioresponses (the ``aioca_mock`` fixture). The pauses between tries go
through the API's timer, a :class:`aioca.testing.FakeClock` that records them instead of
sleeping; where a rate limiter is involved it waits on the same fake clock, which the API's
limiter reads.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from aioca import PreparedRequest, RetryPolicy, errors
from aioca.ratelimit import RateLimiter, Window, WindowStatus
from aioca.retry import NO_RETRY
from aioca.testing import FakeClock

from .helpers import FakeApi

HOST = "api.retryex.invalid"
URL = f"https://{HOST}/api/v3/thing"
OTHER_HOST_URL = "https://other.retryex.invalid/api/v3/thing"
ANY_URL = re.compile(r"^https://api\.retryex\.invalid/.*$")
WEIGHT = Window("WEIGHT", 100, 60, header="X-Used-Weight")


def sent(aioca_mock: aioresponses) -> int:
    """How many requests reached the (aioca_mock) network."""
    return sum(len(calls) for calls in aioca_mock.requests.values())


def request_for(url: str = URL) -> PreparedRequest:
    return PreparedRequest(method="GET", url=url)


@pytest.fixture
def clock(aioca_clock: FakeClock) -> FakeClock:
    aioca_clock.now = 1_000.0
    return aioca_clock


@pytest.fixture
def timer(clock: FakeClock) -> FakeClock:
    """The timer of the APIs of a test: the fake clock their limiters read, whose sleeps
    (retry pauses, limiter waits) are recorded and move it, not slept."""
    return clock


@pytest.fixture
def pauses(timer: FakeClock) -> list[float]:
    """Every wait of the test's APIs (on ``timer``), in order."""
    return timer.sleeps


class LimitedApi(FakeApi):
    """A FakeApi that declares rate-limit windows, on the clock it is given."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        windows: Iterable[Window] = (WEIGHT,),
        **options: Any,
    ) -> None:
        if isinstance(clock, FakeClock):
            options.setdefault("timer", clock)  # its limiters wait on the clock they read
        super().__init__(**options)
        self._clock = clock
        self._windows = list(windows)

    def rate_limits(self) -> list[Window]:
        return list(self._windows)

    def clock(self) -> float:
        return self._clock()


API_KEY = "retry-api-key-9d3e1f"
SECRET = "retry-api-secret-5b8c07"


class SigningApi(FakeApi):
    """Signs the query with HMAC-SHA256 over a fresh timestamp, Binance style; counts calls."""

    exchange = "retryex"

    def __init__(self, **options: Any) -> None:
        super().__init__(API_KEY, **options)
        self._secret = SECRET
        self._timestamps = itertools.count(1_700_000_000_000)
        self.signatures: list[str] = []

    def sign_request(self, request: PreparedRequest) -> None:
        request.query.append(("timestamp", str(next(self._timestamps))))
        request.query.append(("apiKey", self.api_key))
        signature = hmac.new(
            self._secret.encode(), request.query_string().encode(), hashlib.sha256
        ).hexdigest()
        request.query.append(("signature", signature))
        request.headers["X-API-KEY"] = self.api_key
        self.signatures.append(signature)


# --- RetryPolicy ------------------------------------------------------------------------------


def test_default_policy() -> None:
    policy = RetryPolicy()

    assert policy.attempts == 3
    assert policy.backoff == 0.25
    assert policy.max_backoff == 5.0
    assert policy.total_time == 30.0
    assert policy.methods == {"GET", "HEAD", "OPTIONS"}


def test_no_retry_policy_makes_one_attempt() -> None:
    assert NO_RETRY.attempts == 1


@pytest.mark.parametrize("attempts", [0, -1])
def test_fewer_than_one_attempt_is_rejected(attempts: int) -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=attempts)


@pytest.mark.parametrize("field", ["backoff", "max_backoff", "total_time"])
def test_negative_times_are_rejected(field: str) -> None:
    options: dict[str, Any] = {field: -1.0}
    with pytest.raises(ValueError, match=">= 0"):
        RetryPolicy(**options)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_safe_methods_may_be_repeated(method: str) -> None:
    assert RetryPolicy().allows(method)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_state_changing_methods_are_not_repeated_by_default(method: str) -> None:
    assert not RetryPolicy().allows(method)


def test_methods_listed_in_the_policy_may_be_repeated() -> None:
    policy = RetryPolicy(methods=frozenset({"GET", "DELETE"}))

    assert policy.allows("DELETE")
    assert policy.allows("delete")
    assert not policy.allows("POST")


@pytest.mark.parametrize(
    "error",
    [
        errors.NetworkError("reset"),
        errors.RequestTimeoutError("timed out"),
        errors.ConnectError("refused"),
        errors.ExchangeServerError("down", status=503),
        errors.RateLimitError("slow down", status=429, retry_after=1.0),
    ],
    ids=lambda error: type(error).__name__,
)
def test_transient_failures_are_retryable(error: errors.AiocaError) -> None:
    assert RetryPolicy.is_retryable(error)


@pytest.mark.parametrize(
    "error",
    [
        errors.IPBannedError("banned", status=418, until=time.time() + 60),
        errors.BadRequestError("bad symbol", status=400),
        errors.AuthenticationError("bad key", status=401),
        errors.InvalidResponseError("not JSON", status=200),
        errors.OrderStateUnknownError("unknown", client_order_id="x"),
        ValueError("not ours"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_other_failures_are_not_retryable(error: Exception) -> None:
    assert not RetryPolicy.is_retryable(error)


@pytest.mark.parametrize("retry", [1, 2, 10])
def test_delay_is_the_retry_after_the_exchange_asked_for(retry: int) -> None:
    error = errors.RateLimitError("slow down", retry_after=7.5)

    assert RetryPolicy().delay(retry, error) == 7.5


def test_rate_limit_without_retry_after_backs_off() -> None:
    policy = RetryPolicy(backoff=1.0, max_backoff=1.0)
    error = errors.RateLimitError("slow down")

    for _ in range(200):
        assert 0.0 <= policy.delay(1, error) <= 1.0


@pytest.mark.parametrize("retry", range(1, 9))
def test_backoff_is_random_within_its_ceiling(retry: int) -> None:
    policy = RetryPolicy(backoff=0.25, max_backoff=5.0)
    ceiling = min(5.0, 0.25 * 2 ** (retry - 1))
    error = errors.ExchangeServerError("down", status=503)

    draws = [policy.delay(retry, error) for _ in range(2_000)]

    assert all(0.0 <= draw <= ceiling for draw in draws)
    assert max(draws) > 0.9 * ceiling  # full jitter: the whole range is used
    assert min(draws) < 0.1 * ceiling
    assert len(set(draws)) > 1_000


def test_backoff_ceiling_doubles_then_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[float, float]] = []

    def top_of_range(low: float, high: float) -> float:
        calls.append((low, high))
        return high

    monkeypatch.setattr("aioca.retry.random.uniform", top_of_range)
    policy = RetryPolicy(backoff=0.25, max_backoff=5.0)
    error = errors.NetworkError("reset")

    ceilings = [policy.delay(retry, error) for retry in range(1, 8)]

    assert ceilings == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert {low for low, _ in calls} == {0}


def test_zero_backoff_retries_at_once() -> None:
    policy = RetryPolicy(backoff=0.0)

    assert {policy.delay(n, errors.NetworkError("reset")) for n in range(1, 5)} == {0.0}


# --- RestApi: what is retried -----------------------------------------------------------------


async def test_get_that_gets_503_then_200_returns_the_200_body(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=503, payload={"msg": "busy"})
    aioca_mock.get(ANY_URL, payload={"price": "42"})

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        assert await api.request("GET", URL) == {"price": "42"}

    assert sent(aioca_mock) == 2
    assert len(pauses) == 1
    assert 0.0 <= pauses[0] <= 0.25


async def test_connection_errors_are_retried_until_success(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, exception=aiohttp.ClientConnectionError())
    aioca_mock.get(ANY_URL, exception=aiohttp.ClientConnectionError())
    aioca_mock.get(ANY_URL, payload={"ok": True})

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        assert await api.request("GET", URL) == {"ok": True}

    assert sent(aioca_mock) == 3
    assert len(pauses) == 2


async def test_timeouts_are_retried(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, exception=TimeoutError())
    aioca_mock.get(ANY_URL, payload={"ok": True})

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=2)) as api:
        assert await api.request("GET", URL) == {"ok": True}

    assert sent(aioca_mock) == 2


async def test_exhausted_attempts_raise_the_last_error(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=502, payload={"msg": "first"})
    aioca_mock.get(ANY_URL, status=503, payload={"msg": "second"})
    aioca_mock.get(ANY_URL, status=504, payload={"msg": "last"})
    aioca_mock.get(ANY_URL, payload={"ok": True})  # never reached

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        with pytest.raises(errors.ExchangeServerError) as exc_info:
            await api.request("GET", URL)

    assert exc_info.value.status == 504
    assert exc_info.value.msg == "last"
    assert sent(aioca_mock) == 3
    assert len(pauses) == 2


async def test_one_attempt_means_no_retry(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=503, payload={}, repeat=True)

    async with FakeApi(timer=timer, retry=NO_RETRY) as api:
        with pytest.raises(errors.ExchangeServerError):
            await api.request("GET", URL)

    assert sent(aioca_mock) == 1
    assert pauses == []


async def test_post_that_gets_503_is_not_retried(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.post(ANY_URL, status=503, payload={}, repeat=True)

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        with pytest.raises(errors.ExchangeServerError):
            await api.request("POST", URL, {"symbol": "BTCUSDT"})

    assert sent(aioca_mock) == 1
    assert pauses == []


async def test_post_marked_idempotent_is_retried(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.post(ANY_URL, status=503, payload={})
    aioca_mock.post(ANY_URL, payload={"ok": True})

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        assert await api.request("POST", URL, idempotent=True) == {"ok": True}

    assert sent(aioca_mock) == 2
    assert len(pauses) == 1


async def test_get_marked_not_idempotent_is_not_retried(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=503, payload={}, repeat=True)

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        with pytest.raises(errors.ExchangeServerError):
            await api.request("GET", URL, idempotent=False)

    assert sent(aioca_mock) == 1


async def test_delete_is_retried_when_the_policy_lists_it(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.delete(ANY_URL, status=503, payload={})
    aioca_mock.delete(ANY_URL, payload={"ok": True})
    policy = RetryPolicy(attempts=3, methods=frozenset({"GET", "DELETE"}))

    async with FakeApi(timer=timer, retry=policy) as api:
        assert await api.request("DELETE", URL) == {"ok": True}

    assert sent(aioca_mock) == 2


async def test_delete_is_not_retried_by_default(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.delete(ANY_URL, status=503, payload={}, repeat=True)

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        with pytest.raises(errors.ExchangeServerError):
            await api.request("DELETE", URL)

    assert sent(aioca_mock) == 1


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(400, errors.BadRequestError), (401, errors.AuthenticationError)],
)
async def test_client_errors_are_never_retried(
    aioca_mock: aioresponses,
    pauses: list[float],
    timer: FakeClock,
    status: int,
    error_class: type[errors.ExchangeError],
) -> None:
    aioca_mock.get(ANY_URL, status=status, payload={"code": -1121, "msg": "no"}, repeat=True)

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        with pytest.raises(error_class):
            await api.request("GET", URL)

    assert sent(aioca_mock) == 1
    assert pauses == []


async def test_a_body_that_is_not_json_is_not_retried(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=200, body="<html>oops</html>", repeat=True)

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        with pytest.raises(errors.InvalidResponseError):
            await api.request("GET", URL)

    assert sent(aioca_mock) == 1


# --- RestApi: time between and across tries ---------------------------------------------------


async def test_429_waits_the_retry_after_before_the_retry(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=429, payload={}, headers={"Retry-After": "2"})
    aioca_mock.get(ANY_URL, payload={"ok": True})

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        assert await api.request("GET", URL) == {"ok": True}

    assert pauses == [2.0]
    assert sent(aioca_mock) == 2


async def test_retry_after_beyond_the_total_time_raises_without_waiting(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=429, payload={}, headers={"Retry-After": "10"}, repeat=True)

    async with FakeApi(timer=timer, retry=RetryPolicy(attempts=3, total_time=0.5)) as api:
        with pytest.raises(errors.RateLimitError) as exc_info:
            await api.request("GET", URL)

    assert exc_info.value.retry_after == 10.0
    assert pauses == []
    assert sent(aioca_mock) == 1


async def test_every_retry_is_signed_afresh(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=503, payload={})
    aioca_mock.get(ANY_URL, exception=aiohttp.ClientConnectionError())
    aioca_mock.get(ANY_URL, payload={"ok": True})

    async with SigningApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        assert await api.request("GET", URL, {"symbol": "BTCUSDT"}, signed=True) == {"ok": True}

    assert len(api.signatures) == 3
    assert len(set(api.signatures)) == 3  # a new timestamp, so a new signature, each time
    sent_signatures = {url.query["signature"] for _, url in aioca_mock.requests}
    assert sent_signatures == set(api.signatures)


async def test_unsigned_retries_are_never_signed(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=503, payload={})
    aioca_mock.get(ANY_URL, payload={"ok": True})

    async with SigningApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        await api.request("GET", URL)

    assert api.signatures == []


# --- RestApi and the rate limiter -------------------------------------------------------------


async def test_api_without_windows_still_holds_a_host_after_an_ip_ban(
    aioca_mock: aioresponses,
) -> None:
    aioca_mock.get(ANY_URL, status=418, payload={"msg": "banned"}, headers={"Retry-After": "60"})
    async with FakeApi(retry=RetryPolicy(attempts=1)) as api:
        limiter = api.rate_limiter_for(request_for())
        assert limiter.windows == ()
        assert {k: list(v) for k, v in api.rate_limit_status().items()} == {HOST: []}
        with pytest.raises(errors.IPBannedError):
            await api.request("GET", URL)
        with pytest.raises(errors.IPBannedError):
            await api.request("GET", URL)
    assert sum(len(calls) for calls in aioca_mock.requests.values()) == 1, (
        "nothing sent when banned"
    )


async def test_429_pauses_the_hosts_limiter_for_the_retry_after(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock, clock: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=429, payload={}, headers={"Retry-After": "2"})
    aioca_mock.get(ANY_URL, payload={"ok": True})

    async with LimitedApi(timer=timer, clock=clock, retry=RetryPolicy(attempts=3)) as api:
        assert await api.request("GET", URL) == {"ok": True}

    assert pauses == [2.0]
    # The recorded pause did not move the limiter's clock, so the retry found the host
    # paused and waited out the 2 s in the limiter.
    assert clock.sleeps == [2.0]
    assert sent(aioca_mock) == 2


async def test_after_a_429_the_next_request_to_the_host_waits(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock, clock: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=429, payload={}, headers={"Retry-After": "2"})
    aioca_mock.get(ANY_URL, payload={"ok": True})
    aioca_mock.get(re.compile(r"^https://other\."), payload={"ok": True})

    async with LimitedApi(timer=timer, clock=clock, retry=NO_RETRY) as api:
        with pytest.raises(errors.RateLimitError):
            await api.request("GET", URL)
        await api.request("GET", OTHER_HOST_URL)
        assert clock.sleeps == []  # another host has its own limiter

        await api.request("GET", URL)

    assert clock.sleeps == [2.0]
    assert clock.now == 1_002.0


async def test_429_without_retry_after_pauses_the_host_for_a_second(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock, clock: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=429, payload={})
    aioca_mock.get(ANY_URL, payload={"ok": True})

    async with LimitedApi(timer=timer, clock=clock, retry=NO_RETRY) as api:
        with pytest.raises(errors.RateLimitError):
            await api.request("GET", URL)
        await api.request("GET", URL)

    assert clock.sleeps == [1.0]


async def test_418_raises_at_once_and_bans_the_host(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=418, payload={"msg": "banned"}, headers={"Retry-After": "120"})
    aioca_mock.get(ANY_URL, payload={"ok": True}, repeat=True)

    async with LimitedApi(timer=timer, retry=RetryPolicy(attempts=3)) as api:
        with pytest.raises(errors.IPBannedError):
            await api.request("GET", URL)
        assert sent(aioca_mock) == 1
        assert pauses == []

        with pytest.raises(errors.IPBannedError) as exc_info:
            await api.request("GET", URL, task_name="Ticker()")

        limiter = api.rate_limiter_for(request_for())

    assert sent(aioca_mock) == 1  # refused without sending anything
    assert pauses == []
    error = exc_info.value
    assert error.until is not None
    assert time.time() + 110 < error.until <= time.time() + 120
    assert (error.exchange, error.task_name, error.url) == ("fake", "Ticker()", URL)
    assert limiter is not None
    assert limiter.banned_until == pytest.approx(error.until, abs=1.0)


async def test_418_without_retry_after_bans_for_two_minutes(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=418, payload={"msg": "banned"})

    async with LimitedApi(timer=timer) as api:
        with pytest.raises(errors.IPBannedError):
            await api.request("GET", URL)
        limiter = api.rate_limiter_for(request_for())

    assert limiter is not None
    assert limiter.banned_until is not None
    assert time.time() + 110 < limiter.banned_until <= time.time() + 120


async def test_a_ban_holds_only_for_the_host_that_was_banned(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, status=418, payload={}, headers={"Retry-After": "120"})
    aioca_mock.get(OTHER_HOST_URL, payload={"ok": True})

    async with LimitedApi(timer=timer) as api:
        with pytest.raises(errors.IPBannedError):
            await api.request("GET", URL)

        assert await api.request("GET", OTHER_HOST_URL) == {"ok": True}


async def test_418_ban_holds_on_an_api_whose_clock_is_offset(
    aioca_mock: aioresponses, pauses: list[float], timer: FakeClock
) -> None:
    # Regression: the ban's end was taken from time.time() but compared with the API's
    # clock (the exchange's, e.g. Binance's time_offset_ms): with the exchange 300 s ahead
    # a 120 s ban was over before it began.
    aioca_mock.get(ANY_URL, status=418, payload={}, headers={"Retry-After": "120"})
    aioca_mock.get(ANY_URL, payload={"ok": True})

    async with LimitedApi(timer=timer, clock=lambda: time.time() + 300) as api:
        with pytest.raises(errors.IPBannedError):
            await api.request("GET", URL)

        with pytest.raises(errors.IPBannedError):
            await api.request("GET", URL)

    assert sent(aioca_mock) == 1


async def test_requests_charge_their_costs_to_the_hosts_limiter(
    aioca_mock: aioresponses, clock: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, payload={}, repeat=True)

    async with LimitedApi(clock=clock) as api:
        await api.request("GET", URL, costs={"WEIGHT": 5})
        await api.request("GET", URL, costs={"WEIGHT": 2})

    assert [s.used for s in api.rate_limit_status()[HOST]] == [7]


async def test_usage_headers_raise_the_limiters_count(
    aioca_mock: aioresponses, clock: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, payload={}, headers={"X-Used-Weight": "37"})

    async with LimitedApi(clock=clock) as api:
        await api.request("GET", URL, costs={"WEIGHT": 2})

    (status,) = api.rate_limit_status()[HOST]
    assert (status.name, status.used, status.limit) == ("WEIGHT", 37, 100)


async def test_usage_headers_make_later_requests_wait(
    aioca_mock: aioresponses, clock: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, payload={}, headers={"X-Used-Weight": "99"})
    aioca_mock.get(ANY_URL, payload={})

    async with LimitedApi(clock=clock) as api:
        await api.request("GET", URL, costs={"WEIGHT": 1})
        await api.request("GET", URL, costs={"WEIGHT": 5})

    # To the next window, then through its safety margin: the exchange may still be
    # counting the old window, where 99 of 100 are spent.
    assert clock.sleeps == [20.0, 0.25]
    assert api.rate_limit_status()[HOST][0].used == 5


async def test_a_shared_limiter_serves_every_api_given_it(
    aioca_mock: aioresponses, clock: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, payload={}, repeat=True)
    shared = RateLimiter([Window("WEIGHT", 100, 60)], clock=clock, sleep=clock.sleep, safety=0)

    async with (
        FakeApi("key-1", rate_limiter=shared) as one,
        FakeApi("key-2", rate_limiter=shared) as two,
    ):
        await one.request("GET", URL, costs={"WEIGHT": 3})
        await two.request("GET", URL, costs={"WEIGHT": 4})

        assert one.rate_limiter_for(request_for()) is shared
        assert two.rate_limiter_for(request_for(OTHER_HOST_URL)) is shared

    expected = {"shared": [WindowStatus("WEIGHT", 7, 100, 20.0)]}
    assert {k: list(v) for k, v in one.rate_limit_status().items()} == expected
    assert {k: list(v) for k, v in two.rate_limit_status().items()} == expected


async def test_a_shared_budget_spent_by_one_api_makes_the_other_wait(
    aioca_mock: aioresponses, clock: FakeClock
) -> None:
    aioca_mock.get(ANY_URL, payload={}, repeat=True)
    shared = RateLimiter([Window("WEIGHT", 100, 60)], clock=clock, sleep=clock.sleep, safety=0)

    async with (
        FakeApi("key-1", rate_limiter=shared) as one,
        FakeApi("key-2", rate_limiter=shared) as two,
    ):
        await one.request("GET", URL, costs={"WEIGHT": 100})
        await two.request("GET", URL, costs={"WEIGHT": 1})

    assert clock.sleeps == [20.0]


# --- logs -------------------------------------------------------------------------------------


async def test_retry_is_logged_without_credentials(
    aioca_mock: aioresponses,
    pauses: list[float],
    timer: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    aioca_mock.get(ANY_URL, status=503, payload={})
    aioca_mock.get(ANY_URL, payload={"ok": True})

    async with SigningApi(timer=timer, retry=RetryPolicy(attempts=2)) as api:
        await api.request("GET", URL, {"symbol": "BTCUSDT"}, signed=True)

    retries = [r for r in caplog.records if r.name == "aioca" and "retrying" in r.getMessage()]
    assert len(retries) == 1
    message = retries[0].getMessage()
    assert f"GET {URL}" in message
    assert "attempt 2 of 2" in message
    assert "ExchangeServerError" in message

    assert len(api.signatures) == 2
    secrets = [SECRET, API_KEY, *api.signatures]
    for record in caplog.records:
        for secret in secrets:
            assert secret not in record.getMessage()
    for secret in secrets:
        assert secret not in caplog.text
