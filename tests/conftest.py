"""Shared fixtures: every test starts with no default API and English labels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import aioca
from aioca import i18n


@pytest.fixture(autouse=True)
def _clean_global_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AIOCA_LANG", raising=False)
    monkeypatch.setattr(i18n, "_current", None)
    aioca.Task.clear_default_apis()
    yield
    aioca.Task.clear_default_apis()
