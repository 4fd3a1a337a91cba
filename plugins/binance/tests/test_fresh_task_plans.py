"""A fresh task per request sends what a task validated from scratch sends.

Users write ``await CoinMFetchTicker(symbol=...).run()`` for every request; such tasks
share their validated parameters (``TaskParams.validated``) and find their plan by them
(``EndpointTask._plan_for``). For every catalog task and both parameter sets of
``test_catalog_requests`` (plain values, and values of other kinds), the plan a fresh task
sends, built once, twice and three times, is the plan of the same parameters validated and
planned with nothing remembered: method, URL, the query string and body signed, headers,
costs; so are its name and its weight. And what is remembered is told apart by class.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_catalog_requests import KEY, LOCAL, NAMES, SECRET, TASKS, VARIANTS, params_for

from aioca import params as params_module
from aioca.request import RequestPlan
from aioca_binance import BinanceRestApi, BinanceTask
from aioca_binance.coinm import CoinMFetchTicker


def plan_facts(plan: RequestPlan) -> tuple[Any, ...]:
    return (
        plan.method,
        plan.url,
        plan.query_text,
        plan.body_text,
        dict(plan.headers),
        dict(plan.costs),
        plan.signed,
        plan.changes_orders,
        str(plan.target),
    )


def api() -> BinanceRestApi:
    urls = {"spot": LOCAL, "usdm": LOCAL, "coinm": LOCAL}
    return BinanceRestApi(KEY, SECRET, urls=urls)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("task_cls", TASKS, ids=NAMES)
def test_a_fresh_task_sends_what_a_task_validated_from_scratch_sends(
    task_cls: type[BinanceTask], variant: str
) -> None:
    params = params_for(task_cls, variant)
    fresh_api, scratch_api = api(), api()
    params_module._remembered.clear()
    scratch = task_cls.Params.validate_all(dict(params), task_name=task_cls.__name__)
    expected_plan = scratch_api.plan_endpoint(
        task_cls.endpoint, task_cls(**params, api=scratch_api).wire_params(scratch)
    )
    tasks = [task_cls(**params, api=fresh_api) for _ in range(3)]
    for task in tasks:
        assert task.params == scratch
        assert [(n, repr(v)) for n, v in task.params] == [(n, repr(v)) for n, v in scratch]
        assert str(task) == str(tasks[0])
        assert task.weight == tasks[0].weight
        if task.client_id_field is None:  # an order's plan is new on every run
            assert plan_facts(task._plan_for(fresh_api)) == plan_facts(expected_plan)
    if task_cls.client_id_field is None:
        assert tasks[1]._plan_for(fresh_api) is tasks[0]._plan_for(fresh_api)


def test_plain_parameters_are_shared_and_plans_found_by_them() -> None:
    binance = api()
    first = CoinMFetchTicker(symbol="BTCUSD_PERP", api=binance)
    second = CoinMFetchTicker(symbol="BTCUSD_PERP", api=binance)
    assert second.params is first.params
    plan = first._plan_for(binance)
    assert second._plan_for(binance) is plan
    other = CoinMFetchTicker(symbol="ETHUSD_PERP", api=binance)
    assert other._plan_for(binance) is not plan
    assert "symbol=ETHUSD_PERP" in other._plan_for(binance).query_text
    # Another API: its own plan (its own URLs).
    elsewhere = BinanceRestApi(KEY, SECRET, urls={"coinm": "http://127.0.0.1:8"})
    assert CoinMFetchTicker(symbol="BTCUSD_PERP", api=elsewhere)._plan_for(elsewhere).url != (
        plan.url
    )
    # Forgetting the plans (after changing a URL, say) forgets these too.
    binance.forget_plans()
    assert CoinMFetchTicker(symbol="BTCUSD_PERP", api=binance)._plan_for(binance) is not plan


def test_a_subclass_gets_its_own_plan_from_the_same_parameters() -> None:
    class Elsewhere(CoinMFetchTicker):
        """A user's subclass sending the same parameters to another path."""

        endpoint = CoinMFetchTicker.endpoint.__class__(
            "GET",
            "/dapi/v1/ticker/bookTicker",
            CoinMFetchTicker.endpoint.security,
            weight=CoinMFetchTicker.endpoint.weight,
            market="coinm",
        )

    binance = api()
    base = CoinMFetchTicker(symbol="BTCUSD_PERP", api=binance)
    derived = Elsewhere(symbol="BTCUSD_PERP", api=binance)
    assert base._plan_for(binance).url.endswith("/ticker/price")
    assert derived._plan_for(binance).url.endswith("/ticker/bookTicker")
    assert base._plan_for(binance).url.endswith("/ticker/price")


def test_a_task_is_made_without_a_python_new_unless_it_has_required_parameters() -> None:
    """Building a task is on the path of every request: a class without required
    parameters is made by ``object.__new__`` itself; one with required parameters keeps
    the check that names a missing one among every other problem."""
    from aioca import Task
    from aioca.errors import InvalidParameterError
    from aioca_binance.coinm import CoinMAccountInformation, CoinMFetchKline

    assert CoinMFetchTicker.__new__ is object.__new__
    assert CoinMAccountInformation.__new__ is object.__new__
    assert CoinMFetchKline.__new__ is not object.__new__
    with pytest.raises(InvalidParameterError) as caught:
        CoinMFetchKline(limit=0)  # type: ignore[call-arg]
    assert {name for name, _ in caught.value.problems} == {"symbol", "interval", "limit"}

    class Polled(CoinMFetchKline):
        """A user's subclass: it inherits the check."""

    with pytest.raises(InvalidParameterError, match="symbol"):
        Polled(interval="1m")  # type: ignore[call-arg]
    # Either way the task takes the API given, else the default in force when it is made.
    binance, other = api(), api()
    with Task.using_default_api(binance):
        ticker, kline = CoinMFetchTicker(), Polled(symbol="BTCUSD_PERP", interval="1m")
        given = CoinMFetchTicker(api=other)
    with Task.using_default_api(other):
        assert ticker.api is binance
        assert kline.api is binance
    assert given.api is other
