"""The version of the aioca distribution."""

__version__ = "0.1.0"
