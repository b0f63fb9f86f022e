"""Every code block of README.md runs, in order, in one scratch folder.

- ``toml`` blocks whose first line is ``# NAME`` are written to NAME;
- ``console`` lines starting with ``$ electroforge`` are run; a line marked
  ``# exits with status N`` must exit N and print the block's following lines on stderr;
  others must exit 0;
- ``python`` blocks are executed in one namespace.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from electroforge.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
EXIT = re.compile(r"#\s*exits with status (\d+)")


def blocks():
    return [(match.group(1), match.group(2)) for match in FENCE.finditer(README.read_text())]


def run_console(text: str) -> int:
    lines = text.splitlines()
    ran = 0
    for index, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        words = shlex.split(line[2:], comments=True)
        assert words[0] == "electroforge", line
        expected = EXIT.search(line)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(words[1:])
        if expected:
            assert code == int(expected.group(1)), (line, err.getvalue())
            shown = [text for text in lines[index + 1:] if text and not text.startswith("$ ")]
            assert err.getvalue().splitlines() == shown[:len(err.getvalue().splitlines())] != []
        else:
            assert code == 0, (line, err.getvalue())
        ran += 1
    return ran


@pytest.mark.filterwarnings("default::electroforge.errors.DesignWarning")
def test_readme_blocks_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    counts = {"console": 0, "python": 0, "toml": 0}
    for language, text in blocks():
        if language == "toml":
            name = text.splitlines()[0].lstrip("# ").strip()
            (tmp_path / name).write_text(text)
            counts["toml"] += 1
        elif language == "console":
            counts["console"] += run_console(text)
        elif language == "python":
            exec(compile(text, str(README), "exec"), namespace)
            counts["python"] += 1
    assert counts["console"] >= 8 and counts["python"] >= 1 and counts["toml"] >= 1
