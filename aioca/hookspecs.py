"""The hook an exchange plugin implements.

One hook, in the style of llm's plugin host: the host passes a ``register`` callback and
the plugin calls it once per exchange. Nothing to merge or order, and new keyword arguments
can be added to ``register`` later without breaking existing plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .rest import RestApi
    from .task import Task

__all__ = ["RegisterExchange", "hookimpl", "hookspec", "register_exchanges"]

hookspec = pluggy.HookspecMarker("aioca")
hookimpl = pluggy.HookimplMarker("aioca")

RegisterExchange = Callable[[str, "type[RestApi]", "Mapping[str, type[Task]]"], None]
"""The callback's signature: ``register(name, api_class, tasks)``."""


@hookspec
def register_exchanges(register: RegisterExchange) -> Any:
    """Register the exchanges this plugin provides.

    Call ``register(name, api_class, tasks)`` once per exchange, where ``name`` is the
    exchange's name (``"binance"``), ``api_class`` its :class:`~aioca.RestApi` subclass
    (whose ``exchange`` attribute equals ``name``), and ``tasks`` maps task names to task
    classes (the exchange's catalog).

    :param register: the callback described above.
    :return: nothing; the return value is ignored.
    """
