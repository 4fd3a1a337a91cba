"""Where the plugin's tests find Binance's spec: the copy kept in ``plugins/binance/spec``."""

from __future__ import annotations

from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parents[1] / "spec"
