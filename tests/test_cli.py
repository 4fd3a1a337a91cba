"""Tests of the ``aioca`` command line with a fake exchange (no plugin package needed).

The commands run in-process through click's ``CliRunner`` against a ``PluginHost`` that
holds a plugin made here; HTTP is mocked with ``aioca_mock``. The console script itself,
in a subprocess and with the Binance plugin, is tested in the plugin's suite.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any, ClassVar

import click
import pydantic
import pytest
from aioresponses import aioresponses
from click.testing import CliRunner

import aioca
from aioca import PluginHost, PreparedRequest, RestApi, Task, cli, errors
from aioca.cli import format_result, format_table

BASE = "http://fake.test"


class FakeApi(RestApi):
    exchange: ClassVar[str] = "fake"

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        urls: dict[str, str] | None = None,
        sandbox: bool = False,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self._secret = api_secret
        self.base = (urls or {}).get("rest", BASE)
        self.sandbox = sandbox

    def sign_request(self, request: PreparedRequest) -> None:
        request.headers["X-KEY"] = self.api_key or ""
        request.headers["X-SIG"] = f"sig({self._secret})"


class FakeTicker(Task):
    """Latest price of a symbol."""

    exchange: ClassVar[str] = "fake"

    class Params(pydantic.BaseModel):
        symbol: str
        limit: int = 1

    def __init__(self, *, api: RestApi | None = None, **params: Any) -> None:
        super().__init__(api=api)
        try:
            self.params = self.Params(**params)
        except pydantic.ValidationError as exc:
            raise errors.InvalidParameterError.from_validation_error(
                exc, task_name="FakeTicker"
            ) from None

    @classmethod
    def describe(cls) -> dict[str, str]:
        return {
            "method": "GET",
            "path": "/ticker",
            "security": "public",
            "cost": "2",
            **super().describe(),
        }

    async def __call__(self) -> Any:
        api: FakeApi = self.api  # type: ignore[assignment]
        return await api.request(
            "GET", f"{api.base}/ticker", {"symbol": self.params.symbol}, signed=True
        )


class FakeKlines(FakeTicker):
    """Candles of a symbol."""

    @classmethod
    def describe(cls) -> dict[str, str]:
        return {**super().describe(), "path": "/klines", "summary": "Candles of a symbol."}


class _Plugin:
    @aioca.hookimpl
    def register_exchanges(self, register: Any) -> None:
        register("fake", FakeApi, {"FakeTicker": FakeTicker, "FakeKlines": FakeKlines})

    @aioca.hookimpl
    def register_commands(self, register: Any) -> None:
        @click.command("fake")
        @click.option("--live", is_flag=True)
        def fake_demo(live: bool) -> None:
            click.echo(f"fake demo live={live}" + aioca.localize("", " 中文"))

        @click.command("fake")
        def fake_sim() -> None:
            click.echo("fake sim")

        register("demo", fake_demo)
        register("sim", fake_sim)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    host = PluginHost(entry_points=False)
    host.add_plugin(_Plugin(), package="aioca-fake", version="9.9")
    monkeypatch.setattr(cli, "default_host", lambda: host)
    # A fresh group per test, with this host's commands added.
    for group in (cli.sim, cli.demo):
        monkeypatch.setattr(group, "commands", {})
    monkeypatch.setattr(cli.build_cli, "_done", False, raising=False)
    cli.build_cli()
    return CliRunner()


def invoke(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(cli.cli, list(args), env=env, catch_exceptions=False)


def test_exchanges_lists_name_package_version_and_task_count(runner: CliRunner) -> None:
    out = invoke(runner, "exchanges")
    assert out.exit_code == 0
    assert re.search(r"^fake\s+aioca-fake\s+9\.9\s+2$", out.output, re.M)


def test_tasks_shows_method_path_security_and_weight(runner: CliRunner) -> None:
    out = invoke(runner, "tasks", "fake")
    assert out.exit_code == 0
    assert re.search(r"^FakeTicker\s+GET\s+/ticker\s+public\s+2$", out.output, re.M)
    assert out.output.splitlines()[0].split() == ["TASK", "METHOD", "PATH", "SECURITY", "WEIGHT"]


def test_tasks_filter_keeps_matching_names_or_paths(runner: CliRunner) -> None:
    out = invoke(runner, "tasks", "fake", "--filter", "KLINE")
    assert "FakeKlines" in out.output
    assert "FakeTicker" not in out.output


def test_tasks_filter_matching_nothing_exits_2(runner: CliRunner) -> None:
    out = invoke(runner, "tasks", "fake", "--filter", "nothing-like-it")
    assert out.exit_code == 2


def test_unknown_exchange_exits_2_naming_the_installed_ones(runner: CliRunner) -> None:
    out = invoke(runner, "tasks", "nope")
    assert out.exit_code == 2
    assert "unknown exchange 'nope'" in out.output
    assert "fake" in out.output


def test_call_prints_a_table_by_default(runner: CliRunner, aioca_mock: aioresponses) -> None:
    aioca_mock.get(
        re.compile(r"^http://fake\.test/ticker\?symbol=BTC$"),
        payload=[{"symbol": "BTC", "price": "1.5"}, {"symbol": "BTC", "price": "1.6"}],
    )
    out = invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].split() == ["symbol", "price"]
    assert lines[1].split() == ["BTC", "1.5"]


def test_call_json_prints_the_raw_result(runner: CliRunner, aioca_mock: aioresponses) -> None:
    aioca_mock.get(re.compile(r"^http://fake\.test/ticker"), payload={"price": "1.5"})
    out = invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC", "--json")
    assert json.loads(out.output) == {"price": "1.5"}


def test_call_validation_error_names_the_parameter_and_exits_2(
    runner: CliRunner, aioca_mock: aioresponses
) -> None:
    out = invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC", "limit=many")
    assert out.exit_code == 2
    assert "  limit: " in out.output
    assert "integer" in out.output
    assert not aioca_mock.requests, "nothing is sent"


def test_call_missing_parameter_exits_2(runner: CliRunner) -> None:
    out = invoke(runner, "call", "fake", "FakeTicker")
    assert out.exit_code == 2
    assert "  symbol: Field required" in out.output


def test_call_parameter_without_equals_exits_2(runner: CliRunner) -> None:
    out = invoke(runner, "call", "fake", "FakeTicker", "BTC")
    assert out.exit_code == 2
    assert "NAME=VALUE" in out.output


def test_call_unknown_task_suggests_close_names(runner: CliRunner) -> None:
    out = invoke(runner, "call", "fake", "FakeTicke")
    assert out.exit_code == 2
    assert "did you mean FakeTicker" in out.output


def test_call_exchange_error_exits_1(runner: CliRunner, aioca_mock: aioresponses) -> None:
    aioca_mock.get(re.compile(r"^http://fake\.test/ticker"), status=400, payload={"msg": "no"})
    out = invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC")
    assert out.exit_code == 1
    assert "BadRequestError" in out.output


def test_call_takes_credentials_from_the_environment_and_never_prints_the_secret(
    runner: CliRunner, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(re.compile(r"^http://other\.test/ticker"), status=400, payload={"msg": "no"})
    env = {"AIOCA_FAKE_API_KEY": "envKey", "AIOCA_FAKE_API_SECRET": "envSecretValue123"}
    out = invoke(
        runner, "call", "fake", "FakeTicker", "symbol=BTC", "--url", "rest=http://other.test",
        env=env,
    )  # fmt: skip
    assert out.exit_code == 1
    (request,) = [calls[0] for calls in aioca_mock.requests.values()]
    assert request.kwargs["headers"]["X-KEY"] == "envKey"
    assert request.kwargs["headers"]["X-SIG"] == "sig(envSecretValue123)"
    assert "envSecretValue123" not in out.output


def test_call_never_prints_a_secret_given_as_an_option(
    runner: CliRunner, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(re.compile(r"^http://fake\.test/ticker"), status=401, payload={"msg": "no"})
    out = invoke(
        runner, "call", "fake", "FakeTicker", "symbol=BTC", "--api-key", "k",
        "--api-secret", "argvSecretValue456",
    )  # fmt: skip
    assert out.exit_code == 1
    assert "AuthenticationError" in out.output
    assert "argvSecretValue456" not in out.output


def test_call_option_reaches_the_api_constructor(
    runner: CliRunner, aioca_mock: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[FakeApi] = []
    original = FakeApi.__init__

    def spy(self: FakeApi, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(FakeApi, "__init__", spy)
    aioca_mock.get(re.compile(r"^http://fake\.test/ticker"), payload={})
    invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC", "--option", "sandbox=true")
    assert built[0].sandbox is True


def test_call_bad_option_for_the_api_exits_2(runner: CliRunner) -> None:
    out = invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC", "--option", "colour=red")
    assert out.exit_code == 2
    assert "cannot build the fake API" in out.output


def test_demo_without_subcommand_runs_every_demo_passing_live(runner: CliRunner) -> None:
    assert invoke(runner, "demo").output == "fake demo live=False\n"
    assert invoke(runner, "demo", "--live").output == "fake demo live=True\n"


def test_plugin_commands_are_added_under_their_group(runner: CliRunner) -> None:
    assert invoke(runner, "sim", "fake").output == "fake sim\n"
    assert "fake" in invoke(runner, "sim", "--help").output


@pytest.mark.parametrize(
    "args", [[], ["exchanges"], ["tasks"], ["call"], ["sim"], ["demo"], ["sim", "fake"]]
)
def test_every_command_has_help(runner: CliRunner, args: list[str]) -> None:
    out = invoke(runner, *args, "--help")
    assert out.exit_code == 0
    assert "Usage:" in out.output


def test_lang_option_switches_what_commands_print(runner: CliRunner) -> None:
    assert invoke(runner, "--lang", "zh", "demo").output == "fake demo live=False 中文\n"


def test_a_failing_command_hook_warns_and_keeps_the_others() -> None:
    class Broken:
        @aioca.hookimpl
        def register_commands(self, register: Any) -> None:
            raise RuntimeError("boom")

    host = PluginHost(entry_points=False)
    host.add_plugin(Broken(), package="aioca-broken")
    host.add_plugin(_Plugin(), package="aioca-fake")
    added: list[tuple[str | None, str]] = []
    with pytest.warns(aioca.PluginWarning, match="aioca-broken.*boom"):
        host.register_commands(lambda group, command: added.append((group, command.name)))
    assert added == [("demo", "fake"), ("sim", "fake")]


def test_plugin_command_must_be_a_named_click_command() -> None:
    with pytest.raises(TypeError):
        cli._add_plugin_command("sim", object())
    with pytest.raises(ValueError, match="group"):
        cli._add_plugin_command("nowhere", click.Command("x"))


def test_format_table_aligns_and_cuts_long_cells() -> None:
    text = format_table(["a", "bb"], [["x" * 50, 1], ["y", None]], width=10)
    first, second, third = text.splitlines()
    assert first == "a           bb"
    assert second == "xxxxxxxxx…  1"
    assert third == "y"


def test_format_result_shapes() -> None:
    assert format_result([[1, "2"], [3]]).splitlines()[1:] == ["1  2", "3"]
    assert format_result({"serverTime": 5}).splitlines()[1].split() == ["serverTime", "5"]
    assert format_result({}) == "{}"
    assert format_result([]) == "[]"


def test_console_script_module_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "aioca", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("aioca, version ")


def test_a_plugin_skipped_for_its_exchanges_adds_no_command() -> None:
    class HalfBroken(_Plugin):
        @aioca.hookimpl
        def register_exchanges(self, register: Any) -> None:
            raise RuntimeError("no exchanges today")

    host = PluginHost(entry_points=False)
    host.add_plugin(HalfBroken(), package="aioca-halfbroken")
    added: list[str] = []
    with pytest.warns(aioca.PluginWarning, match="no exchanges today"):
        host.register_commands(lambda group, command: added.append(command.name))
    assert added == []


def test_an_empty_parameter_value_is_text_not_json(
    runner: CliRunner, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(re.compile(r"^http://fake\.test/ticker"), payload={})
    out = invoke(runner, "call", "fake", "FakeTicker", "symbol=")
    assert out.exit_code == 0, out.output
    ((_, url),) = aioca_mock.requests
    assert url.query["symbol"] == ""


def test_a_passphrase_is_not_passed_to_an_api_that_does_not_name_it(
    runner: CliRunner, aioca_mock: aioresponses
) -> None:
    aioca_mock.get(re.compile(r"^http://fake\.test/ticker"), payload={})
    out = invoke(
        runner, "call", "fake", "FakeTicker", "symbol=BTC", env={"AIOCA_FAKE_PASSPHRASE": "p"}
    )
    assert out.exit_code == 0, out.output


# --- the command line explains ------------------------------------------------------------


def test_describe_a_task_from_its_describe_docstring_and_params(runner: CliRunner) -> None:
    out = invoke(runner, "describe", "fake", "FakeTicker")
    assert out.exit_code == 0, out.output
    assert out.output.startswith("FakeTicker: Latest price of a symbol.")
    assert re.search(r"^\s+endpoint\s+GET /ticker$", out.output, re.M)
    assert re.search(r"^\s+weight\s+2$", out.output, re.M)
    assert re.search(r"^symbol\s+str\s+yes\s*$", out.output, re.M)
    assert re.search(r"^limit\s+int\s+no\s+default 1$", out.output, re.M)
    assert invoke(runner, "tasks", "fake", "FakeTicker").output == out.output


def test_option_booleans_parse_like_a_user_writes_them(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []

    async def record(self: FakeTicker) -> Any:
        seen.append(self.api.sandbox)  # type: ignore[attr-defined]
        return {}

    monkeypatch.setattr(FakeTicker, "__call__", record)
    for word, expected in [("False", False), ("no", False), ("0", False), ("yes", True)]:
        out = invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC", "--option",
                     f"sandbox={word}")  # fmt: skip
        assert out.exit_code == 0, out.output
        assert seen[-1] is expected, word
    out = invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC", "--option", "sandbox=2")
    assert out.exit_code == 2
    assert "--option sandbox: expected a boolean" in out.output


def test_a_bad_url_and_a_mistyped_exchange_are_usage_errors(runner: CliRunner) -> None:
    out = invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC", "--url", "rest=notaurl")
    assert out.exit_code == 2
    assert "--url rest=notaurl: not an http:// or https:// URL" in out.output
    out = invoke(runner, "tasks", "faek")
    assert out.exit_code == 2
    assert "did you mean fake?" in out.output


def test_the_missing_key_hint_names_flags_and_environment_variables(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(self: FakeTicker) -> Any:
        raise errors.AuthenticationError("needs an API key: FakeApi(api_key=...)")

    monkeypatch.setattr(FakeTicker, "__call__", refuse)
    out = invoke(runner, "call", "fake", "FakeTicker", "symbol=BTC", env={"AIOCA_FAKE_API_KEY": ""})
    assert out.exit_code == 2
    assert (
        "FakeTicker needs API credentials: give --api-key and --api-secret, "
        "or set AIOCA_FAKE_API_KEY and AIOCA_FAKE_API_SECRET"
    ) in out.output


def test_booleans_print_as_true_and_false() -> None:
    assert format_result([{"a": True, "b": False}]).splitlines()[1].split() == ["true", "false"]
    assert "true" in format_result({"flag": True})


def test_an_object_with_lists_of_rows_shows_a_table_per_list() -> None:
    text = format_result({"id": 7, "bids": [{"price": "1", "qty": "2"}]})
    assert text.splitlines() == ["key  value", "id   7", "", "bids:", "price  qty", "1      2"]


def test_time_values_in_milliseconds() -> None:
    import datetime as dt

    from aioca.describe import parse_time_ms

    now = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    base = 1714564800000
    assert parse_time_ms("1714564800000") == base
    assert parse_time_ms("2024-05-01T12:00:00Z") == base
    assert parse_time_ms("2024-05-01T14:00:00+02:00") == base
    assert parse_time_ms("2024-05-01 12:00") == base  # UTC unless it says otherwise
    assert parse_time_ms("now", now=now) == base
    assert parse_time_ms("now-1h", now=now) == base - 3_600_000
    assert parse_time_ms("now+30m", now=now) == base + 1_800_000
    assert parse_time_ms("now - 2d", now=now) == base - 2 * 86_400_000
    with pytest.raises(ValueError, match="expected a time"):
        parse_time_ms("last tuesday")


@pytest.mark.parametrize("word", ["maybe", "", "tru", "2"])
def test_parse_bool_refuses_anything_else(word: str) -> None:
    from aioca.describe import parse_bool

    with pytest.raises(ValueError, match="expected a boolean"):
        parse_bool(word)
