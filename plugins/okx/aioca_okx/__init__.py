"""aioca's OKX plugin: ``OkxRestApi`` and, in :mod:`aioca_okx.v5`, a task catalog of OKX's
v5 REST API (market data, account, trading).

Installed, it registers the exchange ``okx`` with aioca (entry-point group ``aioca``), so
``aioca.exchange("okx", api_key=..., api_secret=..., passphrase=...)`` returns an
``OkxRestApi``. The names below are imported on first use, so that finding the exchange
does not load the task models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aioca.lazy import lazy_exports

from ._version import __version__

if TYPE_CHECKING:
    from .api import DEFAULT_URLS, ORDER_RATE_WINDOW, OkxRestApi
    from .endpoint import Auth, Endpoint, RateLimit, Scope
    from .errors import OkxBatchError
    from .task import OkxParams, OkxTask, Texts

__all__ = [
    "DEFAULT_URLS",
    "ORDER_RATE_WINDOW",
    "Auth",
    "Endpoint",
    "OkxBatchError",
    "OkxParams",
    "OkxRestApi",
    "OkxTask",
    "RateLimit",
    "Scope",
    "Texts",
    "__version__",
]

_EXPORTS = {
    "DEFAULT_URLS": "api",
    "ORDER_RATE_WINDOW": "api",
    "OkxRestApi": "api",
    "Auth": "endpoint",
    "Endpoint": "endpoint",
    "RateLimit": "endpoint",
    "Scope": "endpoint",
    "OkxBatchError": "errors",
    "OkxParams": "task",
    "OkxTask": "task",
    "Texts": "task",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
