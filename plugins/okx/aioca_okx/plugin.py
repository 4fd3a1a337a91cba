"""The plugin entry point: registers the exchange ``okx`` with aioca.

The catalog is imported inside the hook, not at module level, so that listing the
installed exchanges costs an import of this module only until OKX is actually asked for...
and the hook itself runs only when aioca discovers plugins, which is lazy too.
"""

from __future__ import annotations

from aioca import hookimpl
from aioca.hookspecs import RegisterExchange

__all__ = ["register_exchanges"]


@hookimpl
def register_exchanges(register: RegisterExchange) -> None:
    """Register ``okx``: :class:`OkxRestApi` and the v5 task catalog."""
    from .api import OkxRestApi
    from .v5 import CATALOG

    register("okx", OkxRestApi, CATALOG)
