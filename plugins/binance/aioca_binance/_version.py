"""The version of the aioca-binance distribution."""

__version__ = "0.1.0"
