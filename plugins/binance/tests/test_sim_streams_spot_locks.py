"""The simulator's Spot ``externalLockUpdate``: part of a balance locked (or unlocked) from
outside Spot trading with ``sim.spot.lock_externally``, shaped as Binance documents it,
followed by the asset's ``outboundAccountPosition``, received typed by aioca's
``spot_user_stream``, and what REST's account shows at the same fake-clock millisecond."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock, follow_clock
from sim_streams_helpers import (
    documented_events,
    events_until,
    shape,
    spot_user_data,
    user_data_socket,
)

from aioca_binance.spot import SpotAccount, SpotCancelOrder, SpotNewOrder
from aioca_binance.streams import spot as models
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.background import background_simulator


def _rest_balance(account: dict[str, Any], asset: str) -> tuple[Decimal, Decimal]:
    (row,) = [b for b in account["balances"] if b["asset"] == asset]
    return Decimal(row["free"]), Decimal(row["locked"])


async def test_an_external_lock_update_is_shaped_as_documented_then_the_asset_s_position() -> None:
    async with user_data_socket(seed=5) as (sim, _api, ws):
        free, locked = sim.spot.balance("BTC")
        assert sim.spot.lock_externally("BTC", "0.3") == (free - Decimal("0.3"), Decimal("0.3"))
        lock = await ws.receive_json(timeout=5)
        position = await ws.receive_json(timeout=5)
    documented = documented_events("spot")["externalLockUpdate"]
    assert shape(lock, ordered=True) == shape(documented, ordered=True)
    event = lock["event"]
    assert (event["e"], event["a"], event["d"]) == ("externalLockUpdate", "BTC", "0.30000000")
    assert event["E"] == event["T"]
    assert position["subscriptionId"] == lock["subscriptionId"]
    assert position["event"]["e"] == "outboundAccountPosition"
    assert position["event"]["B"] == [
        {"a": "BTC", "f": f"{free - Decimal('0.3'):.8f}", "l": f"{locked + Decimal('0.3'):.8f}"}
    ]


async def test_a_lock_and_an_unlock_arrive_typed_and_equal_rest_at_the_same_millisecond() -> None:
    clock = FakeClock(1_795_000_003.25)
    async with (
        BinanceSimulator(seed=5, clock=clock) as sim,
        sim.api(time_sync_interval=None) as api,
    ):
        follow_clock(api, sim)
        before = _rest_balance(await SpotAccount(api=api).run(), "ETH")
        async with spot_user_data(sim, api) as stream:
            locked_at = sim.now_ms()
            sim.spot.lock_externally("ETH", Decimal("2.5"))
            locking = await events_until(stream, models.OutboundAccountPosition)
            after_lock = await SpotAccount(api=api).run()  # the clock has not moved
            clock.advance(1.5)
            follow_clock(api, sim)
            unlocked_at = sim.now_ms()
            sim.spot.lock_externally("ETH", "-1")
            unlocking = await events_until(stream, models.OutboundAccountPosition)
            after_unlock = await SpotAccount(api=api).run()
    for events, at, delta, account in (
        (locking, locked_at, Decimal("2.5"), after_lock),
        (unlocking, unlocked_at, Decimal("-1"), after_unlock),
    ):
        change, position = events
        assert isinstance(change, models.ExternalLockUpdate)
        assert isinstance(position, models.OutboundAccountPosition)
        assert (change.asset, change.delta) == ("ETH", delta)
        assert change.event_time == change.transaction_time == at == account["updateTime"]
        assert position.event_time == at
        (balance,) = position.balances_array or []
        assert balance.asset == "ETH"
        free, locked = _rest_balance(account, "ETH")
        assert (Decimal(balance.free or ""), Decimal(balance.locked or "")) == (free, locked)
    assert _rest_balance(after_lock, "ETH") == (before[0] - Decimal("2.5"), Decimal("2.5"))
    assert _rest_balance(after_unlock, "ETH") == (before[0] - Decimal("1.5"), Decimal("1.5"))


async def test_only_what_was_locked_externally_unlocks_and_bad_input_names_every_problem() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        free, _ = sim.spot.balance("BTC")
        venue = sim.venues["spot"]
        spec = venue.symbols["BTCUSDT"]
        above = spec.tick * venue.tape.last_trade(spec, sim.now_ms()).ticks * Decimal("1.02")
        order = await SpotNewOrder(  # rests above the market, holding 0.2 BTC
            api=api,
            symbol="BTCUSDT",
            side="SELL",
            type="LIMIT",
            timeInForce="GTC",
            quantity=Decimal("0.2"),
            price=above.quantize(spec.tick),
        ).run()
        assert sim.spot.lock_externally("BTC", "0.5") == (free - Decimal("0.7"), Decimal("0.7"))
        with pytest.raises(ValueError, match=r"cannot unlock 0\.6 BTC: only 0\.5 is locked"):
            sim.spot.lock_externally("BTC", "-0.6")  # the order's 0.2 is not the lock's
        with pytest.raises(ValueError, match=r"cannot lock 0\.4 BTC: only 0\.3 is free"):
            sim.spot.lock_externally("BTC", "0.4")
        with pytest.raises(ValueError, match=r"only 0\.3 is free"):
            sim.spot.withdraw("BTC", "0.31")
        assert sim.spot.balance("BTC") == (free - Decimal("0.7"), Decimal("0.7"))
        await SpotCancelOrder(api=api, symbol="BTCUSDT", orderId=order["orderId"]).run()
        assert sim.spot.balance("BTC") == (free - Decimal("0.5"), Decimal("0.5"))  # the lock stays
        account = await SpotAccount(api=api).run()
        assert _rest_balance(account, "BTC") == (free - Decimal("0.5"), Decimal("0.5"))
        with pytest.raises(ValueError, match="NOPE") as refused:
            sim.spot.lock_externally("NOPE", "0")
        assert "'NOPE' is not one the Spot market lists" in str(refused.value)
        assert "not a non-zero number" in str(refused.value)
        with pytest.raises(ValueError, match="more than 8 decimals"):
            sim.spot.lock_externally("BTC", "-0.123456789")
        with pytest.raises(ValueError, match="not a Decimal, str or int"):
            sim.spot.lock_externally("BTC", 0.1)  # type: ignore[arg-type]
        assert sim.spot.lock_externally("BTC", "-0.5") == (free, Decimal(0))


def test_a_lock_from_another_thread_than_a_background_simulator_s_reaches_its_streams() -> None:
    async def lock_and_listen(sim: BinanceSimulator) -> list[Any]:
        async with (
            sim.api() as api,
            spot_user_data(sim, api) as stream,
        ):
            held = await asyncio.to_thread(sim.spot.lock_externally, "SOL", "3")
            assert held == (Decimal("97"), Decimal("3"))
            return await events_until(stream, models.OutboundAccountPosition)

    with background_simulator(seed=5) as sim:
        events = asyncio.run(lock_and_listen(sim))
        with pytest.raises(ValueError, match="only 3 is locked externally"):
            sim.spot.lock_externally("SOL", "-4")  # the refusal reaches the calling thread
    assert [type(e) for e in events] == [models.ExternalLockUpdate, models.OutboundAccountPosition]
    assert (events[0].asset, events[0].delta) == ("SOL", Decimal("3"))
