"""``aioca sim binance``: the simulator's command, added to the ``aioca`` command line by
this distribution's plugin (``aioca_binance_sim.plugin``) when it is installed.

Imported only by the command line, so click is not loaded by a test that starts a
simulator.
"""

from __future__ import annotations

import click

__all__ = ["sim_command"]

_POSITIVE = click.IntRange(1)
_SHARE = click.FloatRange(0, 1)
_SECONDS = click.FloatRange(0, min_open=True)


@click.command("binance")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="COIN-M's port (0 picks a free one).",
)
@click.option(
    "--spot-port",
    default=None,
    type=click.IntRange(0, 65535),
    help="Spot's port (default: --port + 1; a free one when --port is 0).",
)
@click.option(
    "--usdm-port",
    default=None,
    type=click.IntRange(0, 65535),
    help="USDⓈ-M's port (default: --port + 2; a free one when --port is 0).",
)
@click.option(
    "--api-key",
    envvar="AIOCA_BINANCE_API_KEY",
    default=None,
    help="Accepted API key (default: AIOCA_BINANCE_API_KEY, else a random demo key).",
)
@click.option(
    "--api-secret",
    envvar="AIOCA_BINANCE_API_SECRET",
    default=None,
    help="Its HMAC secret (default: AIOCA_BINANCE_API_SECRET, else a random demo secret).",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the market data.")
@click.option(
    "--weight-limit",
    default=2400,
    show_default=True,
    type=_POSITIVE,
    help="Weight per window (a minute unless --weight-seconds says otherwise).",
)
@click.option(
    "--weight-seconds",
    default=60,
    show_default=True,
    type=_POSITIVE,
    help="Length of the weight window (shorter ones make load tests quick).",
)
@click.option(
    "--ban-seconds",
    default=120,
    show_default=True,
    type=_POSITIVE,
    help="Length of an IP ban (HTTP 418).",
)
@click.option(
    "--order-limit-10s", default=300, show_default=True, type=_POSITIVE, help="Orders per 10 s."
)
@click.option(
    "--order-limit-1m", default=1200, show_default=True, type=_POSITIVE, help="Orders per minute."
)
@click.option(
    "--latency",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds added to each answer.",
)
@click.option(
    "--error-rate", default=0.0, show_default=True, type=_SHARE, help="Share of 5xx answers."
)
@click.option(
    "--drop-rate", default=0.0, show_default=True, type=_SHARE, help="Share of dropped connections."
)
@click.option("--clock-skew-ms", default=0, show_default=True, help="Server clock offset (ms).")
@click.option(
    "--ws-lifetime",
    default=None,
    type=_SECONDS,
    help="Close each stream connection this many seconds after it opened (Binance: 24 h).",
)
@click.option(
    "--ws-stall-after",
    default=None,
    type=_SECONDS,
    help="Each stream connection goes silent (left open) this many seconds after it opened.",
)
@click.option(
    "--ws-drop-every",
    default=None,
    type=_SECONDS,
    help="Abort every stream connection (no close frame) this often, in seconds.",
)
@click.option(
    "--ws-skip-every",
    default=None,
    type=_SECONDS,
    help="Leave one depth diff of every followed symbol out this often, in seconds.",
)
@click.option(
    "--ws-limits/--no-ws-limits",
    default=True,
    show_default=True,
    help="Enforce Binance's stream limits: incoming messages a second, connection attempts.",
)
def sim_command(
    host: str,
    port: int,
    spot_port: int | None,
    usdm_port: int | None,
    api_key: str | None,
    api_secret: str | None,
    seed: int,
    weight_limit: int,
    weight_seconds: int,
    ban_seconds: int,
    order_limit_10s: int,
    order_limit_1m: int,
    latency: float,
    error_rate: float,
    drop_rate: float,
    clock_skew_ms: int,
    ws_lifetime: float | None,
    ws_stall_after: float | None,
    ws_drop_every: float | None,
    ws_skip_every: float | None,
    ws_limits: bool,
) -> None:
    """A local Binance exchange: Spot, USDⓈ-M and COIN-M, each on its own port.

    Prints "url: ..." (COIN-M's), "api_key: ..." and "api_secret: ..." lines, then
    "url-spot: ...", "url-usdm: ..." and "url-coinm: ..." (pass them as BinanceRestApi's
    urls=), and serves until interrupted (Ctrl-C). A secret you supplied is not echoed
    back. --weight-limit and the order limits are COIN-M's; Spot and USDⓈ-M keep
    Binance's published budgets. The --ws-... faults apply to every market's streams,
    so a client's reconnection can be watched from the command line.
    """
    from .cli import serve as _serve
    from .faults import Faults
    from .stream_faults import StreamFaults

    printed_secret = api_secret

    def show(line: str) -> None:
        if printed_secret and line.startswith("api_secret:"):
            line = "api_secret: (as given)"
        click.echo(line)

    if api_secret is not None and not api_secret:
        raise click.BadParameter("must not be empty", param_hint="--api-secret")
    try:
        _serve(
            host=host,
            port=port,
            spot_port=spot_port,
            usdm_port=usdm_port,
            api_key=api_key,
            api_secret=api_secret,
            seed=seed,
            weight_limit=weight_limit,
            weight_seconds=weight_seconds,
            ban_seconds=ban_seconds,
            order_limit_10s=order_limit_10s,
            order_limit_1m=order_limit_1m,
            faults=Faults(
                latency=latency,
                error_rate=error_rate,
                drop_rate=drop_rate,
                clock_skew_ms=clock_skew_ms,
            ),
            stream_faults=StreamFaults(ws_lifetime, ws_stall_after, ws_drop_every, ws_skip_every),
            stream_limits=ws_limits,
            print_fn=show,
        )
    except OSError as exc:  # the port is taken, the address is not this machine's...
        others = [
            f"{name} {given if given is not None else (port + step if port else 'any')}"
            for name, given, step in (("Spot", spot_port, 1), ("USDⓈ-M", usdm_port, 2))
        ]
        raise click.ClickException(
            f"cannot serve on {host}:{port} ({', '.join(others)}): {exc.strerror or exc}"
        ) from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
