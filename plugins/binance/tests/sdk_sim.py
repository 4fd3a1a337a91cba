"""Helpers of the tests that run Binance's official SDKs against the simulator.

The SDKs are synchronous and sign with the machine's clock, so the simulator runs in a
thread (``background_simulator``) on the machine's clock, with credentials of the shape
the SDKs accept.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pydantic import BaseModel

from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.background import background_simulator

__all__ = ["is_model", "sdk_answer", "sdk_simulator"]

KEY = "officialSdkDemoKey000000" * 2 + "0" * 16
SECRET = "officialSdkDemoSecret000" * 2 + "0" * 16


@contextmanager
def sdk_simulator() -> Iterator[BinanceSimulator]:
    """A simulator for an SDK: in a thread, on the machine's clock (the default)."""
    with background_simulator(api_key=KEY, api_secret=SECRET, seed=5) as simulator:
        yield simulator


def is_model(data: Any) -> bool:
    """Whether the SDK read ``data`` into its models (a list: every item)."""
    if isinstance(data, list):
        return all(is_model(item) for item in data)
    return isinstance(data, BaseModel)


def sdk_answer(caplog: pytest.LogCaptureFixture, call: Callable[[], Any]) -> Any:
    """``call()``'s answer read by the SDK (``.data()``), with warnings as errors and no
    warning logged: a payload its model refuses is logged ("Returning the raw payload
    instead of a model") and handed back raw, and neither may happen (nor any warning
    ``caplog`` already holds)."""
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
        warnings.simplefilter("error")
        data = call().data()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    return data
