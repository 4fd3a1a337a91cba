"""``aioca new-plugin NAME``: a ready-to-publish exchange plugin package.

The skeleton follows CONTRIBUTING.md's "Writing an exchange plugin": a ``pyproject.toml``
with the ``aioca`` entry point, a :class:`~aioca.RestApi` subclass with its signer hook and
rate-limit windows, a declarative task base with one example task, and tests that use
aioca's pytest plugin. It passes its own tests right after ``pip install -e``.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

__all__ = ["PluginNameError", "plugin_files", "write_plugin"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class PluginNameError(ValueError):
    """The exchange name cannot name a plugin package."""


_RESERVED = frozenset({"core"})
"""Names whose ``aioca-NAME`` distribution is taken: ``aioca-core`` is the core itself."""


def _names(name: str) -> dict[str, str]:
    if not _NAME.match(name):
        raise PluginNameError(
            f"invalid exchange name {name!r}: use lowercase letters, digits and '_', "
            "starting with a letter (it becomes the package aioca_<name>)"
        )
    if name in _RESERVED:
        raise PluginNameError(
            f"invalid exchange name {name!r}: aioca-{name} is the core's own distribution"
        )
    title = "".join(part.title() for part in name.split("_"))
    return {
        "name": name,
        "module": f"aioca_{name}",
        "dist": f"aioca-{name.replace('_', '-')}",
        "Title": title,
        "ENV": name.upper(),
    }


def plugin_files(name: str) -> dict[str, str]:
    """The skeleton of exchange ``name``: relative path to file text."""
    names = _names(name)
    module = names["module"]
    return {
        Template(path).substitute(module=module): Template(text).substitute(names)
        for path, text in _FILES.items()
    }


def write_plugin(name: str, directory: Path) -> Path:
    """Write the skeleton into ``directory/aioca-NAME``; refuse to overwrite anything."""
    root = directory / _names(name)["dist"]
    if root.exists():
        raise FileExistsError(f"{root} already exists")
    for relative, text in plugin_files(name).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "$Title exchange plugin for aioca."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["aioca-core>=0.1", "pydantic>=2.5"]

[project.optional-dependencies]
test = ["pytest>=8", "pytest-asyncio>=0.23", "aioresponses>=0.7.6"]

# This line is the whole plugin registration: aioca finds exchanges through it.
[project.entry-points.aioca]
$name = "$module.plugin"

[tool.setuptools.packages.find]
include = ["$module*"]

[tool.setuptools.package-data]
$module = ["py.typed"]

[tool.pytest.ini_options]
testpaths = ["tests"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
filterwarnings = ["error"]
# aioca's pytest plugin: a clean global state (default APIs, language) for every test.
usefixtures = ["aioca_isolated"]
"""

_README = """\
# $dist

The `$name` exchange for [aioca](https://github.com/aioca/aioca), as a plugin package.

```bash
pip install -e ".[test]"     # then: pytest
aioca exchanges              # lists $name
aioca tasks $name
aioca call $name ${Title}ServerTime --url rest=http://127.0.0.1:8080
```

```python
import aioca
from $module.tasks import ${Title}ServerTime

api = aioca.exchange("$name", api_key="...", api_secret="...")
aioca.Task.set_default_api(api)
task = ${Title}ServerTime()
aioca.TaskOperator().run_single_task(task).run()
print(task.result)
```

Next steps: set `DEFAULT_URLS` (in `api.py`), write the exchange's real signing rule in
`${Title}RestApi.sign_request` and its wire rules in `plan_endpoint`, its rate limits in
`rate_limits()`, map its error bodies by overriding `map_error` (aioca's `RestApi` maps the
HTTP status by default), and declare one task class per endpoint in `tasks.py`. See
aioca's CONTRIBUTING.md, "Writing an exchange plugin".
"""

_INIT = '''\
"""The $name exchange plugin for aioca."""

from .api import ${Title}RestApi
from .tasks import CATALOG, ${Title}ServerTime, ${Title}Task

__all__ = ["CATALOG", "${Title}RestApi", "${Title}ServerTime", "${Title}Task"]
'''

_PLUGIN = '''\
"""The entry point named in pyproject.toml: registers the exchange ``$name``.

Imports stay inside the hook: aioca loads this module when it looks for exchanges, and a
program that never uses ``$name`` should not pay for importing it.
"""

from __future__ import annotations

from aioca import hookimpl
from aioca.hookspecs import RegisterExchange

__all__ = ["register_exchanges"]


@hookimpl
def register_exchanges(register: RegisterExchange) -> None:
    """Register ``$name``: its API class and its task catalog."""
    from .api import ${Title}RestApi
    from .tasks import CATALOG

    register("$name", ${Title}RestApi, CATALOG)
'''

_API = '''\
"""``${Title}RestApi``: base URL, credentials, signing and rate limits of $name."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from aioca import PreparedRequest, RequestPlan, Response, RestApi, Window
from aioca.errors import AiocaError, AuthenticationError
from aioca.urls import base_urls

from .endpoint import Endpoint

__all__ = ["DEFAULT_URLS", "${Title}RestApi"]

DEFAULT_URLS: Mapping[str, str] = {"rest": "https://api.$name.example"}
"""The production REST base URL (replace with the exchange's)."""


class ${Title}RestApi(RestApi):
    """The $name REST API. ``urls={"rest": "http://127.0.0.1:8080"}`` points it elsewhere
    (a test server); the secret is kept private and never shown in ``repr``."""

    exchange: ClassVar[str] = "$name"

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        urls: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.api_key = api_key
        self._secret = api_secret.encode() if api_secret else None
        self.urls = base_urls(DEFAULT_URLS, urls)  # checked: a typo fails here, not later

    @property
    def base_url(self) -> str:
        return self.urls["rest"]

    def plan_endpoint(self, endpoint: Endpoint, params: Any, *, shared: bool = True) -> RequestPlan:
        """How a catalog task is sent: GET parameters in the query string, others in a
        JSON body (replace with the exchange's rules). Shared plans are kept on the API."""
        build = functools.partial(self._build_plan, endpoint, dict(params))
        if not shared:
            return build()
        return self.shared_plan((id(endpoint), json.dumps(params, default=str)), build)

    def _build_plan(self, endpoint: Endpoint, params: dict[str, Any]) -> RequestPlan:
        in_query = endpoint.method == "GET"
        return self.plan(
            endpoint.method,
            self.base_url + endpoint.path,
            params if in_query else None,
            json_body=None if in_query else params,
            signed=endpoint.signed,
            costs={"REQUESTS": endpoint.cost},
            changes_orders=endpoint.changes_orders,
            endpoint=endpoint,
        )

    def check_signing(self, plan: RequestPlan) -> None:
        """Fail before anything is sent when a signed request cannot be signed."""
        if self.api_key is None or self._secret is None:
            raise AuthenticationError(
                "signed requests need api_key and api_secret", exchange=self.exchange
            )

    def sign_request(self, request: PreparedRequest) -> None:
        """Sign exactly what is sent, for every attempt: here a hex HMAC-SHA256 of the
        query string and the body, in a header (replace with the exchange's rule)."""
        if self.api_key is None or self._secret is None:
            raise AuthenticationError(
                "signed requests need api_key and api_secret", **self.error_context(request)
            )
        payload = request.query_string() + (request.body() or "")
        signature = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()
        request.headers["X-API-KEY"] = self.api_key
        request.headers["X-SIGNATURE"] = signature

    def rate_limits(self) -> list[Window]:
        """The exchange's budgets: here 20 requests per second per IP (replace)."""
        return [Window("REQUESTS", limit=20, seconds=1.0)]

    def map_error(self, response: Response, payload: Any) -> AiocaError:
        """The exception for an error response. The default maps the HTTP status (and reads
        ``code`` and ``msg`` from a JSON body); map the exchange's own error codes here.
        Here a ``{"code": "INVALID_SIGNATURE"}`` body, whatever its status, is an
        :class:`~aioca.errors.AuthenticationError` (replace with the exchange's codes)."""
        if isinstance(payload, Mapping) and payload.get("code") == "INVALID_SIGNATURE":
            return AuthenticationError(
                str(payload.get("msg") or "invalid signature"),
                code="INVALID_SIGNATURE",
                status=response.status,
                **self.error_context(response.request),
            )
        return super().map_error(response, payload)
'''

_ENDPOINT = '''\
"""How a $name endpoint is declared: what ``${Title}RestApi.plan_endpoint`` reads."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Endpoint"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST endpoint: ``method``, ``path``, whether it is ``signed``, its ``cost``
    (what one request charges the rate limiter) and whether it ``changes_orders`` (such a
    request is never retried: see aioca's RetryPolicy)."""

    method: str
    path: str
    signed: bool = False
    cost: int = 1
    changes_orders: bool = False
'''

_TASKS = '''\
"""The $name task catalog: one declarative class per endpoint, on aioca's catalog toolkit.

A task declares its ``endpoint``, a ``Params`` model (parameters by their wire names; the
rules spanning several go in ``one_of``, ``exclusive`` and ``required_when``) and its
``texts``; ``aioca.endpoint.EndpointTask`` validates every parameter when the task is
created (all problems at once, before anything is sent), plans the request once per API
object and sends it through aioca's pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

from aioca.endpoint import EndpointTask, Texts
from aioca.params import TaskParams

from .endpoint import Endpoint

__all__ = ["CATALOG", "${Title}Params", "${Title}ServerTime", "${Title}Task"]


class ${Title}Params(TaskParams):
    """Base of the parameter models: unknown parameters refused, values frozen."""


class ${Title}Task(EndpointTask):
    """A $name request declared by its class attributes."""

    exchange: ClassVar[str | None] = "$name"
    endpoint: ClassVar[Endpoint]
    Params: ClassVar[type[TaskParams]] = ${Title}Params

    @classmethod
    def describe(cls) -> dict[str, str]:
        """The catalog line ``aioca tasks $name`` prints."""
        security = "signed" if cls.endpoint.signed else "public"
        return {**super().describe(), "security": security, "cost": str(cls.endpoint.cost)}


class ${Title}ServerTime(${Title}Task):
    """The exchange's clock (an example task: copy it for each endpoint)."""

    endpoint = Endpoint("GET", "/api/v1/time")
    texts = Texts(en="$name server time", zh="$name 服务器时间")


CATALOG: Mapping[str, type[${Title}Task]] = MappingProxyType(
    {"${Title}ServerTime": ${Title}ServerTime}
)
"""Every task class by name (read-only): what the plugin registers."""
'''

_TESTS = '''\
"""The plugin's own tests, with aioca's pytest plugin (``aioca_mock``: mocked HTTP)."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from aioresponses import aioresponses

import aioca
from aioca.errors import AuthenticationError, InvalidParameterError
from $module import ${Title}RestApi, ${Title}ServerTime

URL = "http://127.0.0.1:8080"


def test_aioca_finds_the_exchange() -> None:
    names = {info.name: info for info in aioca.exchanges()}
    assert names["$name"].package == "$dist"
    assert isinstance(aioca.exchange("$name"), ${Title}RestApi)
    assert "${Title}ServerTime" in aioca.catalog("$name")


async def test_server_time_sends_get_and_returns_the_body(aioca_mock: aioresponses) -> None:
    aioca_mock.get(f"{URL}/api/v1/time", payload={"time": 1700000000000})
    async with ${Title}RestApi(urls={"rest": URL}) as api:
        task = ${Title}ServerTime(api=api)
        await task.run()
    assert task.result == {"time": 1700000000000}


async def test_signed_requests_carry_the_hmac_of_what_is_sent(aioca_mock: aioresponses) -> None:
    aioca_mock.get(re.compile(re.escape(URL) + r"/api/v1/private.*"), payload={})
    async with ${Title}RestApi("key", "secret", urls={"rest": URL}) as api:
        await api.request("GET", f"{URL}/api/v1/private", {"b": 2, "a": 1}, signed=True)
    ((_, calls),) = aioca_mock.requests.items()
    headers = calls[0].kwargs["headers"]
    expected = hmac.new(b"secret", b"b=2&a=1", hashlib.sha256).hexdigest()
    assert headers["X-SIGNATURE"] == expected
    assert headers["X-API-KEY"] == "key"


def test_unknown_parameter_is_refused_before_sending() -> None:
    with pytest.raises(InvalidParameterError, match="bogus"):
        ${Title}ServerTime(bogus=1)


async def test_a_signed_request_without_keys_fails_before_sending(
    aioca_mock: aioresponses,
) -> None:
    async with ${Title}RestApi(urls={"rest": URL}) as api:
        with pytest.raises(AuthenticationError):
            await api.request("GET", f"{URL}/api/v1/private", signed=True)
    assert not aioca_mock.requests


def test_the_secret_is_not_in_the_repr() -> None:
    assert "secret-value" not in repr(${Title}RestApi("key", "secret-value"))


def test_the_catalog_describes_each_task() -> None:
    assert ${Title}ServerTime.describe()["path"] == "/api/v1/time"


async def test_map_error_maps_the_exchanges_codes(aioca_mock: aioresponses) -> None:
    body = {"code": "INVALID_SIGNATURE", "msg": "bad signature"}
    aioca_mock.get(f"{URL}/api/v1/time", status=400, payload=body)
    async with ${Title}RestApi(urls={"rest": URL}) as api:
        with pytest.raises(AuthenticationError, match="bad signature") as caught:
            await ${Title}ServerTime(api=api).run()
    assert caught.value.code == "INVALID_SIGNATURE"
    assert caught.value.status == 400
'''

_FILES = {
    "pyproject.toml": _PYPROJECT,
    "README.md": _README,
    "$module/__init__.py": _INIT,
    "$module/py.typed": "",
    "$module/plugin.py": _PLUGIN,
    "$module/api.py": _API,
    "$module/endpoint.py": _ENDPOINT,
    "$module/tasks.py": _TASKS,
    "tests/test_$module.py": _TESTS,
}
