"""``aioca stream binance`` and ``aioca book binance`` when the stream cannot go on: one
line on stderr and a non-zero exit code, never a traceback. In-process through click's
``CliRunner``, against a loopback server that refuses every WebSocket handshake."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner, Result

from aioca.cli import build_cli


class Refusing(BaseHTTPRequestHandler):
    """Every request, a WebSocket handshake or a REST call, gets HTTP 400."""

    def do_GET(self) -> None:
        body = b'{"code":-1121,"msg":"Invalid symbol."}'
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-request (the book cancels its REST snapshot when the
    stream fails) is normal here; the default handler would print a traceback to
    ``sys.stderr``, which ``CliRunner`` captures as the CLI's own output."""

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture
def refusing() -> Iterator[str]:
    """The base URL (``127.0.0.1:PORT``) of a server that refuses everything."""
    server = QuietServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def aioca(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), list(args))


def one_line_error(result: Result) -> str:
    """The only line of stderr, which must be an ``error:`` line (no traceback)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_a_refused_handshake_is_one_line_and_exit_code_1(refusing: str) -> None:
    result = aioca(
        "stream", "binance", "btcusd_perp@kline_4h", "--market", "coinm",
        "--url", f"ws://{refusing}", "--count", "1",
    )  # fmt: skip
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "HandshakeRefusedError" in line
    assert "HTTP 400" in line
    assert result.stdout == ""


def test_the_book_of_a_refused_stream_is_one_line_and_exit_code_1(refusing: str) -> None:
    result = aioca(
        "book", "binance", "BTCUSD_PERP", "--market", "coinm", "--url", f"ws://{refusing}",
        "--rest-url", f"http://{refusing}", "--count", "1",
    )  # fmt: skip
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "HandshakeRefusedError" in line
    assert "HTTP 400" in line


def test_streams_binance_does_not_know_are_one_line_and_exit_code_2(refusing: str) -> None:
    result = aioca(
        "stream", "binance", "btcusdt@nothing", "BTCUSDT@aggTrade", "--url", f"ws://{refusing}"
    )
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "'btcusdt@nothing' is not a spot market stream" in line
    assert "'BTCUSDT@aggTrade' is not a spot market stream (symbols are lower case)" in line


@pytest.fixture
def closed_port() -> str:
    """``127.0.0.1:PORT`` where nothing listens (a port bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


@pytest.mark.parametrize("command", ["stream", "book"])
def test_an_unreachable_server_is_said_and_max_attempts_gives_up(
    command: str, closed_port: str
) -> None:
    """Each failed attempt is a warning on stderr (never a silent wait), and
    ``--max-attempts`` ends the command with one error line and exit code 1."""
    target = ["btcusdt@aggTrade"] if command == "stream" else ["BTCUSDT"]
    rest = [] if command == "stream" else ["--rest-url", f"http://{closed_port}"]
    result = subprocess.run(
        [sys.executable, "-m", "aioca", command, "binance", *target, "--market", "usdm",
         "--url", f"ws://{closed_port}", *rest, "--max-attempts", "3"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    warnings = [line for line in lines if line.startswith("a stream connection failed")]
    assert [line.split(",")[1].split()[1] for line in warnings] == ["1", "2", "3"], lines
    assert lines[-1].startswith("error: ConnectFailedError: ")
    assert "3 attempts in a row failed" in lines[-1]
    assert "Traceback" not in result.stderr  # (the book also says its snapshot failed)
    assert result.stdout == ""
