"""The README's Streams section runs: every Python block in it is executed (against the
embedded simulator, no network) in a fresh interpreter, except blocks the text before
them calls a fragment, which must still compile."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "README.md"


def _blocks() -> list[tuple[str, bool]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Streams (WebSocket)", 1)[1].split("\n## ", 1)[0]
    blocks = []
    for match in re.finditer(r"```python\n(.*?)```", section, re.S):
        before = section[: match.start()].rstrip().rsplit("\n\n", 1)[-1]
        blocks.append((match.group(1), "fragment" in before.lower()))
    return blocks


BLOCKS = _blocks()


def test_the_section_has_runnable_examples() -> None:
    assert sum(1 for _, fragment in BLOCKS if not fragment) >= 4


@pytest.mark.parametrize(("code", "fragment"), BLOCKS, ids=lambda v: str(v)[:30])
def test_readme_stream_block(code: str, fragment: bool) -> None:
    compile(code, "README.md", "exec")
    if fragment:
        return
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip()
