"""aioca: an asyncio framework for exchange REST APIs, built on aiohttp.

A *task* is one request; *composites* (``GatherTask``, ``SerialTask``) nest tasks; *queues*
(``TaskQueue``, ``TaskStack``, ``TaskRing``) order them; an *operator* runs a queue.
Exchanges come from plugins: ``aioca.exchanges()`` lists them, ``aioca.exchange(name, ...)``
builds an API object and ``aioca.catalog(name)`` lists its tasks.
"""

from . import errors
from ._version import __version__
from .clock import ServerClock
from .composite import CompositeTask, GatherTask, SerialTask
from .container import BaseMultiTaskOperate, TaskContainer
from .errors import AiocaError
from .hookspecs import hookimpl
from .i18n import get_language, localize, set_language
from .lazy import LazyCatalog, lazy_exports
from .names import fill_name
from .plugins import ExchangeInfo, PluginHost, PluginWarning, catalog, exchange, exchanges
from .queues import GenericTaskQueue, TaskQueue, TaskRing, TaskStack
from .ratelimit import LimiterStatus, RateLimiter, Window, WindowStatus
from .request import RequestPlan
from .rest import PreparedRequest, Response, RestApi
from .retry import RetryPolicy
from .task import BaseTask, FunctionTask, GenericTask, Task, current_task
from .taskoperator import TaskOperater, TaskOperator

__all__ = [
    "AiocaError",
    "BaseMultiTaskOperate",
    "BaseTask",
    "CompositeTask",
    "ExchangeInfo",
    "FunctionTask",
    "GatherTask",
    "GenericTask",
    "GenericTaskQueue",
    "LazyCatalog",
    "LimiterStatus",
    "PluginHost",
    "PluginWarning",
    "PreparedRequest",
    "RateLimiter",
    "RequestPlan",
    "Response",
    "RestApi",
    "RetryPolicy",
    "SerialTask",
    "ServerClock",
    "Task",
    "TaskContainer",
    "TaskOperater",
    "TaskOperator",
    "TaskQueue",
    "TaskRing",
    "TaskStack",
    "Window",
    "WindowStatus",
    "__version__",
    "catalog",
    "current_task",
    "errors",
    "exchange",
    "exchanges",
    "fill_name",
    "get_language",
    "hookimpl",
    "lazy_exports",
    "localize",
    "set_language",
]
