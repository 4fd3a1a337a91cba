"""aioca.testing: the helpers plugin authors use in their own tests."""

from __future__ import annotations

import pytest

import aioca
from aioca import Task
from aioca.testing import isolated_state, mocked_responses

from .helpers import FakeApi


def test_isolated_state_starts_clean_and_restores_what_was_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = FakeApi()
    Task.set_default_api(api)
    aioca.set_language("zh")
    monkeypatch.setenv("AIOCA_LANG", "zh")
    with isolated_state():
        assert Task.get_default_api() is None
        assert Task.get_default_api("fake") is None
        assert aioca.get_language() == "en"
        Task.set_default_api(FakeApi())
        aioca.set_language("en")
    assert Task.get_default_api() is api
    assert Task.get_default_api("fake") is api
    assert aioca.get_language() == "zh"
    monkeypatch.setattr(aioca.i18n, "_current", None)
    assert aioca.get_language() == "zh", "AIOCA_LANG is back"


async def test_mocked_responses_answers_requests_without_network() -> None:
    with mocked_responses() as mock:
        mock.get("https://api.example.invalid/time", payload={"serverTime": 1})
        async with FakeApi() as api:
            assert await api.request("GET", "https://api.example.invalid/time") == {"serverTime": 1}
