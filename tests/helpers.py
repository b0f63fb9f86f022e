"""Helpers shared by tests (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np


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


# -- a tiny synthetic calendering for the field surrogates ----------------------------------
SCHEDULE = (0.0, 0.5, 1.0, 0.8)     # the film top's strain over the series, x CR
N, FILM = 16, 12


def particle_frames(rng, cr):
    """A rigid-particle calendering: AM and CBD spheres that do not touch, whose centres
    move with the film top (to whole voxels, so each keeps its voxel count), through
    SCHEDULE: the solid volume is kept while the pores close, as in the line, and the
    spring-back is not the affine squeeze to the gap."""
    scales = [1 - cr * k for k in SCHEDULE]
    spheres = []
    for _ in range(100_000):
        if len(spheres) == 7:
            break
        kind = 2 if len(spheres) < 3 else 1      # AM, then CBD
        r = 2.6 if kind == 2 else 1.2
        # none reaches the layer on the current collector, which the models keep as it is,
        # nor, at the deepest compression, the void above the film
        c = rng.uniform([(r + 1) / min(scales), 0, 0], [(FILM * min(scales) - r - 0.5)
                                                         / min(scales), N, N])
        if all(_far(c, d, r, q, min(scales)) for d, q, _ in spheres):
            spheres.append((c, r, kind))
    else:
        raise AssertionError("no room for the spheres")
    z, y, x = np.mgrid[:N, :N, :N] + 0.5
    frames = []
    for s in scales:
        labels = np.zeros((N, N, N), np.uint8)
        for c, r, kind in spheres:
            dy, dx = (((d - e) + N / 2) % N - N / 2 for d, e in ((y, c[1]), (x, c[2])))
            labels[(z - np.round(c[0] * s) - 0.5) ** 2 + dy ** 2 + dx ** 2 < r ** 2] = kind
        labels[int(np.floor(FILM * s + 0.5)):] = 3       # the line's void: centres above the top
        frames.append(labels)
    return np.stack(frames)


def _far(c, d, r, q, scale):
    lateral = ((c[1:] - d[1:]) + N / 2) % N - N / 2
    return ((c[0] - d[0]) * scale) ** 2 + (lateral ** 2).sum() > (r + q + 1) ** 2


def write_series(folder, crs=(0.1, 0.3)):
    """A frames folder as `line frames` writes it, of :func:`particle_frames` series."""
    folder.mkdir()
    rng = np.random.default_rng(3)
    entries = []
    for i, cr in enumerate(crs):
        frames = particle_frames(rng, cr)
        np.savez_compressed(folder / f"series_{i:04d}.npz", labels=frames,
                            phase=np.array(["dried", "loading", "loading", "unloading"]),
                            strain=np.array(SCHEDULE) * cr, top_um=np.ones(4),
                            roll_um=np.ones(4), cr_pct=np.float64(100 * cr),
                            voxel_um=np.float64(0.5), am_volume_um3=np.float64(1.0),
                            cbd_volume_um3=np.float64(1.0))
        entries.append({"file": f"series_{i:04d}.npz", "am_wt_pct": 90.0, "sc_wt_pct": 60.0,
                        "cr_pct": 100 * cr, "seed": i, "n_frames": 4, "shape": [N, N, N],
                        "voxel_um": 0.5})
    from electroforge.datasets.frames import FRAMES_FORMAT

    (folder / "manifest.json").write_text(json.dumps(
        {"format": FRAMES_FORMAT, "version": 1, "line_version": "test", "series": entries}))
    return folder



def small_line_frames(folder: Path, recipes) -> Path:
    """A frames folder as `line frames` writes it, of real line series of ``recipes`` (a
    DataFrame) in the small box (:func:`small_line`, :data:`SMALL_GRID`)."""
    from electroforge import line
    from electroforge.datasets.frames import write_frames
    from electroforge.line.runner import frames_files

    params = small_line()
    common = dict(grid=SMALL_GRID, seed=0, params=params)
    line.run(recipes, workers=0, frames_dir=folder / "raw", progress=False, **common)
    write_frames(frames_files(recipes, folder / "raw", **common), recipes, [0] * len(recipes),
                 folder / "frames", meta={"line_version": line.LINE_VERSION,
                                          "line_parameters": params.to_dict()})
    return folder / "frames"


def tiny_calendering_model(folder: Path, *, epochs: int = 30) -> Path:
    """A direct calendering model (0.5 um voxels) trained briefly on :func:`write_series`
    in ``folder``: right in format, not in accuracy."""
    from electroforge.surrogates.fields.training import train_calendering

    frames = write_series(folder / "frames")
    train_calendering(frames, folder / "tiny.safetensors", epochs=epochs, seed=0)
    return folder / "tiny.safetensors"


def small_electrode():
    """8 layers x 6 x 6 voxels: AM blocks bridged by CBD, pores between."""
    labels = np.zeros((8, 6, 6), dtype=np.uint8)
    labels[0:3, 0:3, 0:3] = 2
    labels[3:6, 3:6, 2:5] = 2
    labels[5:8, 0:2, 4:6] = 2
    labels[0:8, 2:3, 3:4] = 1          # a CBD pillar from the collector up
    labels[3, 2:4, 2:4] = 1
    labels[7, :, :] = np.where(labels[7] == 0, 3, labels[7])   # void at the top
    return labels
