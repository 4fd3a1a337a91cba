"""The documentation cannot lie: its Python blocks run (conftest.py, with Sybil), no block
escapes that by its fence, every block left out is marked and called a fragment, the site's
home page is the README, and the site builds in CI (``mkdocs build --strict`` in .ci/run)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    [
        ROOT / "README.md",
        ROOT / "README.zh-CN.md",
        ROOT / "CONTRIBUTING.md",
        *ROOT.glob("plugins/*/README.md"),
        *(ROOT / "docs").rglob("*.md"),
    ]
)
_FENCE = re.compile(r"^```(\S*)", re.M)
_SKIP = re.compile(r"<!-- skip: next[^>]*-->")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_python_is_fenced_as_python_so_that_it_runs(page: Path) -> None:
    fences = _FENCE.findall(page.read_text(encoding="utf-8"))
    languages = set(fences[0::2])  # opening fences (every block is closed by a bare ```)
    assert not languages & {"py", "python3", "pycon", "ipython", "python-repl"}, languages
    assert all(language != "" for language in fences[0::2]), "a block without a language"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_block_left_out_is_a_marked_fragment(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for marker in _SKIP.finditer(text):
        after = text[marker.end() :].lstrip()
        assert after.startswith("```python"), f"{page.name}: a skip marker before no block"
        before = text[: marker.start()].rstrip().rsplit("\n\n", 1)[-1]
        assert re.search(r"fragment|片段", before), f"{page.name}: say why it is a fragment"


def test_the_site_home_page_is_the_readme() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "tools" / "front_page.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


def test_the_output_checker_reads_reprex_comments() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from conftest import shown_outputs
    finally:
        sys.path.remove(str(ROOT))
    source = "x = 1\nprint(x)  #> 1\nprint(2)\n#> 2\n#> two\nprint(3)  # 3, not checked\n"
    shown = [expected for _, expected in shown_outputs(source)]
    assert shown == [None, "1\n", "2\ntwo\n", None]
