"""Helpers shared by tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m electroforge ARGS`` as a separate process."""
    return subprocess.run([sys.executable, "-m", "electroforge", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def assert_one_line_error(result, *fragments):
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("electroforge")
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]
