"""The hooks an exchange plugin implements.

In the style of llm's plugin host, each hook receives a ``register`` callback that the
plugin calls once per thing it provides: nothing to merge or order, and new keyword
arguments can be added to ``register`` later without breaking existing plugins.

- ``register_exchanges(register)``: the exchanges (required in practice).
- ``register_commands(register)``: command-line commands (optional), asked only by the
  ``aioca`` command, so a plugin imports its CLI code (and click) only there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .rest import RestApi
    from .task import Task

__all__ = [
    "RegisterCommand",
    "RegisterExchange",
    "hookimpl",
    "hookspec",
    "register_commands",
    "register_exchanges",
]

hookspec = pluggy.HookspecMarker("aioca")
hookimpl = pluggy.HookimplMarker("aioca")

RegisterExchange = Callable[[str, "type[RestApi]", "Mapping[str, type[Task]]"], None]
"""The callback's signature: ``register(name, api_class, tasks)``."""

RegisterCommand = Callable[[str | None, Any], None]
"""The callback's signature: ``register(group, command)``, ``command`` a ``click.Command``."""


@hookspec
def register_exchanges(register: RegisterExchange) -> Any:
    """Register the exchanges this plugin provides.

    Call ``register(name, api_class, tasks)`` once per exchange, where ``name`` is the
    exchange's name (``"example"``), ``api_class`` its :class:`~aioca.RestApi` subclass
    (whose ``exchange`` attribute equals ``name``), and ``tasks`` maps task names to task
    classes (the exchange's catalog).

    :param register: the callback described above.
    :return: nothing; the return value is ignored.
    """


@hookspec
def register_commands(register: RegisterCommand) -> Any:
    """Add commands to the ``aioca`` command line.

    Call ``register(group, command)`` with a ``click.Command`` named after your exchange:
    ``group="sim"`` puts it under ``aioca sim`` (a local simulator of the exchange),
    ``group="demo"`` under ``aioca demo`` (a demo that runs with no network unless given
    ``--live``; the command must accept a ``live`` boolean parameter), ``group="stream"``
    under ``aioca stream`` (print a WebSocket stream), ``group="book"`` under ``aioca
    book`` (a live local order book), ``group="history"`` under ``aioca history`` (a whole
    history to a file, see :mod:`aioca.history`), and ``group=None`` adds a top-level
    command. Import click and your command modules inside the hook: it is only called by
    the command line.

    :param register: the callback described above.
    :return: nothing; the return value is ignored.
    """
