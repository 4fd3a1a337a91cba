"""aioca's OKX plugin: ``OkxRestApi`` and, in :mod:`aioca_okx.v5`, a task catalog of OKX's
v5 REST API (market data, account, trading).

Installed, it registers the exchange ``okx`` with aioca (entry-point group ``aioca``), so
``aioca.exchange("okx", api_key=..., api_secret=..., passphrase=...)`` returns an
``OkxRestApi``.
"""

from ._version import __version__
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
