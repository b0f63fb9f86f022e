"""Shared fixtures: the default space, and the CLI run in-process."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from electroforge import default_space
from electroforge.cli import main

os.environ.setdefault("MPLBACKEND", "Agg")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def space():
    return default_space()


@pytest.fixture
def cli(capsys, tmp_path, monkeypatch):
    """Run ``electroforge ARGS`` in-process inside ``tmp_path``; returns code, stdout, stderr."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> CliResult:
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse usage errors and --help
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
