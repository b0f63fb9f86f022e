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
import numbers
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from electroforge.errors import DatasetError
from electroforge.line.film import film_labels, film_properties, image_properties
from electroforge.line.materials import LineParameters

__all__ = ["frame_properties", "load_frames", "rerun_parameters", "rerun_series"]


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
    the line from its manifest (recipe, particle seed, line parameters), with every particle
    centre moved by N(0, ``perturbation_um``) on each axis (drawn from ``seed`` and the
    number of the frame the centres are moved before):

    - ``"from_dried"``: every frame (labels, as stored), the dried centres moved before the
      first loading frame: the DEM against itself over the whole roll;
    - ``"one_step"``: for each frame t of ``one_step_frames``, frame t made from the DEM's
      frame t - 1 with its centres moved: the DEM against itself over one frame. Each is a
      run of the DEM from the start to t, so asking for every frame costs about half as
      many calenderings as the series has frames.

    With ``perturbation_um=0`` both are the series itself, on the machine that wrote it: the
    line is deterministic. A perturbation of 1e-9 um, far below any physical scale, shows how
    far the DEM's structure is a function of its input at all. Take the stored run A and the
    rerun B as independent draws around their mean m (a field of phase probabilities): then
    E|A - B|^2 = 2 E|A - m|^2, so a model whose prediction is the same for both runs (any
    model that sees the dried structure or a voxel image, and not the 1e-9 um) has an
    expected squared error against A of at least half that of B, and an expected voxel R2
    of at most about 1 - (1 - R2 of B) / 2 (about: the R2's denominator varies a little
    with the prediction).
    """
    from electroforge.datasets.frames import read_frames
    from electroforge.line.calendering import calendering_steps
    from electroforge.line.chain import check_grid, conserved_volumes, dried_film, label_stack

    dataset = read_frames(frames_dir)
    params = rerun_parameters(frames_dir, dataset.manifest, perturbation_um)
    n_series = len(dataset)
    if isinstance(index, bool) or not isinstance(index, numbers.Integral) \
            or not 0 <= index < n_series:
        raise DatasetError("no such series", source=str(Path(frames_dir) / "manifest.json"),
                           field="index", value=index, allowed=f"0 to {n_series - 1}")
    entry, series = dataset.manifest["series"][index], dataset.series(index)
    source = str(Path(frames_dir) / entry["file"])
    missing = [key for key in ("am_wt_pct", "sc_wt_pct", "cr_pct", "seed") if key not in entry]
    if missing:
        raise DatasetError("the manifest's series lacks its recipe",
                           source=str(Path(frames_dir) / "manifest.json"),
                           field=f"series[{index}].{missing[0]}",
                           allowed="the entries electroforge line frames wrote")
    stored = series["labels"]
    n_frames, grid = len(stored), stored.shape[-1]
    if n_frames != params.load_frames + params.unload_frames + 2:
        raise DatasetError("the series has another number of frames than its line parameters "
                           "make", source=source, field="n_frames", value=n_frames,
                           allowed=str(params.load_frames + params.unload_frames + 2))
    steps = sorted({int(t) for t in one_step_frames})
    if any(not 1 <= t < n_frames for t in steps):
        raise ValueError(f"one_step_frames {steps} of {source} must lie in 1 .. {n_frames - 1}")
    check_grid(grid, params)
    am, sc = float(entry["am_wt_pct"]), float(entry["sc_wt_pct"])
    slurry, film, model = dried_film(am, sc, seed=int(entry["seed"]), params=params)
    volumes = conserved_volumes(slurry)

    def run(moved_before: int, last: int):
        """The calendering to frame ``last``, centres moved before frame ``moved_before``."""
        rng = np.random.default_rng([seed, moved_before])
        for calendering, state in calendering_steps(film, float(entry["cr_pct"]), params, model):
            made = len(calendering.frames)
            if made == moved_before:
                state.positions += rng.normal(0.0, perturbation_um, state.positions.shape)
                state.positions[:, :2] %= state.footprint
            if made > last:
                break
        return calendering

    def padded(labels: np.ndarray) -> np.ndarray:
        """``labels`` (frames x z x y x x) padded with void to the stored height."""
        if labels.shape[1] > stored.shape[1]:
            raise DatasetError("a rerun frame is taller than the stored series", source=source,
                               field="labels", value=labels.shape[1],
                               allowed=f"<= {stored.shape[1]} layers")
        out = np.full((len(labels), *stored.shape[1:]), 3, dtype=np.uint8)
        out[:, :labels.shape[1]] = labels
        return out

    from_dried = padded(label_stack(run(1, n_frames), grid=grid, params=params, **volumes))
    one_step = {}
    for t in steps:
        calendering = run(t, t)
        frame = calendering.frames[t]
        one_step[t] = padded(film_labels(frame.positions_um, calendering.radii_um,
                                         calendering.kinds, top_um=frame.top_um, grid=grid,
                                         params=params, **volumes)[None])[0]
    return {"from_dried": from_dried, "one_step": one_step}


def rerun_parameters(frames_dir: str | os.PathLike[str], manifest: dict[str, Any],
                     perturbation_um: float) -> LineParameters:
    """The line parameters of a frames folder's ``manifest``, once it is checked that this
    electroforge's line can make its series again with ``perturbation_um`` (see
    :func:`rerun_series`)."""
    from electroforge.line.runner import LINE_VERSION

    if isinstance(perturbation_um, bool) or not isinstance(perturbation_um, numbers.Real) \
            or not math.isfinite(perturbation_um) or perturbation_um < 0:
        raise ValueError(f"perturbation_um {perturbation_um!r} is not a length >= 0 (um)")
    source = str(Path(frames_dir) / "manifest.json")
    if str(manifest.get("line_version")) != LINE_VERSION:
        raise DatasetError("the series were made by another version of the line",
                           source=source, field="line_version",
                           value=manifest.get("line_version"),
                           allowed=f"{LINE_VERSION} (this electroforge's line)")
    try:
        return LineParameters(**manifest["line_parameters"])
    except (KeyError, TypeError) as error:
        raise DatasetError(f"the line parameters cannot be read ({error})", source=source,
                           field="line_parameters",
                           allowed="the parameters electroforge line frames wrote") from None
