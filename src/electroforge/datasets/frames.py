"""Calendering frame series for the field surrogates (issue 15), readable without the
line's extra dependencies.

``electroforge line frames DESIGN --out DIR`` writes one ``series_NNNN.npz`` per recipe and
a ``manifest.json``. Each series holds ``labels`` (frames x n_z x grid x grid, uint8: pore
0, CBD 1, AM 2, void 3 above the film, padded with void to the dried height), the
conditions of every frame (``phase``: dried, loading or unloading; ``strain``: 1 - the
film top over the dried top; ``roll_um``, ``top_um``), the recipe's ``cr_pct``,
``voxel_um`` and the AM and CBD volumes the frames conserve. The manifest lists the
series with their recipes, particle seeds and shapes, the line's version and parameters.
Arrays are read with ``allow_pickle=False``: a shared dataset is data.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from electroforge.errors import DatasetError

__all__ = ["FRAMES_FORMAT", "MANIFEST", "FrameSeries", "read_frames", "subset_frames",
           "write_frames"]

FRAMES_FORMAT = "electroforge-calendering-frames"
MANIFEST = "manifest.json"
_RECIPE = ("am_wt_pct", "sc_wt_pct", "cr_pct", "c_rate")
_ARRAYS = ("labels", "phase", "strain", "cr_pct", "voxel_um")
_SERIES_NAME = re.compile(r"series_\d{4}\.npz")


def write_frames(sources: list[Path], recipes: pd.DataFrame, seeds: list[int],
                 out: str | os.PathLike[str], meta: dict[str, Any]) -> Path:
    """Convert the line's frames files ``sources`` (one per recipe row) into the series
    of ``out`` and write its manifest (last, atomically: a manifest names only series that
    are complete)."""
    from electroforge.atomic import atomic_path, atomic_write_text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for index, (source, row, seed) in enumerate(zip(sources, recipes.to_dict("records"),
                                                    seeds)):
        with np.load(source, allow_pickle=False) as data:
            labels = data["labels"]
            top = data["top_um"].astype(float)
            arrays = {"labels": labels, "phase": data["phase"].astype(str),
                      "strain": 1.0 - top / top[0], "top_um": top,
                      "roll_um": data["roll_um"].astype(float),
                      "cr_pct": np.float64(row["cr_pct"]), "voxel_um": data["voxel_um"],
                      "am_volume_um3": data["am_volume_um3"],
                      "cbd_volume_um3": data["cbd_volume_um3"]}
        name = f"series_{index:04d}.npz"
        with atomic_path(out / name) as temporary:
            with open(temporary, "wb") as handle:
                np.savez_compressed(handle, **arrays)
        entries.append({"file": name, **{k: float(row[k]) for k in _RECIPE if k in row},
                        "seed": int(seed), "n_frames": int(labels.shape[0]),
                        "shape": list(labels.shape[1:]),
                        "voxel_um": float(arrays["voxel_um"])})
    manifest = {"format": FRAMES_FORMAT, "version": 1, **meta, "series": entries}
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return out / MANIFEST


@dataclass(frozen=True)
class FrameSeries:
    """A frames folder: its manifest and each series on demand."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def table(self) -> pd.DataFrame:
        """One row per series: file, recipe, seed, frames and shape."""
        return pd.DataFrame(self.manifest["series"])

    def __len__(self) -> int:
        return len(self.manifest["series"])

    def series(self, index: int) -> dict[str, np.ndarray]:
        """Every array of series ``index``."""
        import zipfile
        import zlib

        entry = self.manifest["series"][index]
        path = self.folder / entry["file"]
        allowed = "a series written by electroforge line frames"
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError, zipfile.BadZipFile, zlib.error) as error:
            raise DatasetError(f"cannot read the series ({error})", source=str(path),
                               allowed=allowed) from None
        missing = [k for k in _ARRAYS if k not in arrays]
        if missing:
            raise DatasetError("the series lacks an array", source=str(path), field=missing[0],
                               allowed=allowed)
        labels = arrays["labels"]
        if labels.dtype != np.uint8 or labels.ndim != 4 or labels.shape[0] != entry["n_frames"] \
                or labels.max(initial=0) > 3 or len(arrays["strain"]) != len(labels):
            raise DatasetError("the series differs from its manifest or holds unknown labels",
                               source=str(path), field="labels",
                               value=f"{labels.dtype} {labels.shape}",
                               allowed=f"uint8 labels 0-3, {entry['n_frames']} frames, one "
                               "strain and phase each")
        return arrays


def read_frames(folder: str | os.PathLike[str]) -> FrameSeries:
    """A folder written by ``electroforge line frames`` (see the module doc)."""
    folder = Path(folder)
    path = folder / MANIFEST
    allowed = "a folder written by electroforge line frames (with its manifest.json)"
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise DatasetError(f"cannot read the frames manifest ({error})", source=str(path),
                           allowed=allowed) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FRAMES_FORMAT or \
            not isinstance(manifest.get("series"), list):
        raise DatasetError("not a frames manifest", source=str(path), field="format",
                           value=repr(manifest.get("format") if isinstance(manifest, dict)
                                      else manifest), allowed=allowed)
    for entry in manifest["series"]:
        if not isinstance(entry, dict) or not _SERIES_NAME.fullmatch(str(entry.get("file"))) \
                or not all(k in entry for k in ("n_frames", "voxel_um", "cr_pct")):
            raise DatasetError("a series entry of the manifest is malformed", source=str(path),
                               field="series", value=repr(entry)[:80], allowed=allowed)
    missing = [e.get("file") for e in manifest["series"]
               if not (folder / str(e.get("file"))).is_file()]
    if missing:
        raise DatasetError("a series of the manifest is missing", source=str(folder),
                           field="file", value=missing[0], allowed=allowed)
    return FrameSeries(folder, manifest)


def subset_frames(folder: str | os.PathLike[str], rows: list[int],
                  out: str | os.PathLike[str]) -> FrameSeries:
    """A new frames folder ``out`` holding the series ``rows`` of ``folder`` (renumbered;
    e.g. the slurries a model trains on, apart from those it is validated on), written as
    a whole; ``out`` must be new or empty."""
    import shutil

    from electroforge.atomic import staged_folder

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DatasetError("the subset must go to a new or empty folder", source=str(out),
                           field="out", allowed="another folder than the series' own")
    source = read_frames(folder)
    series = source.manifest["series"]
    bad = [r for r in rows if not isinstance(r, int | np.integer) or not 0 <= r < len(series)]
    if bad:
        raise DatasetError("no such series", source=str(source.folder), field="rows",
                           value=bad[0], allowed=f"0 to {len(series) - 1}")
    entries = [dict(series[row], file=f"series_{new:04d}.npz") for new, row in enumerate(rows)]
    with staged_folder(out) as stage:
        for entry, row in zip(entries, rows):
            shutil.copyfile(source.folder / series[row]["file"], stage / entry["file"])
        manifest = dict(source.manifest, series=entries, subset_of=str(source.folder))
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return read_frames(out)
