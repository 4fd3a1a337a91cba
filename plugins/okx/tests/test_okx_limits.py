"""OKX's per-endpoint rate limits on aioca's limiter: each endpoint (and, where OKX splits
it, each instrument) has its own window; public requests spend the IP's budget, private
ones the user's; batches count their orders; the sub-account order budget spans them all.

Time is a fake clock: the API's ``clock`` (which its limiters read) is replaced, and the
limiter's waits go through the API's timer (the same fake clock), which they move and
record the delay instead of sleeping, so the tests are instant and exact. The clock starts
at 1000.5 s, half a second into a 2 s window, clear of the limiter's safety margin.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from aioresponses import aioresponses
from okx_helpers import KEY, LOCAL, PASSPHRASE, SECRET, envelope

from aioca import PreparedRequest, RateLimiter, RetryPolicy, errors
from aioca.testing import FakeClock
from aioca_okx import ORDER_RATE_WINDOW, OkxRestApi
from aioca_okx.endpoint import ORDER_RATE_UNIT
from aioca_okx.v5 import (
    OkxFetchBalance,
    OkxFetchFundingRate,
    OkxFetchTicker,
    OkxFetchTrades,
    OkxPlaceBatchOrders,
    OkxPlaceOrder,
)

START = 1000.5
TICKER = "GET /api/v5/market/ticker"
BALANCE = "GET /api/v5/account/balance"
PLACE = "POST /api/v5/trade/order"
BATCH = "POST /api/v5/trade/batch-orders"
NEXT_WINDOW = [1.5, 0.25]
"""A full window's next request waits for the window at 1002 s, then for the core limiter's
0.25 s safety margin (the exchange may still count the old window that long)."""


@pytest.fixture
def clock(aioca_clock: FakeClock) -> FakeClock:
    aioca_clock.now = START
    return aioca_clock


@pytest.fixture
def answers(aioca_mock: aioresponses) -> aioresponses:
    """Every OKX path answers success, as often as asked."""
    everything = re.compile(rf"^{re.escape(LOCAL)}/api/v5/.*$")
    aioca_mock.get(everything, payload=envelope([{}]), repeat=True)
    aioca_mock.post(everything, payload=envelope([{"sCode": "0", "ordId": "1"}]), repeat=True)
    return aioca_mock


def make_api(clock: FakeClock, key: str = KEY, **options: Any) -> OkxRestApi:
    api = OkxRestApi(key, SECRET, PASSPHRASE, urls={"rest": LOCAL}, timer=clock, **options)
    api.clock = clock  # type: ignore[method-assign]  # the limiters read it
    return api


def order(inst: str = "BTC-USDT") -> dict[str, str]:
    return {"instId": inst, "tdMode": "cash", "side": "buy", "ordType": "market", "sz": "1"}


def used(api: OkxRestApi) -> dict[str, int]:
    """Units used per window, over every limiter of the API."""
    return {
        status.name: status.used
        for statuses in api.rate_limit_status().values()
        for status in statuses
    }


async def test_a_full_endpoint_window_does_not_block_another_endpoint(
    clock: FakeClock, answers: aioresponses
) -> None:
    api = make_api(clock)
    async with api:
        for _ in range(20):  # OKX: 20 ticker requests per 2 s per IP
            await OkxFetchTicker(instId="BTC-USDT", api=api).run()
        await OkxFetchTrades(instId="BTC-USDT", api=api).run()
        assert clock.sleeps == []
        await OkxFetchTicker(instId="BTC-USDT", api=api).run()
    assert clock.sleeps == NEXT_WINDOW  # the 21st ticker waits for the next window


async def test_private_requests_spend_the_users_budget_not_the_ips(
    clock: FakeClock, answers: aioresponses
) -> None:
    api = make_api(clock)
    async with api:
        for _ in range(10):  # OKX: 10 balance requests per 2 s per user id
            await OkxFetchBalance(api=api).run()
        for _ in range(20):
            await OkxFetchTicker(instId="BTC-USDT", api=api).run()
        assert clock.sleeps == []
        status = api.rate_limit_status()
        assert {s.name: s.used for s in status["user"]} == {ORDER_RATE_UNIT + "_2S": 0, BALANCE: 10}
        assert {s.name: s.used for s in status["127.0.0.1:9"]} == {TICKER: 20}
        await OkxFetchBalance(api=api).run()
    assert clock.sleeps == NEXT_WINDOW


def test_limiter_is_chosen_by_whether_the_request_is_signed() -> None:
    api = OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": LOCAL})
    public = api.rate_limiter_for(PreparedRequest("GET", f"{LOCAL}/api/v5/market/ticker"))
    private = api.rate_limiter_for(
        PreparedRequest("GET", f"{LOCAL}/api/v5/account/balance", signed=True)
    )
    assert private is api.user_rate_limiter
    assert public is not private
    assert ORDER_RATE_WINDOW in private.windows
    assert ORDER_RATE_WINDOW not in public.windows


async def test_two_keys_on_one_ip_share_public_budgets_but_not_private_ones(
    clock: FakeClock, answers: aioresponses
) -> None:
    shared_ip = RateLimiter([], clock=clock, sleep=clock.sleep)
    first = make_api(clock, "key_1", rate_limiter=shared_ip)
    second = make_api(clock, "key_2", rate_limiter=shared_ip)
    async with first, second:
        for api in (first, second):
            for _ in range(10):
                await OkxFetchBalance(api=api).run()
                await OkxFetchTicker(instId="BTC-USDT", api=api).run()
        assert clock.sleeps == []  # 10 + 10 balances, each user's own; 20 tickers in all
        assert used(first)[BALANCE] == used(second)[BALANCE] == 10
        assert used(first)[TICKER] == 20
        await OkxFetchTicker(instId="ETH-USDT", api=second).run()
    assert clock.sleeps == NEXT_WINDOW  # the IP's 21st ticker


async def test_order_limits_are_per_instrument(clock: FakeClock, answers: aioresponses) -> None:
    api = make_api(clock)
    async with api:
        for _ in range(60):  # OKX: 60 orders per 2 s per user id and instrument
            await OkxPlaceOrder(api=api, **order("BTC-USDT")).run()
        await OkxPlaceOrder(api=api, **order("ETH-USDT")).run()
        assert clock.sleeps == []
        await OkxPlaceOrder(api=api, **order("BTC-USDT")).run()
    assert clock.sleeps == NEXT_WINDOW
    assert used(api)[f"{PLACE}@BTC-USDT"] == 1  # in the new window
    assert used(api)[f"{PLACE}@ETH-USDT"] == 0


async def test_public_limits_split_by_instrument_where_okx_splits_them(
    clock: FakeClock, answers: aioresponses
) -> None:
    api = make_api(clock)
    async with api:
        for _ in range(20):  # 20 per 2 s per IP and instrument
            await OkxFetchFundingRate(instId="BTC-USD-SWAP", api=api).run()
            await OkxFetchFundingRate(instId="ETH-USD-SWAP", api=api).run()
        assert clock.sleeps == []
        await OkxFetchFundingRate(instId="ETH-USD-SWAP", api=api).run()
    assert clock.sleeps == NEXT_WINDOW


async def test_a_batch_charges_each_instrument_its_orders(
    clock: FakeClock, answers: aioresponses
) -> None:
    api = make_api(clock)
    orders = [order("BTC-USDT")] * 15 + [order("ETH-USDT")] * 5
    async with api:
        await OkxPlaceBatchOrders(orders=orders, api=api).run()
    assert used(api)[f"{BATCH}@BTC-USDT"] == 15
    assert used(api)[f"{BATCH}@ETH-USDT"] == 5
    assert used(api)["ORDERS_2S"] == 20


async def test_batch_budget_is_300_orders_per_instrument(
    clock: FakeClock, answers: aioresponses
) -> None:
    api = make_api(clock)
    async with api:
        for _ in range(15):  # 15 x 20 = 300 orders
            await OkxPlaceBatchOrders(orders=[order()] * 20, api=api).run()
        assert clock.sleeps == []
        await OkxPlaceBatchOrders(orders=[order()], api=api).run()
    assert clock.sleeps == NEXT_WINDOW


async def test_sub_account_order_budget_spans_instruments_and_endpoints(
    clock: FakeClock, answers: aioresponses
) -> None:
    api = make_api(clock)
    instruments = [f"COIN{n}-USDT" for n in range(5)]
    async with api:
        for n in range(50):  # 50 x 20 = 1000 orders, at most 200 per instrument
            batch = [order(instruments[n % 5])] * 20
            await OkxPlaceBatchOrders(orders=batch, api=api).run()
        assert clock.sleeps == []
        await OkxPlaceOrder(api=api, **order("NEW-USDT")).run()  # its own window is empty
    assert clock.sleeps == NEXT_WINDOW


async def test_a_429_on_a_private_endpoint_holds_the_user_not_the_ip(
    clock: FakeClock, aioca_mock: aioresponses
) -> None:
    api = make_api(clock, retry=RetryPolicy(attempts=1))
    aioca_mock.get(
        f"{LOCAL}/api/v5/account/balance",
        status=429,
        headers={"Retry-After": "5"},
        payload={"code": "50011", "msg": "Too Many Requests"},
    )
    aioca_mock.get(f"{LOCAL}/api/v5/account/balance", payload=envelope([{}]))
    aioca_mock.get(f"{LOCAL}/api/v5/market/ticker?instId=BTC-USDT", payload=envelope([{}]))
    async with api:
        with pytest.raises(errors.RateLimitError, match="Too Many Requests"):
            await OkxFetchBalance(api=api).run()
        await OkxFetchTicker(instId="BTC-USDT", api=api).run()
        assert clock.sleeps == []
        await OkxFetchBalance(api=api).run()
    assert clock.sleeps == [5]


@pytest.mark.parametrize(
    ("task", "params", "costs"),
    [
        (OkxFetchTicker, {"instId": "BTC-USDT"}, {TICKER: 1}),
        (OkxFetchFundingRate, {"instId": "X-Y"}, {"GET /api/v5/public/funding-rate@X-Y": 1}),
        (OkxPlaceOrder, order("A-B"), {f"{PLACE}@A-B": 1, ORDER_RATE_UNIT: 1}),
        (
            OkxPlaceBatchOrders,
            [order("A-B"), order("C-D"), order("A-B")],
            {f"{BATCH}@A-B": 2, f"{BATCH}@C-D": 1, ORDER_RATE_UNIT: 3},
        ),
    ],
)
def test_endpoint_costs(task: Any, params: Any, costs: dict[str, int]) -> None:
    assert task.endpoint.costs(params) == costs


def test_a_request_without_the_splitting_parameter_spends_the_endpoints_budget() -> None:
    from aioca_okx.v5 import OkxFetchMarkPrice

    assert OkxFetchMarkPrice.endpoint.costs({"instType": "SWAP"}) == {
        "GET /api/v5/public/mark-price": 1
    }
