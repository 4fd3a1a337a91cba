"""The seed README's Binance-named spellings on aioca's ``Task``, installed by this plugin.

The seed wrote ``Task.set_default_binance_API(api)`` and ``task.binance_API``. The core
names no exchange, so these two aliases live here and are put on :class:`aioca.Task` when
``aioca_binance`` is imported, which seed code always does (it needs ``BinanceRestApi``
and the catalog). They work for an API object of any exchange, like the names they alias.
"""

from __future__ import annotations

from typing import Any

from aioca import RestApi, Task

__all__ = ["install_seed_aliases"]


def _get_api(task: Task) -> RestApi:
    return task.api


def _set_api(task: Task, api: RestApi) -> None:
    task.api = api


def install_seed_aliases() -> None:
    """Give ``Task`` the seed's ``set_default_binance_API`` (:meth:`Task.set_default_api`)
    and ``binance_API`` (:attr:`Task.api`); calling it again changes nothing."""
    if "set_default_binance_API" in vars(Task):
        return
    aliases: dict[str, Any] = {
        "set_default_binance_API": vars(Task)["set_default_api"],
        "binance_API": property(_get_api, _set_api, doc="The seed README's name for ``api``."),
    }
    for name, value in aliases.items():
        setattr(Task, name, value)
