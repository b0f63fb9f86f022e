"""Helpers shared by tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import hashlib
import sqlite3
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


def small_line():
    """A small, fast virtual-line configuration: a 12 um box, a few dozen particles."""
    from electroforge.line import LineParameters

    return LineParameters(footprint_um=12.0, areal_loading_mg_cm2=2.5, am_median_diameter_um=4.0,
                          am_min_diameter_um=2.0, am_max_diameter_um=7.0, load_frames=6,
                          unload_frames=3)


#: Voxels across the small box: 0.5 um voxels.
SMALL_GRID = 24


_VOLATILE = ("electroforge.db", "electroforge.db-wal", "electroforge.db-shm")


def snapshot(root: Path) -> dict[str, str]:
    """Hashes of every file under ``root`` (the store by its SQL dump; lock files left out:
    taking a lock writes its holder's pid)."""
    hashes = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_dir():
            hashes[relative] = "folder"
            continue
        if path.name in _VOLATILE or relative.split("/")[-2:-1] == ["locks"]:
            continue
        if not path.is_file():          # a FIFO or device: reading it would block
            hashes[relative] = "special"
            continue
        hashes[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    for store in sorted(root.rglob("electroforge.db")):
        if store.is_file() and store.stat().st_size:
            try:
                db = sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True)
                dump = "\n".join(db.iterdump())
                db.close()
            except sqlite3.DatabaseError:
                dump = hashlib.sha256(store.read_bytes()).hexdigest()
        else:
            dump = "empty"
        hashes[store.relative_to(root).as_posix() + " (dump)"] = dump
    return hashes
