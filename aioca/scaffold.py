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

Next steps: set `BASE_URL`, write the exchange's real signing rule in
`${Title}RestApi.sign_request`, its rate limits in `rate_limits()`, map its error bodies in
`map_error`, and declare one task class per endpoint in `tasks.py`. See aioca's
CONTRIBUTING.md, "Writing an exchange plugin".
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

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, ClassVar

from aioca import PreparedRequest, Response, RestApi, Window
from aioca.errors import AiocaError, AuthenticationError

__all__ = ["BASE_URL", "${Title}RestApi"]

BASE_URL = "https://api.$name.example"
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
        self.base_url = (urls or {}).get("rest", BASE_URL).rstrip("/")

    def sign_request(self, request: PreparedRequest) -> None:
        """Sign exactly what is sent: here a hex HMAC-SHA256 of the query string and the
        body, in a header (replace with the exchange's rule)."""
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

_TASKS = '''\
"""The $name task catalog: one declarative class per endpoint.

A task declares ``method``, ``path``, ``security`` (``"public"`` or ``"signed"``), ``cost``
(what one request charges the rate limiter) and a pydantic ``Params`` model; the base
class validates the parameters when the task is created, so bad input fails before
anything is sent, and sends the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import pydantic

from aioca import Task
from aioca.errors import InvalidParameterError

from .api import ${Title}RestApi

__all__ = ["CATALOG", "${Title}Params", "${Title}ServerTime", "${Title}Task"]


class ${Title}Params(pydantic.BaseModel):
    """Base of the parameter models: unknown parameters are refused, values frozen."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class ${Title}Task(Task):
    """A $name request declared by its class attributes."""

    exchange: ClassVar[str | None] = "$name"
    method: ClassVar[str] = "GET"
    path: ClassVar[str]
    security: ClassVar[str] = "public"
    cost: ClassVar[int] = 1
    Params: ClassVar[type[${Title}Params]] = ${Title}Params

    def __init__(self, *, api: ${Title}RestApi | None = None, **params: Any) -> None:
        super().__init__(api=api)
        try:
            self.params = self.Params(**params)
        except pydantic.ValidationError as exc:
            name = type(self).__name__
            raise InvalidParameterError.from_validation_error(exc, task_name=name) from None

    @classmethod
    def describe(cls) -> dict[str, str]:
        """The catalog line ``aioca tasks $name`` prints."""
        return {
            "method": cls.method,
            "path": cls.path,
            "security": cls.security,
            "cost": str(cls.cost),
            **super().describe(),
        }

    async def __call__(self) -> Any:
        api = self.api
        if not isinstance(api, ${Title}RestApi):
            raise TypeError(f"{self} needs a ${Title}RestApi, not {type(api).__name__}")
        return await api.request(
            self.method,
            api.base_url + self.path,
            self.params.model_dump(exclude_none=True),
            signed=self.security == "signed",
            costs={"REQUESTS": self.cost},
        )

    def __str__(self) -> str:
        return f"$name {type(self).__name__}"


class ${Title}ServerTime(${Title}Task):
    """The exchange's clock (an example task: copy it for each endpoint)."""

    method = "GET"
    path = "/api/v1/time"


CATALOG: Mapping[str, type[Task]] = MappingProxyType({"${Title}ServerTime": ${Title}ServerTime})
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
    "$module/tasks.py": _TASKS,
    "tests/test_$module.py": _TESTS,
}
