"""OKX against the hostile-server findings of issue 11: a redirected order (never
followed, its outcome unknown), order endpoints never retried whatever the policy, and
refused cancels and amends naming their order."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses
from okx_helpers import KEY, LOCAL, PASSPHRASE, SECRET, envelope

from aioca import RetryPolicy, errors
from aioca_okx import OkxRestApi
from aioca_okx.v5 import CATALOG, OkxAmendOrder, OkxCancelOrder, OkxPlaceOrder

ORDER_URL = f"{LOCAL}/api/v5/trade/order"
CANCEL_URL = f"{LOCAL}/api/v5/trade/cancel-order"
ORDER = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "px": "1"}


def api(**options: Any) -> OkxRestApi:
    options.setdefault("retry", RetryPolicy(attempts=3, backoff=0.01))
    return OkxRestApi(KEY, SECRET, PASSPHRASE, urls={"rest": LOCAL}, **options)


async def test_a_redirected_order_is_not_followed_and_its_outcome_is_unknown(
    aioca_mock: aioresponses,
) -> None:
    aioca_mock.post(ORDER_URL, status=307, headers={"Location": "http://127.0.0.1:1/steal"})
    okx = api()
    order = OkxPlaceOrder(**ORDER, sz="1", api=okx)
    with pytest.raises(errors.OrderStateUnknownError) as caught:
        await order.run()
    await okx.close()

    assert isinstance(caught.value.__cause__, errors.UnexpectedRedirectError)
    assert caught.value.__cause__.location_host == "127.0.0.1:1"
    assert caught.value.client_order_id == order.client_order_ids[0]
    assert sum(len(calls) for calls in aioca_mock.requests.values()) == 1


@pytest.mark.parametrize("url", [ORDER_URL, CANCEL_URL])
async def test_order_endpoints_are_not_retried_even_with_post_in_the_policy(
    aioca_mock: aioresponses, url: str
) -> None:
    aioca_mock.post(url, status=503, payload=envelope(code="50001"), repeat=True)
    okx = api(retry=RetryPolicy(methods=frozenset({"GET", "POST"}), backoff=0.01))
    task = (
        OkxPlaceOrder(**ORDER, sz="1", api=okx)
        if url == ORDER_URL
        else OkxCancelOrder(instId="BTC-USDT", ordId="42", api=okx)
    )
    with pytest.raises(errors.RequestError):
        await task.run()
    await okx.close()
    assert sum(len(calls) for calls in aioca_mock.requests.values()) == 1


def test_every_trade_post_is_declared_as_changing_orders() -> None:
    for task in CATALOG.values():
        endpoint = task.endpoint
        expected = endpoint.method == "POST" and endpoint.path.startswith("/api/v5/trade/")
        assert endpoint.changes_orders == expected, task.__name__


@pytest.mark.parametrize(
    ("task", "ids"),
    [
        (lambda okx: OkxCancelOrder(instId="BTC-USDT", ordId="42", api=okx), ("42", None)),
        (lambda okx: OkxCancelOrder(instId="BTC-USDT", clOrdId="mine", api=okx), (None, "mine")),
        (
            lambda okx: OkxAmendOrder(instId="BTC-USDT", ordId="7", newPx="2", api=okx),
            ("7", None),
        ),
    ],
    ids=["cancel-by-id", "cancel-by-client-id", "amend"],
)
async def test_a_refused_cancel_or_amend_names_its_order(
    aioca_mock: aioresponses, task: Any, ids: tuple[str | None, str | None]
) -> None:
    refused = envelope(
        code="1",
        msg="Operation failed.",
        data=[{"ordId": "", "clOrdId": "", "sCode": "51400", "sMsg": "Order does not exist"}],
    )
    aioca_mock.post(CANCEL_URL, payload=refused)
    aioca_mock.post(f"{LOCAL}/api/v5/trade/amend-order", payload=refused)
    okx = api()
    with pytest.raises(errors.OrderNotFoundError) as caught:
        await task(okx).run()
    await okx.close()
    assert (caught.value.order_id, caught.value.client_order_id) == ids


async def test_an_order_refused_for_its_timestamp_then_no_clock_is_a_clock_error(
    aioca_mock: aioresponses,
) -> None:
    expired = envelope(code="50102", msg="Timestamp request expired")
    aioca_mock.post(ORDER_URL, status=401, payload=expired)
    aioca_mock.get(f"{LOCAL}/api/v5/public/time", status=503, body="down", repeat=True)
    okx = api(retry=RetryPolicy(attempts=1))
    with pytest.raises(errors.ClockSyncError) as caught:
        await OkxPlaceOrder(**ORDER, sz="1", api=okx).run()
    await okx.close()

    # OKX refused the order before doing anything: not an unknown outcome.
    assert not isinstance(caught.value, errors.OrderStateUnknownError)
    assert isinstance(caught.value.__cause__, errors.ExchangeServerError)
    assert len([url for _, url in aioca_mock.requests if url.path.endswith("/order")]) == 1
