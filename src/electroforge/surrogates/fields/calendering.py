"""Calendering a voxel structure with a trained field model (``electroforge surrogate train
calendering``): the final structure of a dried one at a compression (``direct`` models),
or a rollout frame by frame (``next`` models).

The line's box is periodic in x and y, so the structure is wrapped around by
:data:`WRAP` voxels on each side before the network sees it and the margin is cut off
after: the edges are predicted as the interior is. Every prediction keeps the source's AM
and CBD voxel counts exactly (:func:`~electroforge.surrogates.fields.phases.assign_phases`):
calendering moves material; it makes and loses none. A rollout's frames also keep the film
height that the schedule's strain states (:func:`film_layers`; the line's void is every
voxel above the film's top), so their porosity follows by mass balance and cannot drift
from frame to frame; a ``direct`` model predicts the spring-back, so its film top is its
own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from electroforge.errors import InputError
from electroforge.surrogates.fields.phases import (AM, CBD, PHASES, VOID, assign_phases,
                                                   pin_film_top)

__all__ = ["DECODES", "WRAP", "CalenderingModel", "film_layers", "labels_from",
           "load_calendering_model", "shipped_model_files", "shipped_model_path"]

#: Voxels wrapped around each periodic side before the network (its receptive field's
#: reach at depth 2 is about this).
WRAP = 8
#: The models that ship with electroforge, by task (both trained on the same 54 series of
#: line v4: benchmarks/calendering_surrogate.py; the command that made each in its header)
SHIPPED = {"next": "calendering.next.safetensors", "direct": "calendering.direct.safetensors"}
#: Models that an earlier electroforge shipped as a default and this one still ships, so
#: that a campaign pinned to one keeps it (:meth:`~electroforge.campaigns.campaign.Campaign.
#: calendering_model_path`): the first next-frame model, same weights as today's, whose
#: spring-back law was proportional to the gap's strain alone
RETIRED = ("calendering.next.v1.safetensors",)
#: The task of the model the line and ``surrogate calender`` use unless given another: on
#: the 18 held-out series (README), the next-frame model unloaded to its training
#: films' spring-back predicts the tortuosity factor and the three contact areas far better
#: than the direct model does (6.2 against 24.1 %, for one), the porosity and the density
#: better (1.4 against 2.9 %, 0.7 against 1.1 %), the conductivity about as well and the
#: voxel R2 a little worse
DEFAULT_TASK = "next"
#: The largest spring-back law a model may state, per unit of the gap's strain: 2 would
#: spring a film rolled to a 50 % gap back to its dried thickness (line v4's: 0.187)
MAX_SPRING_BACK_PER_STRAIN = 2.0
#: Loading steps of :meth:`CalenderingModel.calender`'s rollout: few and large, since a
#: rollout's errors compound with its steps (benchmarks/calendering_surrogate.py,
#: ``--rollout-stride``: on 18 held-out series, stepping to the end of the loading and on to
#: the final frame beat stepping through the DEM's 31 frames on the voxel R2, the
#: tortuosity factor and the pore-AM and pore-CBD areas; not on the AM-CBD area or the
#: conductivity).
CALENDER_STEPS = 1
#: How :meth:`CalenderingModel.calender` makes the final structure: ``voxels``, the
#: network's phase probabilities assigned with the counts kept; ``particles``, the dried
#: AM moved as rigid spheres to the film height the model states, the CBD laid by the
#: line's rule (:func:`~electroforge.surrogates.fields.particles.particle_squeeze`; the
#: network is not run). Measured on the line's 18 held-out series (README), ``particles``
#: predicts the pore-AM and AM-CBD contacts (6.1 and 9.4 % against 9.3 and 34.5 %), the
#: conductivity (35 against 73 %) and the voxel R2 better, the tortuosity factor and the
#: pore-CBD contact worse (7.5 against 6.2 %, 8.2 against 2.8 %), so ``voxels`` stays the
#: default.
DECODES = ("voxels", "particles")


def shipped_model_path(task: str = DEFAULT_TASK) -> Path:
    """The small calendering model of ``task`` (``next`` or ``direct``) that ships with
    electroforge."""
    from importlib.resources import files

    if task not in SHIPPED:
        raise InputError("no such shipped calendering model", field="task", value=repr(task),
                         allowed=", ".join(SHIPPED))
    return Path(str(files("electroforge.data") / SHIPPED[task]))


def shipped_model_files() -> list[Path]:
    """Every calendering model file that ships with electroforge: the current ones
    (:data:`SHIPPED`), then the retired ones kept for pinned campaigns (:data:`RETIRED`)."""
    from importlib.resources import files

    return [Path(str(files("electroforge.data") / name))
            for name in (*SHIPPED.values(), *RETIRED)]


class CalenderingModel:
    """A trained calendering field model and its header (task, input, voxel size)."""

    def __init__(self, net: torch.nn.Module, header: dict[str, Any],
                 source: str = "") -> None:
        self.net, self.header, self.source = net.eval(), header, source
        if header.get("task") not in ("direct", "next"):
            raise InputError("not a calendering model", source=source or None, field="task",
                             value=repr(header.get("task")), allowed="direct or next (a model "
                             "of `electroforge surrogate train calendering`)")
        if header.get("input") != "affine_z_squeeze":
            raise InputError("a calendering model of another electroforge",
                             source=source or None, field="input",
                             value=repr(header.get("input")),
                             allowed="affine_z_squeeze (retrain with this electroforge)")
        #: the film's spring-back law that a ``next`` model unloads to (its header's
        #: ``spring_back``, checked; none, unloading at the gap, for a model without one)
        self.spring_back_law = _spring_back_law(header.get("spring_back"), source)

    @property
    def task(self) -> str:
        return str(self.header["task"])

    @property
    def voxel_um(self) -> float:
        """The voxel size of the structures it was trained on."""
        return float(self.header["voxel_um"])

    def probabilities(self, source: np.ndarray, conditions: Sequence[float],
                      thickness_ratio: float) -> torch.Tensor:
        """Phase probabilities ``(phases, z, y, x)`` of the structure that ``source``
        becomes (see the module doc)."""
        from electroforge.surrogates.fields.training import model_input
        from electroforge.threads import single_threaded

        wrap = min(WRAP, source.shape[1], source.shape[2])
        x = np.pad(source, ((0, 0), (wrap, wrap), (wrap, wrap)), mode="wrap")
        with torch.no_grad(), single_threaded():
            logits = self.net(model_input(x, thickness_ratio)[None],
                              torch.tensor([list(map(float, conditions))], dtype=torch.float32))
        probabilities = logits.softmax(dim=1)[0]
        return probabilities[:, :, wrap:probabilities.shape[2] - wrap,
                             wrap:probabilities.shape[3] - wrap]

    def step(self, source: np.ndarray, conditions: Sequence[float], thickness_ratio: float,
             counts: tuple[int, int], film_top: int | None = None) -> np.ndarray:
        """Labels of one prediction, with ``counts`` (AM, CBD) voxels exactly and, where
        ``film_top`` is given, that many film layers (:func:`labels_from`)."""
        probabilities = self.probabilities(source, conditions, thickness_ratio)
        return labels_from(probabilities, source, counts, film_top)

    def calender(self, dried: np.ndarray, cr_pct: float, *,
                 porosity_floor: float | None = None, decode: str = "voxels") -> np.ndarray:
        """The final (sprung-back) labels of the dried labels ``(z, y, x)`` (pore 0, CBD 1,
        AM 2, void 3 above the film) calendered at ``cr_pct``, at this model's voxel size.
        A ``next`` model rolls out through a linear loading to the gap in
        :data:`CALENDER_STEPS` steps; a ``direct`` one maps in one step. The gap is the
        roll's, or the film at the line's porosity floor where that is thicker
        (:func:`~electroforge.surrogates.fields.training.gap_ratio`; ``porosity_floor``
        default: the training line's). A ``next`` model unloads to the film its training
        series sprang back to (:meth:`spring_back`: its header's ``spring_back`` law, of
        the gap's strain and the dried film's CBD fraction and porosity where it has
        ``slope_terms``; a model without a law unloads at the gap): it was trained on the
        DEM's film-top strains, so the spring-back is given to it, as the roll's gap is.
        ``decode`` (:data:`DECODES`): ``particles`` moves the dried AM as rigid spheres to
        the film that a ``next`` model unloads to (a ``direct`` one: the gap) instead."""
        if decode not in DECODES:
            raise InputError("unknown decoding of a calendering", field="decode",
                             value=repr(decode), allowed=" or ".join(DECODES))
        dried = _checked_labels(dried)
        if decode == "particles":
            from electroforge.surrogates.fields.particles import particle_squeeze

            return particle_squeeze(dried, self.voxel_um, self.final_layers(
                dried, cr_pct, porosity_floor=porosity_floor))
        counts = (int((dried == AM).sum()), int((dried == CBD).sum()))
        ratio, unloaded = self._gap_and_unloaded(dried, cr_pct, porosity_floor)
        if self.task == "direct":
            return self.step(dried, [float(cr_pct) / 100.0, 1.0 - ratio], ratio, counts)
        frames = self.rollout(dried, cr_pct, default_schedule(1.0 - ratio, CALENDER_STEPS,
                                                              unloaded=1.0 - unloaded))
        return frames[-1]

    def final_layers(self, dried: np.ndarray, cr_pct: float, *,
                     porosity_floor: float | None = None) -> int:
        """Film layers of the final structure of the dried labels calendered at ``cr_pct``
        (see :meth:`calender`): the film a ``next`` model unloads to (a ``direct`` one: the
        roll's gap), at most the image's height (a spring-back above its top stops there,
        as a rollout's does)."""
        _, unloaded = self._gap_and_unloaded(dried, cr_pct, porosity_floor)
        return min(film_layers(dried, 1.0 - unloaded), np.asarray(dried).shape[0])

    def _gap_and_unloaded(self, dried: np.ndarray, cr_pct: float,
                          porosity_floor: float | None) -> tuple[float, float]:
        """The roll's gap and the film unloaded from it, as fractions of the dried film."""
        from electroforge.surrogates.fields.training import gap_ratio

        floor = self.header.get("porosity_floor", 0.0) if porosity_floor is None \
            else porosity_floor
        ratio = gap_ratio(dried, float(cr_pct) / 100.0, floor)
        if self.task == "direct":
            return ratio, ratio
        return ratio, ratio * (1.0 + self.spring_back(dried, 1.0 - ratio))

    def spring_back(self, dried: np.ndarray, gap_strain: float) -> float:
        """The spring-back (fraction of the film at the gap) that :meth:`calender` unloads
        the dried labels to from a gap of ``gap_strain``
        (:func:`~electroforge.surrogates.fields.training.spring_back_fraction`, at most
        :data:`MAX_SPRING_BACK_PER_STRAIN` times the gap's strain; 0 for a model without a
        law)."""
        from electroforge.surrogates.fields.training import (spring_back_fraction,
                                                             spring_back_terms)

        if self.spring_back_law is None:
            return 0.0
        terms = spring_back_terms(dried, gap_strain)
        return min(spring_back_fraction(self.spring_back_law, terms),
                   MAX_SPRING_BACK_PER_STRAIN * float(gap_strain))

    def rollout(self, dried: np.ndarray, cr_pct: float,
                schedule: Sequence[tuple[str, float]],
                film_tops: Sequence[int] | None = None) -> np.ndarray:
        """Frames ``(1 + len(schedule), z, y, x)`` of a ``next`` model: the dried labels,
        then one frame per ``(phase, strain)`` of ``schedule`` (phase ``loading`` or
        ``unloading``, strain the film top's compression), each from the one before, with
        ``film_tops`` film layers each (default: :func:`film_layers` of the strain; the
        line's frames give theirs exactly)."""
        if self.task != "next":
            raise InputError("a rollout needs a next-frame model", field="task",
                             value=self.task, allowed="a model trained with --task next")
        dried = _checked_labels(dried)
        counts = (int((dried == AM).sum()), int((dried == CBD).sum()))
        if film_tops is None:
            film_tops = [film_layers(dried, strain) for _, strain in schedule]
        frames, previous = [dried], 0.0
        for (phase, strain), top in zip(schedule, film_tops, strict=True):
            frames.append(self.step(frames[-1], self.next_conditions(cr_pct, phase, strain,
                                                                     previous),
                                    (1.0 - strain) / (1.0 - previous), counts, top))
            previous = float(strain)
        return np.stack(frames)

    def next_conditions(self, cr_pct: float, phase: str, strain: float,
                        source_strain: float) -> list[float]:
        """The conditions of a ``next`` model's step from a frame at ``source_strain`` to
        one of ``phase`` (``loading`` or ``unloading``) at ``strain``: the CR as a fraction,
        the phase's code and the strain, and the source's strain where the model was
        trained with jumps (its header's ``conditions``)."""
        from electroforge.surrogates.fields.training import PHASE_CODES

        conditions = [float(cr_pct) / 100.0, PHASE_CODES[str(phase)], float(strain)]
        if "source_strain" in self.header.get("conditions", ()):
            conditions.append(float(source_strain))
        return conditions


def film_layers(dried: np.ndarray, strain: float) -> int:
    """Film layers of the dried labels ``(z, y, x)`` compressed by ``strain`` (1 - the film
    top over the dried top): the dried film's height times ``1 - strain``, rounded (within
    a layer of the line's own, which it counts from the top in um).

    Example:
        >>> film_layers(np.array([0, 2, 2, 0, 3])[:, None, None], 0.3)
        3
    """
    from electroforge.surrogates.fields.baselines import film_height

    return int(round(film_height(dried) * (1.0 - float(strain))))


def labels_from(probabilities: torch.Tensor, source: np.ndarray, counts: tuple[int, int],
                film_top: int | None = None) -> np.ndarray:
    """Labels ``(z, y, x)`` of predicted phase probabilities ``(phases, z, y, x)`` of
    ``source``: ``counts`` (AM, CBD) voxels exactly, the source's layer on the current
    collector kept, and, where ``film_top`` is given, that many film layers with void
    above (:func:`~electroforge.surrogates.fields.phases.pin_film_top`)."""
    # the layer on the current collector stays as it was: the roll presses the film onto
    # the collector, whose contacts with the particles it neither makes nor breaks (and
    # which carry the electrons out: a network that missed them would not conduct)
    probabilities = probabilities.clone()
    probabilities[:, 0] = torch.nn.functional.one_hot(
        torch.as_tensor(np.asarray(source[0]), dtype=torch.long), len(PHASES)).permute(2, 0, 1)
    void = None
    if film_top is not None:
        film_top = max(1, min(int(film_top), probabilities.shape[1]))
        probabilities = pin_film_top(probabilities, film_top)
        void = (probabilities.shape[1] - film_top) * probabilities[0, 0].numel()
    return assign_phases(probabilities, *counts, void).numpy().astype(np.uint8)


def default_schedule(strain: float, steps: int = 20,
                     unloaded: float | None = None) -> list[tuple[str, float]]:
    """A linear loading to ``strain`` in ``steps`` frames, then one unloading frame at the
    strain ``unloaded`` the film springs back to (default: ``strain``, no spring-back).

    Example:
        >>> default_schedule(0.3, 2, unloaded=0.25)
        [('loading', 0.15), ('loading', 0.3), ('unloading', 0.25)]
    """
    return [("loading", strain * (k + 1) / steps) for k in range(steps)] + [
        ("unloading", strain if unloaded is None else float(unloaded))]


def load_calendering_model(path: str | os.PathLike[str] | None = None) -> CalenderingModel:
    """The calendering model at ``path`` (default: the shipped next-frame model,
    :func:`shipped_model_path`)."""
    from electroforge.surrogates.fields.files import load_field_model

    path = Path(path) if path is not None else shipped_model_path()
    net, header = load_field_model(path)
    return CalenderingModel(net, header, source=str(path))


def _spring_back_law(law: Any, source: str) -> dict[str, Any] | None:
    """A header's spring-back law (:func:`~electroforge.surrogates.fields.training.
    spring_back_law`), checked: ``per_gap_strain`` a number from 0 to
    :data:`MAX_SPRING_BACK_PER_STRAIN`, and ``slope_terms``, where there are any, a number
    for each of :data:`~electroforge.surrogates.fields.training.SPRING_BACK_TERMS` and
    nothing else; ``None`` where there is no law. Anything else is refused in one line."""
    from electroforge.surrogates.fields.training import SPRING_BACK_TERMS

    if law is None:
        return None
    slope = law.get("per_gap_strain") if isinstance(law, dict) else law
    if not isinstance(law, dict) or not _number(slope) \
            or not 0.0 <= slope <= MAX_SPRING_BACK_PER_STRAIN:
        raise InputError("a spring-back law that is not a film's", source=source or None,
                         field="spring_back.per_gap_strain", value=repr(slope),
                         allowed=f"a number from 0 to {MAX_SPRING_BACK_PER_STRAIN:g} (the "
                         "film's spring-back over the gap's strain; retrain to remake it)")
    terms = law.get("slope_terms")
    if terms is not None and not (isinstance(terms, dict) and set(terms) == set(SPRING_BACK_TERMS)
                                  and all(map(_number, terms.values()))):
        raise InputError("a spring-back law that is not a film's", source=source or None,
                         field="spring_back.slope_terms", value=repr(terms)[:120],
                         allowed="a finite number for each of "
                         f"{', '.join(SPRING_BACK_TERMS)} (retrain to remake it)")
    return {"per_gap_strain": float(slope)} | (
        {"slope_terms": {k: float(v) for k, v in terms.items()}} if terms is not None else {})


def _number(value: Any) -> bool:
    """Whether ``value`` is a finite real number (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and bool(np.isfinite(value))


def _checked_labels(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 3 or labels.dtype.kind not in "ui" or labels.size == 0 \
            or labels.min() < 0 or labels.max() > VOID:
        raise InputError("not a label image", field="labels",
                         value=f"{labels.dtype} {labels.shape}",
                         allowed=f"3D integer labels 0-{VOID} ({', '.join(PHASES)})")
    return labels.astype(np.uint8)
