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


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_output_comments_are_spelled_so_that_they_are_checked(page: Path) -> None:
    # "# >" (what a formatter makes of "#>") would read as output but never be checked.
    assert not re.search(r"(^|\s)# >", page.read_text(encoding="utf-8"), re.M)


def test_a_wrong_output_comment_fails(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        (ROOT / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "page.md").write_text(
        "```python\nprint(1 + 1)  #> 2\n```\n\n```python\nprint(2 + 2)  #> 5\n```\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "page.md"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "1 failed, 1 passed" in out.stdout, out.stdout + out.stderr
    assert "the statement printed\n4\nbut the page shows\n5" in out.stdout
