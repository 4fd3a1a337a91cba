"""``aioca history binance`` in subprocesses against the simulator: the CSV's header and
rows, standard output, Parquet (and the message without pyarrow), a progress bar on a
terminal only, resuming an interrupted export, and the usage errors."""

from __future__ import annotations

import asyncio
import csv
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aioca.history import export_to
from aioca_binance.coinm import CoinMFetchKline
from aioca_binance.history import history

SCRIPT = Path(sys.executable).with_name("aioca")
JAN_1 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HEADER = (
    "open_time,open,high,low,close,volume,close_time,base_asset_volume,number_of_trades,"
    "taker_buy_volume,taker_buy_base_asset_volume,ignore"
)
KLINES = ["CoinMFetchKline", "symbol=BTCUSD_PERP", "interval=1m"]
RANGE = ["--start", "2026-01-01", "--end", "2026-01-04"]


def aioca(*args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        [str(SCRIPT), "history", "binance", *args], text=True, timeout=120, **options
    )


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_klines_to_csv_with_named_columns(binance_sim, tmp_path):
    out = tmp_path / "btc.csv"
    done = aioca(*KLINES, *RANGE, "--out", str(out), "--url", f"coinm={binance_sim.url}")
    assert done.returncode == 0, done.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER
    rows = read_csv(out)[1:]
    assert len(rows) == 3 * 1440
    assert [int(row[0]) for row in rows] == list(range(JAN_1, JAN_1 + 3 * 86_400_000, 60_000))
    assert all(len(row) == 12 for row in rows)
    assert all(int(row[6]) == int(row[0]) + 59_999 for row in rows)
    # Exchange values as sent: decimals as text, integers as integers.
    first = rows[0]
    assert "." in first[1]
    assert first[8].isdigit()
    assert done.stderr.strip() == f"wrote 4320 rows to {out}: 3 requests, weight 30"
    assert not Path(str(out) + ".cursor.json").exists()  # removed once the range is done


def test_object_rows_to_standard_output(binance_sim):
    done = aioca(
        "CoinMGetFundingRateHistoryOfPerpetualFutures",
        "symbol=BTCUSD_PERP",
        "--start",
        "2026-01-01",
        "--end",
        "2026-01-03T00:00Z",
        "--url",
        f"coinm={binance_sim.url}",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "symbol,fundingTime,fundingRate,markPrice"
    times = [int(line.split(",")[1]) for line in lines[1:]]
    assert times == [JAN_1 + n * 8 * 3_600_000 for n in range(6)]
    assert "wrote 6 rows to standard output" in done.stderr


def test_parquet_holds_the_same_rows(binance_sim, tmp_path):
    import pyarrow.parquet  # the interop extra installs it

    url = ["--url", f"coinm={binance_sim.url}"]
    aioca(*KLINES, *RANGE, "--out", str(tmp_path / "a.csv"), *url)
    done = aioca(*KLINES, *RANGE, "--out", str(tmp_path / "a.parquet"), *url)
    assert done.returncode == 0, done.stderr
    table = pyarrow.parquet.read_table(tmp_path / "a.parquet")
    assert table.column_names == HEADER.split(",")
    assert table.num_rows == 4320
    csv_rows = read_csv(tmp_path / "a.csv")[1:]
    parquet_rows = [[str(value) for value in row.values()] for row in table.to_pylist()]
    assert parquet_rows == csv_rows
    assert str(table.schema.field("open_time").type) == "int64"
    assert str(table.schema.field("open").type) == "string"  # exact decimals


def test_parquet_without_pyarrow_says_what_to_install(binance_sim, tmp_path):
    code = (
        "import sys; sys.modules['pyarrow'] = None; from aioca.cli import main; main(sys.argv[1:])"
    )
    options = ["--format", "parquet", "--out", str(tmp_path / "x.pq")]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "history",
            "binance",
            *KLINES,
            *RANGE,
            *options,
            "--url",
            f"coinm={binance_sim.url}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "the parquet format needs pyarrow: pip install pyarrow" in done.stderr
    assert "aioca-core[parquet]" in done.stderr
    assert not (tmp_path / "x.pq").exists()


def test_a_progress_bar_on_a_terminal_only(binance_sim, tmp_path):
    url = ["--url", f"coinm={binance_sim.url}"]
    master, slave = pty.openpty()
    try:
        done = aioca(*KLINES, *RANGE, "--out", str(tmp_path / "t.csv"), *url, stderr=slave)
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
    assert done.returncode == 0
    text = shown.decode()
    assert "CoinMFetchKline" in text
    assert "100%" in text
    assert "4320 rows" in text
    # Not on a pipe: only the summary.
    piped = aioca(*KLINES, *RANGE, "--out", str(tmp_path / "p.csv"), *url)
    assert piped.stderr.count("\n") == 1
    assert "%" not in piped.stderr


def test_an_interrupted_export_resumes_to_the_same_file(binance_sim, tmp_path):
    whole, part = tmp_path / "whole.csv", tmp_path / "part.csv"
    cursor = Path(str(part) + ".cursor.json")
    url = ["--url", f"coinm={binance_sim.url}"]
    args = [*KLINES, *RANGE, "--page-size", "700"]
    assert aioca(*args, "--out", str(whole), *url).returncode == 0

    class StopExportError(Exception):
        pass

    def stop_after_two_pages(pager: Any, rows: int) -> None:
        if pager.cursor.pages == 2:
            raise StopExportError

    async def interrupted_run() -> None:
        async with binance_sim.api() as api:
            pager = history(
                CoinMFetchKline,
                api=api,
                symbol="BTCUSD_PERP",
                interval="1m",
                start=JAN_1,
                end=JAN_1 + 3 * 86_400_000,
                page_size=700,
            )
            await export_to(pager, part, cursor_path=cursor, progress=stop_after_two_pages)

    with pytest.raises(StopExportError):
        asyncio.run(interrupted_run())
    assert len(read_csv(part)) == 1 + 1400
    assert cursor.exists()
    done = aioca(*args, "--out", str(part), "--resume", *url)
    assert done.returncode == 0, done.stderr
    assert "wrote 2920 rows" in done.stderr
    assert "now 4320 in all" in done.stderr
    assert part.read_bytes() == whole.read_bytes()
    assert not cursor.exists()
    again = aioca(*args, "--out", str(part), "--resume", *url)
    assert again.returncode == 2
    assert "nothing to resume" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["CoinMFetchKlin", "--start", "now-1d"], "did you mean CoinMFetchKline"),
        (["CoinMOrderBook", "symbol=X", "--start", "now-1d"], "has no history to page; these do:"),
        (
            ["CoinMFetchKline", "symbol=X", "interval=7m", "bogus=1", "--start", "yesterday"],
            "interval: expected one of",
        ),
        (["CoinMFetchKline", "symbol=X", "interval=1m"], "give start="),
        (["CoinMFetchKline", "symbol=X", "interval=1m", "--resume"], "--resume needs --out"),
        (
            ["CoinMFetchKline", "symbol=X", "interval=1m", "--format", "parquet"],
            "parquet is written to a file",
        ),
    ],
)
def test_usage_errors(args, message):
    done = aioca(*args)
    assert done.returncode == 2
    assert message in done.stderr


def test_every_problem_is_listed_at_once():
    done = aioca("CoinMFetchKline", "symbol=X", "interval=7m", "bogus=1", "--start", "yesterday")
    assert done.returncode == 2
    assert "interval: expected one of" in done.stderr
    assert "--start: expected a time" in done.stderr
    assert "bogus:" in done.stderr
