"""Calendering frames written by ``line.run(..., frames_dir=...)``: reading them back, and the
properties of any frame on request.

Each recipe's file (``<cache key>.npz``) holds ``labels`` (frames x n_z x grid x grid, uint8:
pore 0, CBD 1, AM 2, void 3, padded with void to the dried height), the particle states
(``positions_um`` per frame, ``radii_um``, ``kinds``), the roll and film-top heights, the
frame phases, ``voxel_um``, the AM and CBD volumes the images conserve (``am_volume_um3``,
``cbd_volume_um3``) and, where a C-rate was given, the discharge curve (``curve_time_s``,
``curve_voltage_v``, ``curve_capacity_mah_g``); a voxel half-cell discharge
(``line.run(..., discharge="halfcell")``) adds its fields, ``halfcell_<name>`` for each
name of :data:`electroforge.line.halfcell.solver.FIELD_NAMES` (frames x the film's
z x y x x, float16, 0 off the field's phase), their times ``halfcell_frame_times_s`` and
the film it was solved on, ``halfcell_labels``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from electroforge.errors import DatasetError
from electroforge.line.film import film_properties, image_properties
from electroforge.line.materials import LineParameters

__all__ = ["load_frames", "frame_properties"]


def load_frames(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every array of a frames file, by name."""
    path = Path(path)
    try:
        with np.load(path) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError) as error:
        raise DatasetError(f"cannot read the frames file ({error})", source=str(path),
                           allowed="an .npz written by electroforge line run --frames-dir") from None


def frame_properties(path: str | os.PathLike[str], index: int, *,
                     params: LineParameters | None = None, transport: bool = True) -> dict[str, float]:
    """Porosity, density, tortuosity, conductivity and areas of frame ``index`` of a file,
    measured as the line measures a recipe: on the frame's particle state, interpolated
    between the layer boundaries around its top (:func:`~electroforge.line.film.film_properties`).
    ``params`` must be the line's that wrote the file. Files of line version 2, which lack
    the conserved volumes, are measured on their stored label image, as that version did."""
    params = params or LineParameters()
    frames = load_frames(path)
    labels = frames["labels"]
    if not -len(labels) <= index < len(labels):
        raise DatasetError("no such frame", source=str(path), field="index", value=index,
                           allowed=f"-{len(labels)} .. {len(labels) - 1}")
    if "am_volume_um3" in frames:
        return film_properties(
            frames["positions_um"][index], frames["radii_um"], frames["kinds"],
            top_um=float(frames["top_um"][index]), grid=labels.shape[-1],
            am_volume_um3=float(frames["am_volume_um3"]),
            cbd_volume_um3=float(frames["cbd_volume_um3"]),
            params=_with_footprint(params, float(frames["voxel_um"]) * labels.shape[-1]),
            transport=transport)
    return image_properties(labels[index], voxel_um=float(frames["voxel_um"]), params=params,
                            transport=transport)


def _with_footprint(params: LineParameters, footprint_um: float) -> LineParameters:
    """``params`` with the file's box side (kept as given where it agrees to rounding)."""
    if math.isclose(params.footprint_um, footprint_um, rel_tol=1e-9):
        return params
    return params.replace(footprint_um=footprint_um)
