"""The version of the aioca-binance-sim distribution."""

__version__ = "0.1.0"
