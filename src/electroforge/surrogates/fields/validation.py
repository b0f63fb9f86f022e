"""Validation of a calendering surrogate on series it never saw, beside the baselines
(issue 15), with the calendering-deep-learning reference's metrics:

- the voxel R2 of every frame (its Eq. 3 on one-hot phases inside the film,
  :func:`~electroforge.surrogates.fields.metrics.voxel_r2`), and beside it, for
  comparison with the reference's figures, the R2 as it computed it (raw voxel values,
  void included: :func:`~electroforge.surrogates.fields.metrics.reference_r2`);
- the phase volumes over the frames (fractions of the film);
- for the final structure: porosity, density, tortuosity factor, conductivity and the
  three contact areas, each measured by the line's own code
  (:func:`~electroforge.line.film.image_properties`) on the DEM's image, the prediction and
  the baselines, and each as a relative error against the DEM.

Baselines, measured in the same run: ``copy`` (the model's input frame copied: the dried
structure for a ``direct`` model, the DEM's previous frame for a ``next`` model) and
``affine`` (the dried structure squeezed in z to the DEM's final film height, its AM and
CBD voxels kept: :func:`~electroforge.surrogates.fields.baselines.affine_conserving`; it is
given the true thickness, so its porosity is right by construction and it is judged on the
rest), and ``particles``, given the same thickness: the dried AM as rigid spheres, squeezed,
their overlaps relaxed, the CBD laid as the line lays it
(:func:`~electroforge.surrogates.fields.particles.particle_squeeze`; left out of a series
whose film holds no AM). Beside them, ``calender_particles``: the model's own film height
(as ``calender``; a ``direct`` model's: the roll's gap) with the same particle squeeze
(``decode="particles"``).
A ``next`` model is rolled out from the dried structure with the DEM's roll schedule
(phases and strains), each frame from its own previous prediction (method ``model``;
``rollout_stride`` > 1 takes larger steps: every so many frames of the schedule), and
is also scored as the reference scored its network, one step at a time: each frame from
the DEM's frame before it (method ``one_step``, whose ``copy`` baseline is that frame).
Both are given the film height of every DEM frame, as the affine baseline is given the
final one, so the porosity of every frame is right by mass balance and they are judged on
the rest. A ``next`` model is scored a third way, as the line and ``surrogate calender``
use it (method ``calender``, the final frame only): from the dried structure and the CR
alone, the roll's gap and the spring-back its training showed (:meth:`~electroforge.
surrogates.fields.calendering.CalenderingModel.calender`), so its porosity is its own.
(From the strain alone, :func:`~electroforge.surrogates.fields.calendering.film_layers`
gets the line's height exactly in 80 % of its frames and one layer off in
the rest: the dried top is known only to a layer.)

The DEM against itself, on request (``dem_rerun_um``): each series made again by the line
with its particle centres moved by a tiny amount (:func:`~electroforge.line.frames.
rerun_series`), scored as the models are: ``dem_rerun`` from the dried structure, beside a
rollout or a direct model, and ``dem_one_step`` from the DEM's frame before, beside the
one-step score. No model that sees the dried structure can expect a voxel R2 above about
1 - (1 - R2 of the rerun) / 2 (see there).

A frame's R2 one step at a time depends on how far the film moves over the frame: the
frames table gives each frame the film top's move from the frame before (``step_pct``, % of
the dried film), and :meth:`CalenderingValidation.by_step` averages the one-step scores
over bands of it. The line makes its loading in 20 frames whatever the compression, from
0.15 % of the film a frame at CR 3 % to 2.4 % at CR 48 % (less where the porosity floor
stops the roll); the reference calendered at a constant rate, 20 % in 14 frames to 50 % in
35, about :data:`REFERENCE_STEP_PCT` a frame (calendering-deep-learning.txt, Sec. 2.1; more
if some of those frames are its spring-back), so its per-frame R2 compares with ours at
that step, roughly: it scored the raw labels over its whole box, void included, and its
network saw three past frames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from electroforge.surrogates.fields.baselines import affine_conserving, film_height
from electroforge.surrogates.fields.metrics import reference_r2, voxel_r2
from electroforge.surrogates.fields.phases import AM, CBD, PORE

__all__ = ["FINAL_PROPERTIES", "ONE_STEP_METHODS", "REFERENCE_STEP_PCT", "STEP_BANDS_PCT",
           "CalenderingValidation", "rollout_frames", "step_band", "validate_calendering"]

#: Properties of the final structure compared with the DEM.
FINAL_PROPERTIES = ("porosity", "density_g_cm3", "tortuosity_factor", "conductivity_s_m",
                    "area_pore_am_um2", "area_pore_cbd_um2", "area_am_cbd_um2")
METHODS = ("model", "calender", "calender_particles", "one_step", "affine", "particles",
           "copy", "dem_rerun", "dem_one_step")
#: The reference's compression per frame, % of the film's thickness: 20 % in 14 frames
#: (calendering-deep-learning.txt, Sec. 2.1: a constant rate, 14 to 35 frames for 20 to 50 %)
REFERENCE_STEP_PCT = 100 * 0.20 / 14
#: Upper edges of the bands of :meth:`CalenderingValidation.by_step` (film top's move per
#: frame, % of the dried film; a frame whose film top did not move is a band of its own;
#: the last edge is infinite, so that every move has a band)
STEP_BANDS_PCT = (0.5, 1.0, 1.5, 2.0, 3.0, float("inf"))
#: The methods scored one frame at a time from the DEM's frame before
ONE_STEP_METHODS = ("one_step", "copy", "dem_one_step")


@dataclass
class CalenderingValidation:
    """Per-series tables of a validation run (see :func:`validate_calendering`)."""

    #: one row per (series, frame, method): voxel R2 (and the reference's, ``r2_reference``),
    #: the film top's move over the frame (``step_pct``) and the phase fractions of the film
    frames: pd.DataFrame
    #: one row per (series, method, property): DEM value, predicted value, relative error
    final: pd.DataFrame
    #: seconds of the model per predicted frame
    seconds_per_frame: float
    #: a slice (y = middle) of the final structure per method, of the first series
    slices: dict[str, np.ndarray] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Headline numbers: R2 of the final frame and the worst frame, the reference's R2
        (:func:`~electroforge.surrogates.fields.metrics.reference_r2`) of the final frame and
        over every scored frame, and the mean and worst absolute relative error of each
        final property, per method."""
        out: dict[str, Any] = {}
        last = self.frames[self.frames["final"]]
        for method in METHODS:
            rows = self.frames[self.frames["method"] == method]
            if not len(rows):
                continue
            out[f"r2_final_{method}"] = float(last.loc[last["method"] == method, "r2"].mean())
            out[f"r2_worst_frame_{method}"] = float(
                rows.groupby("frame")["r2"].mean().min())
            out[f"r2_reference_final_{method}"] = float(
                last.loc[last["method"] == method, "r2_reference"].mean())
            out[f"r2_reference_mean_{method}"] = float(rows["r2_reference"].mean())
            for name in FINAL_PROPERTIES:
                errors = self.final[(self.final["method"] == method)
                                    & (self.final["property"] == name)]["rel_error"].abs()
                out[f"{name}_mean_err_{method}"] = float(errors.mean())
                out[f"{name}_max_err_{method}"] = float(errors.max())
        return out

    def by_step(self, bands_pct: tuple[float, ...] = STEP_BANDS_PCT) -> pd.DataFrame:
        """Mean and worst voxel R2 and the frame count of each one-step method (``one_step``,
        its ``copy`` baseline, ``dem_one_step``) per band of the film top's move over the
        frame (``step_pct``; see the module doc; frames without a finite move are left
        out): one row per band that holds frames, the first the frames whose film top did
        not move; columns ``(statistic, method)``. Empty for a ``direct`` model.

        Example:
            >>> frames = pd.DataFrame({"method": ["one_step", "copy"] * 3,
            ...                        "step_pct": [0.0, 0.0, 0.3, 0.3, 1.2, 1.2],
            ...                        "r2": [1.0, 1.0, 0.96, 0.9, 0.8, 0.7]})
            >>> table = CalenderingValidation(frames, pd.DataFrame(), 0.0).by_step()
            >>> table.index.tolist(), table[("mean", "copy")].tolist()
            (['0', '0-0.5', '1-1.5'], [1.0, 0.9, 0.7])
            >>> table[("worst", "one_step")].tolist(), table[("frames", "one_step")].tolist()
            ([1.0, 0.96, 0.8], [1, 1, 1])
        """
        if not (self.frames["method"] == "one_step").any():     # a direct model's copy
            return pd.DataFrame()                                 # is the dried structure
        rows = self.frames[self.frames["method"].isin(ONE_STEP_METHODS)
                           & np.isfinite(self.frames["step_pct"])]
        if rows.empty:
            return pd.DataFrame()
        table = rows.assign(band=step_band(rows["step_pct"].to_numpy(), bands_pct)).pivot_table(
            index="band", columns="method", values="r2", aggfunc=["mean", "min", "count"])
        table = table.rename(columns={"min": "worst", "count": "frames"}, level=0)
        order = [n for n in _band_names(bands_pct) if n in table.index]
        methods = [m for m in ONE_STEP_METHODS if m in table.columns.get_level_values(1)]
        table = table.reindex(index=order, columns=pd.MultiIndex.from_product(
            [["mean", "worst", "frames"], methods]))
        table["frames"] = table["frames"].fillna(0).astype(int)
        return table


def step_band(step_pct, bands_pct: tuple[float, ...] = STEP_BANDS_PCT) -> str | np.ndarray:
    """The band name of each film-top move ``step_pct`` (% per frame; a number or an array)
    among ``bands_pct`` (increasing upper edges, the last infinite): ``"0"`` for none,
    ``"lo-hi"`` (``lo`` excluded, ``hi`` included, to 1e-9 %: a strain difference's rounding
    does not move a step of exactly 1.5 % out of its band), ``">lo"`` above the last finite
    edge.

    Example:
        >>> step_band(1.43), step_band([0.0, 0.5, 0.51, 7.0]).tolist()
        ('1-1.5', ['0', '0-0.5', '0.5-1', '>3'])
        >>> step_band(100 * (0.3 * 7 / 20 - 0.3 * 6 / 20))      # 1.5000000000000013
        '1-1.5'
    """
    edges = np.asarray(bands_pct, dtype=float)
    if not (len(edges) and edges[-1] == np.inf and np.all(np.diff(edges) > 0) and edges[0] > 0):
        raise ValueError(f"bands_pct {tuple(bands_pct)} must increase from above 0 to inf")
    steps = np.asarray(step_pct, dtype=float)
    if not np.all(np.isfinite(steps)) or np.any(steps < 0):
        raise ValueError(f"a film-top move must be a finite number >= 0 (% a frame), not "
                         f"{steps[~(np.isfinite(steps) & (steps >= 0))].ravel()[0]}")
    steps = np.round(steps, 9)
    band = np.where(steps <= 0.0, 0, np.searchsorted(edges, steps) + 1)
    names = np.asarray(_band_names(bands_pct), dtype=object)
    return names[band] if band.ndim else str(names[band])


def _band_names(bands_pct: tuple[float, ...]) -> list[str]:
    """Names of the bands of :func:`step_band`, the still film top's first."""
    edges = [0.0, *bands_pct]
    return ["0"] + [f"{lo:g}-{hi:g}" if np.isfinite(hi) else f">{lo:g}"
                    for lo, hi in zip(edges, edges[1:])]


def validate_calendering(model, frames_dir, *, params=None, transport: bool = True,
                         rollout_stride: int = 1, dem_rerun_um: float | None = None,
                         progress=None) -> CalenderingValidation:
    """Validate ``model`` (a :class:`~electroforge.surrogates.fields.calendering.
    CalenderingModel`) on every series of ``frames_dir`` (see the module doc);
    ``progress(done, total)`` after each series. A ``next`` model's rollout steps through
    every ``rollout_stride``-th DEM frame, the last loading frame and the final one
    (:func:`rollout_frames`; 1: every frame). ``dem_rerun_um``: also score the DEM against
    itself, each series made again by the line with its particle centres moved by that
    much (:func:`~electroforge.line.frames.rerun_series`): from the dried structure (method
    ``dem_rerun``, beside ``model``) and, for a ``next`` model, one frame from the DEM's
    frame before (``dem_one_step``, beside ``one_step``)."""
    if not (isinstance(rollout_stride, int) and rollout_stride >= 1):
        raise ValueError(f"rollout_stride {rollout_stride!r} is not an integer >= 1")
    from electroforge.datasets.frames import read_frames
    from electroforge.line.film import image_properties
    from electroforge.line.materials import LineParameters
    from electroforge.surrogates.fields.training import porosity_floor

    params = params or LineParameters()
    dataset = read_frames(frames_dir)
    floor = porosity_floor(dataset.manifest)       # the roll of these frames' line
    if dem_rerun_um is not None:
        from electroforge.line.frames import rerun_parameters

        rerun_parameters(frames_dir, dataset.manifest, dem_rerun_um)   # refused before any work
    frame_rows, final_rows, slices = [], [], {}
    seconds, predicted_frames = 0.0, 0
    for index in range(len(dataset)):
        series = dataset.series(index)
        truth, cr_pct = series["labels"], float(series["cr_pct"])
        voxel_um = float(series["voxel_um"])
        step_pct = 100.0 * np.abs(np.diff(np.asarray(series["strain"], dtype=float),
                                          prepend=0.0))
        dried = truth[0]
        start = time.perf_counter()
        if model.task == "direct":
            predicted = {len(truth) - 1: model.calender(dried, cr_pct, porosity_floor=floor)}
        else:
            steps = rollout_frames(series["phase"], rollout_stride)
            schedule = [(str(series["phase"][t]), float(series["strain"][t])) for t in steps]
            rolled = model.rollout(dried, cr_pct, schedule,
                                   [film_height(truth[t]) for t in steps])
            predicted = dict(zip(steps, rolled[1:]))
        seconds += time.perf_counter() - start
        predicted_frames += len(predicted)
        one_step = {} if model.task == "direct" else _one_step(model, series, predicted)
        # a next model as it is used: from the dried structure and the CR alone
        calendered = {} if model.task == "direct" else {
            "calender": model.calender(dried, cr_pct, porosity_floor=floor)}
        affine = affine_conserving(dried, film_height(truth[-1]) / film_height(dried))
        squeezed = _particle_squeezes(model, dried, voxel_um, cr_pct, film_height(truth[-1]),
                                      floor, params)
        reruns = {}
        if dem_rerun_um is not None:
            from electroforge.line.frames import rerun_series

            made = rerun_series(frames_dir, index, perturbation_um=dem_rerun_um,
                                one_step_frames=one_step)
            reruns = {"dem_rerun": dict(enumerate(made["from_dried"])),
                      "dem_one_step": made["one_step"]}
        for t, labels in predicted.items():
            copy = truth[0] if model.task == "direct" else truth[t - 1]
            candidates = {"model": labels, "copy": copy}
            if t in one_step:
                candidates["one_step"] = one_step[t]
            candidates |= {method: frames[t] for method, frames in reruns.items()
                           if t in frames}
            if t == len(truth) - 1:
                candidates |= {"affine": affine} | squeezed | calendered
            keys = {"series": index, "cr_pct": cr_pct, "frame": t,
                    "final": t == len(truth) - 1, "step_pct": float(step_pct[t])}
            for method, image in candidates.items():
                frame_rows.append({**keys, "method": method, "r2": voxel_r2(image, truth[t]),
                                   "r2_reference": reference_r2(image, truth[t]),
                                   **_fractions(image)})
            frame_rows.append({**keys, "method": "dem", "r2": 1.0, "r2_reference": 1.0,
                               **_fractions(truth[t])})
        final = {"dem": truth[-1], "model": predicted[len(truth) - 1], **calendered,
                 "affine": affine, **squeezed,
                 "copy": truth[0] if model.task == "direct" else truth[-2]}
        if one_step:
            final["one_step"] = one_step[len(truth) - 1]
        final |= {method: frames[len(truth) - 1] for method, frames in reruns.items()
                  if len(truth) - 1 in frames}
        measured = {method: image_properties(image, voxel_um=voxel_um, params=params,
                                             transport=transport)
                    for method, image in final.items()}
        for method in (m for m in METHODS if m in final):
            for name in FINAL_PROPERTIES:
                if name not in measured["dem"]:
                    continue
                dem, value = measured["dem"][name], measured[method][name]
                final_rows.append({"series": index, "cr_pct": cr_pct, "method": method,
                                   "property": name, "dem": dem, "value": value,
                                   "rel_error": (value - dem) / dem if dem else float("nan")})
        if index == 0:
            middle = dried.shape[1] // 2
            slices = {method: image[:, middle, :].copy() for method, image in final.items()}
            slices["dried"] = dried[:, middle, :].copy()
        if progress is not None:
            progress(index + 1, len(dataset))
    return CalenderingValidation(pd.DataFrame(frame_rows), pd.DataFrame(final_rows),
                                 seconds / max(predicted_frames, 1), slices)


def _particle_squeezes(model, dried: np.ndarray, voxel_um: float, cr_pct: float,
                       dem_layers: int, floor: float, params) -> dict[str, np.ndarray]:
    """The particle squeeze of the dried labels, with the line's CBD bridges, to the DEM's
    final film (``particles``) and to the model's (``calender_particles``, as
    ``calender(decode="particles")`` makes it), its particles found once; empty where the
    film holds no AM particle to move."""
    from electroforge.surrogates.fields.particles import particle_squeeze, particles_of

    particles = particles_of(dried, voxel_um)
    if not len(particles):
        return {}
    films = {"particles": dem_layers,
             "calender_particles": model.final_layers(dried, cr_pct, porosity_floor=floor)}
    return {name: particle_squeeze(dried, voxel_um, layers, particles=particles,
                                   cbd_neck_fraction=params.cbd_neck_fraction,
                                   cbd_bridge_um=params.cbd_bridge_um)
            for name, layers in films.items()}


def rollout_frames(phases, stride: int) -> list[int]:
    """The frames of a series (``phases``: one per frame, the first the dried structure)
    that a rollout with ``stride`` predicts: every ``stride``-th, the last loading frame
    and the final one.

    Example:
        >>> phases = ["dried"] + ["loading"] * 5 + ["unloading"] * 2
        >>> rollout_frames(phases, 1), rollout_frames(phases, 2), rollout_frames(phases, 9)
        ([1, 2, 3, 4, 5, 6, 7], [2, 4, 5, 6, 7], [5, 7])
    """
    phases = [str(p) for p in phases]
    keep = set(range(stride, len(phases), stride)) | {len(phases) - 1}
    keep |= {t for t, p in enumerate(phases) if p == "loading"
             and (t + 1 == len(phases) or phases[t + 1] != "loading")}
    return sorted(keep)


def _one_step(model, series, frames) -> dict[int, np.ndarray]:
    """Each of ``frames`` (indices of a series' frames) predicted by a ``next`` model from
    the DEM's frame before it (the reference's protocol: no error carried from frame to
    frame)."""
    truth = series["labels"]
    strain = np.asarray(series["strain"], dtype=float)
    out = {}
    for t in frames:
        source = truth[t - 1]
        counts = (int((source == AM).sum()), int((source == CBD).sum()))
        conditions = model.next_conditions(float(series["cr_pct"]), series["phase"][t],
                                           strain[t], strain[t - 1])
        out[t] = model.step(source, conditions, (1.0 - strain[t]) / (1.0 - strain[t - 1]),
                            counts, film_height(truth[t]))
    return out


def _fractions(labels: np.ndarray) -> dict[str, float]:
    """Fractions of pore, CBD and AM in the film (below its void), and its height."""
    film = labels[:film_height(labels)]
    counts = np.bincount(film.ravel(), minlength=4)[:3].astype(float)
    total = counts.sum() or 1.0
    return {"pore_fraction": counts[PORE] / total, "cbd_fraction": counts[CBD] / total,
            "am_fraction": counts[AM] / total, "film_layers": int(len(film))}
