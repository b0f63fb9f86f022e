"""The ``electroforge`` command line."""

from electroforge.cli.main import main

__all__ = ["main"]
