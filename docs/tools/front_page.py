"""docs/index.md is README.md with its links made relative to docs/ (the site's home page).

python docs/tools/front_page.py          # write docs/index.md
python docs/tools/front_page.py --check  # fail when docs/index.md is not up to date
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "https://github.com/aioca/aioca/blob/main/"


def front_page(readme: str) -> str:
    text = readme.replace("](docs/", "](").replace("[docs/](index.md)", "docs/")
    text = text.replace(
        "简体中文: [README.zh-CN.md](README.zh-CN.md).",
        "简体中文: [快速上手](zh/getting-started.md).",
    )
    return text.replace("](CONTRIBUTING.md)", f"]({REPOSITORY}CONTRIBUTING.md)")


def main(check: bool) -> int:
    wanted = front_page((ROOT / "README.md").read_text(encoding="utf-8"))
    index = ROOT / "docs" / "index.md"
    if check:
        if index.read_text(encoding="utf-8") != wanted:
            print("docs/index.md is out of date: run python docs/tools/front_page.py")
            return 1
        return 0
    index.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv[1:]))
