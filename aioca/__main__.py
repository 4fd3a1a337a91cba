"""``python -m aioca``: the same as the ``aioca`` command."""

from .cli import main

main()
