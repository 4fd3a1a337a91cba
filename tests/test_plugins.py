"""Tests of the plugin host: registration, lookup, validation, entry-point discovery,
``AIOCA_PLUGINS`` and the per-exchange default APIs.

Plugins are either added by hand (``PluginHost(entry_points=False).add_plugin(...)``) or
installed as real distributions: a ``*.dist-info`` folder with ``METADATA`` and
``entry_points.txt`` plus a module, written to ``tmp_path`` and put on ``sys.path``. Every
test of entry points uses its own entry-point group, except the one test of the real
``aioca`` group behind ``aioca.exchanges()``.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import types
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pluggy
import pytest

import aioca
from aioca import PluginHost, PluginWarning, PreparedRequest, RestApi, Task, errors, plugins

Register = Callable[[str, type[RestApi], Mapping[str, type[Task]]], None]


# --- exchanges and plugins made in the test --------------------------------------------------


class OptionsApi(RestApi):
    """A RestApi that keeps the options it was built with (subclassed per exchange)."""

    def __init__(self, *, timeout: float = 10.0, **options: Any) -> None:
        super().__init__(timeout=timeout)
        self.options = options

    def sign_request(self, request: PreparedRequest) -> None:
        request.headers["X-KEY"] = self.options.get("api_key", "")


class ApiReturningTask(Task):
    """A task that returns its API (subclassed per exchange)."""

    async def __call__(self) -> Any:
        return self.api


def make_api_class(name: str) -> type[OptionsApi]:
    """A fresh RestApi subclass for exchange ``name``."""
    return type(f"{name.title()}Api", (OptionsApi,), {"exchange": name})


def make_task_class(exchange: str | None, label: str = "Ping") -> type[Task]:
    """A fresh Task subclass of ``exchange`` (``None``: tied to no exchange)."""
    return type(label, (ApiReturningTask,), {"exchange": exchange})


def plugin_module(name: str, register_exchanges: Callable[[Register], None]) -> types.ModuleType:
    """A module-like plugin object whose hook is ``register_exchanges``."""
    module = types.ModuleType(name)
    module.register_exchanges = aioca.hookimpl(register_exchanges)  # type: ignore[attr-defined]
    return module


def exchange_plugin(
    plugin_name: str, exchange: str, tasks: Mapping[str, type[Task]] | None = None
) -> types.ModuleType:
    """A plugin registering one well-formed exchange."""
    api_class = make_api_class(exchange)
    catalog = {"ping": make_task_class(exchange)} if tasks is None else tasks

    def register_exchanges(register: Register) -> None:
        register(exchange, api_class, catalog)

    return plugin_module(plugin_name, register_exchanges)


def host_with(*plugins_: tuple[object, str, str | None]) -> PluginHost:
    """A host without entry points holding ``(plugin, package, version)`` triples."""
    host = PluginHost(entry_points=False)
    for plugin, package, version in plugins_:
        host.add_plugin(plugin, package=package, version=version)
    return host


# --- distributions installed in tmp_path -------------------------------------------------------

PLUGIN_SOURCE = """\
import aioca
from aioca import RestApi, Task


class Api(RestApi):
    exchange = {exchange!r}

    def __init__(self, **options):
        super().__init__()
        self.options = options

    def sign_request(self, request):
        pass


class Ping(Task):
    exchange = {exchange!r}

    async def __call__(self):
        return "pong"


@aioca.hookimpl
def register_exchanges(register):
    register({exchange!r}, Api, {{"ping": Ping}})
"""


class Site:
    """A folder on ``sys.path`` where tests install plugin distributions."""

    def __init__(self, root: Path, group: str) -> None:
        self.root = root
        self.group = group
        self.modules: list[str] = []

    def install(
        self,
        dist: str,
        *,
        version: str = "0.1",
        exchange: str | None = None,
        entry_name: str | None = None,
        source: str | None = None,
        group: str | None = None,
    ) -> str:
        """Install distribution ``dist`` whose entry point loads a fresh module; returns the
        module's (unique) name. By default the module registers ``exchange``."""
        module = f"{dist.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        self.modules.append(module)
        exchange = exchange or dist.removeprefix("aioca-").replace("-", "")
        code = source if source is not None else PLUGIN_SOURCE.format(exchange=exchange)
        (self.root / f"{module}.py").write_text(textwrap.dedent(code))
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(
            f"[{group or self.group}]\n{entry_name or exchange} = {module}\n"
        )
        importlib.invalidate_caches()
        return module

    def host(self) -> PluginHost:
        return PluginHost(group=self.group)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("AIOCA_PLUGINS", raising=False)
    installed = Site(tmp_path, f"aioca-test-{uuid.uuid4().hex[:12]}")
    yield installed
    # monkeypatch.delitem(sys.modules, name, raising=False) records nothing for a module
    # that is not imported yet, so the modules the test imported are dropped here.
    for module in installed.modules:
        sys.modules.pop(module, None)


@pytest.fixture
def fresh_default_host() -> Iterator[PluginHost]:
    host = plugins.default_host()
    host.reload()
    yield host
    host.reload()


# --- plugins added by hand ---------------------------------------------------------------------


def test_added_plugin_exchange_is_listed_with_package_and_version() -> None:
    host = host_with((exchange_plugin("fake_plugin", "fake"), "aioca-fake", "1.2.3"))

    [info] = host.exchanges()

    assert (info.name, info.package, info.version) == ("fake", "aioca-fake", "1.2.3")


def test_exchange_info_keeps_api_class_and_tasks() -> None:
    ping = make_task_class("fake")
    plugin = exchange_plugin("fake_plugin", "fake", {"ping": ping})

    [info] = host_with((plugin, "aioca-fake", None)).exchanges()

    assert info.api_class.exchange == "fake"
    assert dict(info.tasks) == {"ping": ping}


def test_exchanges_are_sorted_by_name() -> None:
    host = host_with(
        (exchange_plugin("p_zeta", "zeta"), "aioca-zeta", None),
        (exchange_plugin("p_alpha", "alpha"), "aioca-alpha", None),
        (exchange_plugin("p_mid", "mid"), "aioca-mid", None),
    )

    assert [info.name for info in host.exchanges()] == ["alpha", "mid", "zeta"]


def test_one_plugin_can_register_several_exchanges() -> None:
    one, two = make_api_class("one"), make_api_class("two")

    def register_exchanges(register: Register) -> None:
        register("one", one, {})
        register("two", two, {})

    host = host_with((plugin_module("multi", register_exchanges), "aioca-multi", "2.0"))

    assert [(i.name, i.package) for i in host.exchanges()] == [
        ("one", "aioca-multi"),
        ("two", "aioca-multi"),
    ]


def test_package_defaults_to_plugin_name() -> None:
    host = PluginHost(entry_points=False)
    host.add_plugin(exchange_plugin("aioca_by_hand", "fake"))

    [info] = host.exchanges()

    assert info.package == "aioca_by_hand"
    assert info.version is None


def test_class_instance_plugin_is_supported() -> None:
    api_class = make_api_class("fake")

    class FakePlugin:
        @aioca.hookimpl
        def register_exchanges(self, register: Register) -> None:
            register("fake", api_class, {})

    host = host_with((FakePlugin(), "aioca-fake", "1.0"))

    assert host.info("fake").api_class is api_class


def test_exchange_builds_api_instance_with_options() -> None:
    host = host_with((exchange_plugin("fake_plugin", "fake"), "aioca-fake", "1.2.3"))

    api = host.exchange("fake", api_key="k", api_secret="s", timeout=3.0)

    assert isinstance(api, host.info("fake").api_class)
    assert api.options == {"api_key": "k", "api_secret": "s"}  # type: ignore[attr-defined]
    assert api.timeout.total == 3.0


def test_exchange_builds_a_new_api_each_time() -> None:
    host = host_with((exchange_plugin("fake_plugin", "fake"), "aioca-fake", None))

    assert host.exchange("fake") is not host.exchange("fake")


def test_catalog_maps_task_names_to_classes() -> None:
    ping, order = make_task_class("fake", "Ping"), make_task_class("fake", "Order")
    plugin = exchange_plugin("fake_plugin", "fake", {"ping": ping, "order": order})

    catalog = host_with((plugin, "aioca-fake", None)).catalog("fake")

    assert dict(catalog) == {"ping": ping, "order": order}


def test_catalog_is_read_only() -> None:
    host = host_with((exchange_plugin("fake_plugin", "fake"), "aioca-fake", None))
    catalog = host.catalog("fake")

    with pytest.raises(TypeError):
        catalog["evil"] = make_task_class("fake")  # type: ignore[index]

    assert "evil" not in host.catalog("fake")


def test_catalog_does_not_follow_later_changes_to_plugin_dict() -> None:
    tasks: dict[str, type[Task]] = {"ping": make_task_class("fake")}
    host = host_with((exchange_plugin("fake_plugin", "fake", tasks), "aioca-fake", None))
    host.exchanges()

    tasks["late"] = make_task_class("fake", "Late")

    assert list(host.catalog("fake")) == ["ping"]


def test_add_plugin_after_a_query_is_seen_by_the_next_query() -> None:
    host = host_with((exchange_plugin("p_first", "first"), "aioca-first", None))
    assert [info.name for info in host.exchanges()] == ["first"]

    host.add_plugin(exchange_plugin("p_second", "second"), package="aioca-second")

    assert [info.name for info in host.exchanges()] == ["first", "second"]


def test_hooks_run_once_until_reload() -> None:
    calls: list[int] = []
    api_class = make_api_class("fake")

    def register_exchanges(register: Register) -> None:
        calls.append(1)
        register("fake", api_class, {})

    host = host_with((plugin_module("counting", register_exchanges), "aioca-fake", None))

    host.exchanges()
    host.exchange("fake")
    host.catalog("fake")
    assert len(calls) == 1

    host.reload()
    host.exchanges()
    assert len(calls) == 2


# --- unknown and duplicate exchanges -------------------------------------------------------------


def test_unknown_exchange_raises_unknown_exchange_error() -> None:
    host = host_with((exchange_plugin("fake_plugin", "fake"), "aioca-fake", None))

    with pytest.raises(errors.UnknownExchangeError, match="'kraken'"):
        host.exchange("kraken")


def test_unknown_exchange_error_is_a_lookup_error() -> None:
    host = host_with((exchange_plugin("fake_plugin", "fake"), "aioca-fake", None))

    with pytest.raises(LookupError):
        host.catalog("kraken")


def test_unknown_exchange_message_lists_installed_exchanges() -> None:
    host = host_with(
        (exchange_plugin("p_beta", "beta"), "aioca-beta", None),
        (exchange_plugin("p_alpha", "alpha"), "aioca-alpha", None),
    )

    with pytest.raises(errors.UnknownExchangeError) as exc_info:
        host.info("gamma")

    assert "installed exchanges: alpha, beta" in str(exc_info.value)


def test_unknown_exchange_with_none_installed_names_the_entry_point_group() -> None:
    host = PluginHost(group="aioca-test-empty-group", entry_points=False)

    with pytest.raises(errors.UnknownExchangeError) as exc_info:
        host.exchange("binance")

    assert "installed exchanges: none" in str(exc_info.value)
    assert "'aioca-test-empty-group'" in str(exc_info.value)


def test_two_plugins_claiming_one_name_raise_duplicate_exchange_error() -> None:
    host = host_with(
        (exchange_plugin("p_one", "fake"), "aioca-fake-one", "1.0"),
        (exchange_plugin("p_two", "fake"), "aioca-fake-two", "2.0"),
    )

    with pytest.raises(errors.DuplicateExchangeError) as exc_info:
        host.exchanges()

    message = str(exc_info.value)
    assert "'fake'" in message
    assert "'aioca-fake-one'" in message
    assert "'aioca-fake-two'" in message
    assert isinstance(exc_info.value, errors.PluginError)


def test_one_plugin_registering_a_name_twice_raises_duplicate_exchange_error() -> None:
    api_class = make_api_class("fake")

    def register_exchanges(register: Register) -> None:
        register("fake", api_class, {})
        register("fake", api_class, {})

    host = host_with((plugin_module("twice", register_exchanges), "aioca-twice", None))

    with pytest.raises(errors.DuplicateExchangeError, match="aioca-twice"):
        host.exchanges()


def test_two_distributions_with_same_entry_point_name_raise_duplicate(site: Site) -> None:
    site.install("aioca-binance", exchange="binance", entry_name="binance")
    site.install("aioca-binance-fork", exchange="binance", entry_name="binance")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        with pytest.raises(errors.DuplicateExchangeError) as exc_info:
            site.host().exchanges()

    assert "'aioca-binance'" in str(exc_info.value)
    assert "'aioca-binance-fork'" in str(exc_info.value)


# --- invalid registrations ---------------------------------------------------------------------


def registering(*args: Any) -> PluginHost:
    """A host with one plugin that calls ``register(*args)``."""

    def register_exchanges(register: Register) -> None:
        register(*args)

    return host_with((plugin_module("bad_plugin", register_exchanges), "aioca-bad", None))


def test_api_class_that_is_not_a_rest_api_raises_plugin_error() -> None:
    class NotAnApi:
        exchange = "fake"

    with pytest.raises(errors.PluginError, match="RestApi subclass"):
        registering("fake", NotAnApi, {}).exchanges()


def test_api_instance_instead_of_class_raises_plugin_error() -> None:
    api = make_api_class("fake")()

    with pytest.raises(errors.PluginError, match="RestApi subclass"):
        registering("fake", api, {}).exchanges()


def test_api_class_with_other_exchange_name_raises_plugin_error() -> None:
    with pytest.raises(errors.PluginError, match="'other'") as exc_info:
        registering("fake", make_api_class("other"), {}).exchanges()

    assert "aioca-bad" in str(exc_info.value)


def test_task_of_another_exchange_raises_plugin_error() -> None:
    tasks = {"ping": make_task_class("other")}

    with pytest.raises(errors.PluginError, match="'ping'"):
        registering("fake", make_api_class("fake"), tasks).exchanges()


def test_task_without_exchange_raises_plugin_error() -> None:
    tasks = {"ping": make_task_class(None)}

    with pytest.raises(errors.PluginError, match="'ping'"):
        registering("fake", make_api_class("fake"), tasks).exchanges()


@pytest.mark.parametrize("not_a_task", [object, "Ping", lambda: None, int])
def test_non_task_in_tasks_raises_plugin_error(not_a_task: Any) -> None:
    tasks = {"ping": not_a_task}

    with pytest.raises(errors.PluginError, match="not a Task subclass"):
        registering("fake", make_api_class("fake"), tasks).exchanges()


def test_tasks_that_are_not_a_mapping_raise_plugin_error() -> None:
    tasks = [make_task_class("fake")]

    with pytest.raises(errors.PluginError, match="mapping"):
        registering("fake", make_api_class("fake"), tasks).exchanges()


@pytest.mark.parametrize("name", ["", "Fake", "1fake", "fa ke", "fake!"])
def test_invalid_exchange_name_raises_plugin_error(name: str) -> None:
    api_class = make_api_class("x")
    api_class.exchange = name  # type: ignore[misc]

    with pytest.raises(errors.PluginError, match="invalid exchange name"):
        registering(name, api_class, {}).exchanges()


def test_invalid_registration_is_not_cached_as_empty() -> None:
    host = registering("fake", make_api_class("other"), {})

    with pytest.raises(errors.PluginError):
        host.exchanges()
    with pytest.raises(errors.PluginError):
        host.exchanges()


# --- broken plugins ------------------------------------------------------------------------------


def test_hook_raising_gives_plugin_warning_and_others_still_load() -> None:
    def register_exchanges(register: Register) -> None:
        raise RuntimeError("exchange info endpoint moved")

    host = host_with(
        (plugin_module("crashing", register_exchanges), "aioca-crashing", None),
        (exchange_plugin("good", "good"), "aioca-good", None),
    )

    with pytest.warns(PluginWarning, match="aioca-crashing") as record:
        names = [info.name for info in host.exchanges()]

    assert names == ["good"]
    assert "exchange info endpoint moved" in str(record[0].message)


def test_exchanges_registered_before_hook_raised_are_dropped() -> None:
    api_class = make_api_class("half")

    def register_exchanges(register: Register) -> None:
        register("half", api_class, {})
        raise RuntimeError("second exchange failed")

    host = host_with((plugin_module("halfway", register_exchanges), "aioca-halfway", None))

    with pytest.warns(PluginWarning, match="aioca-halfway"):
        assert host.exchanges() == []


def test_misspelt_hook_gives_plugin_warning() -> None:
    module = types.ModuleType("misspelt")
    module.register_exchange = aioca.hookimpl(lambda register: None)  # type: ignore[attr-defined]
    host = host_with(
        (module, "aioca-misspelt", None), (exchange_plugin("good", "good"), "aioca-good", None)
    )

    with pytest.warns(PluginWarning, match="register_exchange"):
        names = [info.name for info in host.exchanges()]

    assert names == ["good"]


def test_hook_with_wrong_arguments_gives_plugin_warning_and_others_still_load() -> None:
    def register_exchanges(registry: Register) -> None:  # 'registry', not 'register'
        pass

    host = host_with(
        (plugin_module("wrong_args", register_exchanges), "aioca-wrong-args", None),
        (exchange_plugin("good", "good"), "aioca-good", None),
    )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = [info.name for info in host.exchanges()]

    assert names == ["good"]
    assert [w.category for w in caught if "aioca-wrong-args" in str(w.message)] == [PluginWarning]


# --- entry-point discovery ----------------------------------------------------------------------


def test_entry_point_plugin_is_discovered_with_package_and_version(site: Site) -> None:
    site.install("aioca-fakeplug", version="0.1", exchange="fakeplug")

    [info] = site.host().exchanges()

    assert (info.name, info.package, info.version) == ("fakeplug", "aioca-fakeplug", "0.1")
    assert info.api_class.__module__ == site.modules[0]
    assert list(info.tasks) == ["ping"]


def test_entry_point_exchange_builds_api_and_runs_catalog_task(site: Site) -> None:
    site.install("aioca-fakeplug", exchange="fakeplug")
    host = site.host()

    api = host.exchange("fakeplug", api_key="k")
    ping = host.catalog("fakeplug")["ping"](api=api)

    assert api.options == {"api_key": "k"}  # type: ignore[attr-defined]
    assert ping.api is api


def test_discovery_is_lazy(site: Site) -> None:
    module = site.install("aioca-lazyplug", exchange="lazy")
    host = site.host()

    assert module not in sys.modules
    host.exchanges()
    assert module in sys.modules


def test_other_entry_point_groups_are_ignored(site: Site) -> None:
    site.install("aioca-mine", exchange="mine")
    site.install("aioca-elsewhere", exchange="elsewhere", group=site.group + "-other")

    assert [info.name for info in site.host().exchanges()] == ["mine"]


def test_host_without_entry_points_ignores_installed_plugins(site: Site) -> None:
    site.install("aioca-installed", exchange="installed")
    host = PluginHost(group=site.group, entry_points=False)
    host.add_plugin(exchange_plugin("by_hand", "byhand"), package="aioca-by-hand")

    assert [info.name for info in host.exchanges()] == ["byhand"]


def test_added_and_entry_point_plugins_load_together(site: Site) -> None:
    site.install("aioca-installed", exchange="installed")
    host = site.host()
    host.add_plugin(exchange_plugin("by_hand", "byhand"), package="aioca-by-hand")

    assert {(i.name, i.package) for i in host.exchanges()} == {
        ("installed", "aioca-installed"),
        ("byhand", "aioca-by-hand"),
    }


def test_reload_discovers_newly_installed_plugins(site: Site) -> None:
    site.install("aioca-early", exchange="early")
    host = site.host()
    assert [info.name for info in host.exchanges()] == ["early"]

    site.install("aioca-late", exchange="late")
    assert [info.name for info in host.exchanges()] == ["early"]

    host.reload()
    assert [info.name for info in host.exchanges()] == ["early", "late"]


def test_plugin_failing_to_import_gives_plugin_warning_and_others_load(site: Site) -> None:
    site.install("aioca-broken", exchange="broken", source="raise ImportError('no _cffi here')\n")
    site.install("aioca-good", exchange="good")

    with pytest.warns(PluginWarning, match="'aioca-broken'") as record:
        names = [info.name for info in site.host().exchanges()]

    assert names == ["good"]
    assert "no _cffi here" in str(record[0].message)


def test_plugin_hook_raising_at_discovery_gives_plugin_warning(site: Site) -> None:
    raising = """\
        import aioca

        @aioca.hookimpl
        def register_exchanges(register):
            raise RuntimeError("boom in hook")
        """
    site.install("aioca-raising", exchange="raising", source=raising)
    site.install("aioca-good", exchange="good")

    with pytest.warns(PluginWarning, match="'aioca-raising'"):
        names = [info.name for info in site.host().exchanges()]

    assert names == ["good"]


def test_entry_point_pointing_at_missing_attribute_gives_plugin_warning(site: Site) -> None:
    module = site.install("aioca-noattr", exchange="noattr")
    entry_points = site.root / "aioca_noattr-0.1.dist-info" / "entry_points.txt"
    entry_points.write_text(f"[{site.group}]\nnoattr = {module}:missing\n")
    importlib.invalidate_caches()

    with pytest.warns(PluginWarning, match="'aioca-noattr'"):
        assert site.host().exchanges() == []


# --- AIOCA_PLUGINS -------------------------------------------------------------------------------


@pytest.fixture
def two_installed(site: Site) -> Site:
    site.install("aioca-good-plug", exchange="good", entry_name="goodentry")
    site.install("aioca-other-plug", exchange="other", entry_name="otherentry")
    return site


def test_all_plugins_load_when_aioca_plugins_is_unset(two_installed: Site) -> None:
    assert [info.name for info in two_installed.host().exchanges()] == ["good", "other"]


def test_aioca_plugins_limits_loading_to_named_distribution(
    two_installed: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOCA_PLUGINS", "aioca-good-plug")

    assert [info.name for info in two_installed.host().exchanges()] == ["good"]
    assert two_installed.modules[1] not in sys.modules


def test_aioca_plugins_names_are_normalized(
    two_installed: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOCA_PLUGINS", " AIOCA_Good.Plug ")

    assert [info.name for info in two_installed.host().exchanges()] == ["good"]


def test_aioca_plugins_accepts_entry_point_name(
    two_installed: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOCA_PLUGINS", "otherentry")

    assert [info.name for info in two_installed.host().exchanges()] == ["other"]


def test_aioca_plugins_accepts_a_comma_separated_list(
    two_installed: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOCA_PLUGINS", "aioca-other-plug,aioca-good-plug")

    assert [info.name for info in two_installed.host().exchanges()] == ["good", "other"]


def test_empty_aioca_plugins_loads_none(
    two_installed: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOCA_PLUGINS", "")

    assert two_installed.host().exchanges() == []
    assert not any(module in sys.modules for module in two_installed.modules)


def test_aioca_plugins_skips_a_plugin_that_would_fail_to_import(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.install("aioca-broken", exchange="broken", source="raise SystemError('bad wheel')\n")
    site.install("aioca-good", exchange="good")
    monkeypatch.setenv("AIOCA_PLUGINS", "aioca-good")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        names = [info.name for info in site.host().exchanges()]

    assert names == ["good"]


# --- the real "aioca" group behind the module functions -----------------------------------------


def test_module_functions_discover_the_aioca_entry_point_group(
    site: Site, fresh_default_host: PluginHost
) -> None:
    site.install("aioca-fakeplug", version="0.1", exchange="fakeplug", group="aioca")

    found = {info.name: info for info in aioca.exchanges()}
    api = aioca.exchange("fakeplug", api_key="k")

    assert fresh_default_host.group == plugins.ENTRY_POINT_GROUP == "aioca"
    assert (found["fakeplug"].package, found["fakeplug"].version) == ("aioca-fakeplug", "0.1")
    assert isinstance(api, found["fakeplug"].api_class)
    assert list(aioca.catalog("fakeplug")) == ["ping"]


# --- exchange identity and default APIs ----------------------------------------------------------


def test_default_apis_follow_the_task_exchange() -> None:
    task_a, task_b = make_task_class("a", "ATask"), make_task_class("b", "BTask")
    host = host_with(
        (exchange_plugin("plugin_a", "a", {"t": task_a}), "aioca-a", None),
        (exchange_plugin("plugin_b", "b", {"t": task_b}), "aioca-b", None),
    )
    api_a, api_b = host.exchange("a"), host.exchange("b")
    plain = make_task_class(None, "PlainTask")

    Task.set_default_api(api_a)
    Task.set_default_api(api_b)

    assert host.catalog("a")["t"]().api is api_a
    assert host.catalog("b")["t"]().api is api_b
    assert plain().api is api_b


def test_default_api_of_an_exchange_is_looked_up_by_name() -> None:
    host = host_with(
        (exchange_plugin("plugin_a", "a"), "aioca-a", None),
        (exchange_plugin("plugin_b", "b"), "aioca-b", None),
    )
    api_a, api_b = host.exchange("a"), host.exchange("b")

    Task.set_default_api(api_b)
    Task.set_default_api(api_a)

    assert Task.get_default_api("a") is api_a
    assert Task.get_default_api("b") is api_b
    assert Task.get_default_api() is api_a


def test_task_of_exchange_without_default_has_no_api() -> None:
    host = host_with(
        (exchange_plugin("plugin_a", "a"), "aioca-a", None),
        (exchange_plugin("plugin_b", "b"), "aioca-b", None),
    )
    Task.set_default_api(host.exchange("a"))

    task_b = host.catalog("b")["ping"]()

    with pytest.raises(errors.MissingApiError, match="'b'"):
        _ = task_b.api


# --- lazy catalogs -----------------------------------------------------------------------------


class _LazyCatalog(Mapping[str, type[Task]]):
    """A catalog that makes its classes on first lookup, counting the lookups."""

    def __init__(self, classes: dict[str, Callable[[], Any]]) -> None:
        self.classes = classes
        self.made: list[str] = []

    def __getitem__(self, name: str) -> Any:
        self.made.append(name)
        return self.classes[name]()

    def __contains__(self, name: object) -> bool:
        return name in self.classes

    def __iter__(self) -> Iterator[str]:
        return iter(self.classes)

    def __len__(self) -> int:
        return len(self.classes)


def test_a_lazy_catalog_is_not_touched_at_registration() -> None:
    lazy = _LazyCatalog({"ping": lambda: make_task_class("fake"), "pong": lambda: 42})
    host = registering("fake", make_api_class("fake"), lazy)

    assert [info.name for info in host.exchanges()] == ["fake"]
    assert lazy.made == []
    tasks = host.catalog("fake")
    assert sorted(tasks) == ["ping", "pong"]
    assert len(tasks) == 2
    assert "ping" in tasks
    assert lazy.made == []


def test_a_lazy_catalog_checks_each_class_once_on_first_lookup() -> None:
    lazy = _LazyCatalog({"ping": lambda: make_task_class("fake"), "pong": lambda: 42})
    tasks = registering("fake", make_api_class("fake"), lazy).catalog("fake")

    first = tasks["ping"]
    assert tasks["ping"] is first
    assert lazy.made == ["ping"]
    with pytest.raises(errors.PluginError, match=r"'pong'.*not a Task subclass"):
        tasks["pong"]


def test_a_lazy_catalog_refuses_a_class_of_another_exchange_on_lookup() -> None:
    lazy = _LazyCatalog({"ping": lambda: make_task_class("other")})
    tasks = registering("fake", make_api_class("fake"), lazy).catalog("fake")

    with pytest.raises(errors.PluginError, match="'other'"):
        tasks["ping"]


def test_each_plugin_is_called_once_without_a_caller_per_plugin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Loading calls every plugin's own hook in one pass over the implementations: no
    # pluggy subset caller per plugin (which made loading quadratic in the plugins).
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("subset_hook_caller is quadratic in the number of plugins")

    monkeypatch.setattr(pluggy.PluginManager, "subset_hook_caller", refuse)
    host = PluginHost(entry_points=False)
    for number in range(200):
        host.add_plugin(exchange_plugin(f"p{number}", f"ex{number}"), package=f"aioca-ex{number}")
    assert [info.name for info in host.exchanges()] == sorted(f"ex{n}" for n in range(200))
    host.register_commands(lambda group, command: None)  # none of them adds commands
