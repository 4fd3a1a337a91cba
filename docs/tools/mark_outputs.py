"""One-off helper used while moving the README into docs/: turn the output comments after
print()/show_tasks() lines into ``#>`` lines (reviewed by hand afterwards)."""

import re
import sys
from pathlib import Path

for name in sys.argv[1:]:
    path = Path(name)
    out = []
    in_code = False
    after_print = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
            after_print = False
            out.append(line)
            continue
        if not in_code:
            out.append(line)
            continue
        stripped = line.strip()
        if after_print and stripped.startswith("# "):
            out.append(line.replace("# ", "#> ", 1))
            continue
        after_print = False
        if re.search(r"(print\(|show_tasks\(\))", line) and not stripped.startswith("#"):
            match = re.search(r"  # (.*)$", line)
            if match:
                line = line[: match.start()] + "  #> " + match.group(1)
            else:
                after_print = True
        out.append(line)
    path.write_text("\n".join(out) + "\n")
