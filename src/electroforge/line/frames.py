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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from electroforge.errors import DatasetError
from electroforge.line.film import film_properties, image_properties
from electroforge.line.materials import LineParameters

__all__ = ["frame_properties", "load_frames", "rerun_series"]


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


def rerun_series(frames_dir: str | os.PathLike[str], index: int, *, perturbation_um: float = 1e-9,
                 seed: int = 0, one_step_frames: Iterable[int] = ()) -> dict[str, Any]:
    """Series ``index`` of a folder written by ``electroforge line frames``, made again by
    the line from its manifest (recipe, particle seed, line parameters), with particle
    centres moved by N(0, ``perturbation_um``) in x, y and z (drawn from ``seed``):

    - ``"from_dried"``: every frame (labels, as stored), the dried centres moved before the
      first loading frame: the DEM against itself over the whole roll;
    - ``"one_step"``: for each frame t of ``one_step_frames``, frame t made from the DEM's
      frame t - 1 with its centres moved: the DEM against itself over one frame.

    With ``perturbation_um=0`` both are the series itself: the line is deterministic. A
    perturbation of 1e-9 um, far below any physical scale, shows how far the DEM's structure
    is a function of its input at all. For independent draws A and B of a structure around
    its typical one, E|A - B|^2 = 2 E|A - typical|^2, so no deterministic model of the DEM
    agrees with a run, in expectation, better than the squared error of two runs halved:
    a voxel R2 of at most 1 - (1 - R2 of the rerun) / 2.
    """
    from electroforge.datasets.frames import read_frames
    from electroforge.line.calendering import calendering_steps
    from electroforge.line.chain import check_grid, contact_model, label_stack, slurry_seed
    from electroforge.line.drying import dry
    from electroforge.line.particles import make_slurry
    from electroforge.line.runner import LINE_VERSION

    dataset = read_frames(frames_dir)
    manifest = dataset.manifest
    source = str(Path(frames_dir) / "manifest.json")
    if str(manifest.get("line_version")) != LINE_VERSION:
        raise DatasetError("the series were made by another version of the line",
                           source=source, field="line_version",
                           value=manifest.get("line_version"),
                           allowed=f"{LINE_VERSION} (this electroforge's line)")
    if not (isinstance(perturbation_um, (int, float)) and math.isfinite(perturbation_um)
            and perturbation_um >= 0):
        raise ValueError(f"perturbation_um {perturbation_um!r} is not a length >= 0")
    try:
        params = LineParameters(**manifest["line_parameters"])
    except (KeyError, TypeError) as error:
        raise DatasetError(f"the line parameters cannot be read ({error})", source=source,
                           field="line_parameters",
                           allowed="the parameters electroforge line frames wrote") from None
    entry, series = manifest["series"][index], dataset.series(index)
    stored = series["labels"]
    n_frames, grid = len(stored), stored.shape[-1]
    steps = sorted({int(t) for t in one_step_frames})
    if any(not 1 <= t < n_frames for t in steps):
        raise ValueError(f"one_step_frames {steps} must lie in 1 .. {n_frames - 1}")
    check_grid(grid, params)
    model = contact_model(params)
    am, sc = float(entry["am_wt_pct"]), float(entry["sc_wt_pct"])
    slurry = make_slurry(am, sc, params, rng=slurry_seed(int(entry["seed"]), am, sc))
    film = dry(slurry, params, model)
    volumes = {"am_volume_um3": slurry.composition.am_volume_um3,
               "cbd_volume_um3": slurry.composition.cbd_volume_um3}
    rng = np.random.default_rng(seed)

    def run(moved_before: int, last: int):
        for calendering, state in calendering_steps(film, float(entry["cr_pct"]), params, model):
            made = len(calendering.frames)
            if made == moved_before:
                state.positions += rng.normal(0.0, perturbation_um, state.positions.shape)
                state.positions[:, :2] %= state.footprint
            if made > last:
                return calendering
        return calendering

    def labels(calendering) -> np.ndarray:
        stack = label_stack(calendering, grid=grid, params=params, **volumes)
        if stack.shape[1] > stored.shape[1]:
            raise DatasetError("a rerun frame is taller than the stored series",
                               source=str(Path(frames_dir) / entry["file"]), field="labels",
                               value=stack.shape[1], allowed=f"<= {stored.shape[1]} layers")
        out = np.full((len(stack), *stored.shape[1:]), 3, dtype=np.uint8)
        out[:, :stack.shape[1]] = stack
        return out

    from_dried = labels(run(1, n_frames))
    if len(from_dried) != n_frames:
        raise DatasetError("the line makes another number of frames than the series holds",
                           source=str(Path(frames_dir) / entry["file"]), field="n_frames",
                           value=n_frames, allowed=str(len(from_dried)))
    one_step = {t: labels(run(t, t))[t] for t in steps}
    return {"from_dried": from_dried, "one_step": one_step}
