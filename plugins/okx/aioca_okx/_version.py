"""The version of the aioca-okx distribution."""

__version__ = "0.1.0"
