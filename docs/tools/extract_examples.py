"""Write the Python blocks of Markdown pages as modules, one per page, for type checkers.

The blocks of a page run in order in one session (as conftest.py runs them), so they
become one module; blocks marked ``<!-- skip: next -->`` (fragments) are left out.

    python docs/tools/extract_examples.py OUT_DIR PAGE.md...
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_BLOCK = re.compile(r"(<!-- skip: next[^>]*-->\s*\n)?```python\n(.*?)```", re.S)


def module_of(page: Path) -> str:
    blocks = [code for skip, code in _BLOCK.findall(page.read_text(encoding="utf-8")) if not skip]
    return "\n\n".join(blocks)


def main(out: Path, pages: list[Path]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for page in pages:
        name = re.sub(r"\W", "_", str(page.with_suffix(""))).strip("_").lower()
        (out / f"example_{name}.py").write_text(module_of(page), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(arg) for arg in sys.argv[2:]])
