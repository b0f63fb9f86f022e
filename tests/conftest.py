"""Shared fixtures: the default space, and the CLI run in-process or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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


def run_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m electroforge ARGS`` as a separate process."""
    return subprocess.run([sys.executable, "-m", "electroforge", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)
