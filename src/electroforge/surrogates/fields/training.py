"""Training the calendering surrogate on frame series (``electroforge line frames``).

Two tasks, one network each, both conditioned on the compression:

- ``direct``: the dried structure and the CR to the final, sprung-back structure
  (conditions: CR/100 and the strain of the gap the roll reaches, :func:`gap_ratio`; no
  error accumulates);
- ``next``: each frame from the one before (the reference's task, rolled out through
  loading and spring-back; conditions: CR/100, the target frame's phase code and strain).

The network does not see its source structure as it is but squeezed affinely in z to the
thickness it is to reach (:func:`model_input`: the roll's gap for ``direct``, the target
frame's strain for ``next``), as phase fractions: each output layer holds the mean
of the source's one-hot phases over the stretch of film it maps to, so no layer is
dropped (a nearest-layer squeeze at CR 30 % would drop every third one) and the AM a
voxel holds is still known. The network thus learns what calendering does beyond a uniform
squeeze (the rearrangement, the solid kept while the pores close, the spring-back) rather
than the squeeze itself, which a convolution of a few voxels' reach cannot express over a
60-layer film; its score is measured against the affine baseline it starts from.

A ``next`` model rolled out feeds on its own predictions, and its one-step errors then
compound over the ~30 frames of a roll (the reference scored its network only one step at
a time). ``pushforward_from`` applies the pushforward trick (Brandstetter, Worrall and
Welling, ICLR 2022, Sec. 2.3): from that epoch on, a sample's source frame (from the
second frame of a series on) is not the DEM's but the model's own prediction of it from
the DEM's frame before, made without gradient and finished as a rollout finishes it
(hard labels, the counts kept, the film top pinned;
:func:`~electroforge.surrogates.fields.calendering.labels_from`); the network thus learns
to correct the errors it makes, at the cost of one more forward pass per sample. Measured
on the line's frames (README), it did not improve a 31-frame rollout; fewer, larger rollout
steps did (:data:`~electroforge.surrogates.fields.calendering.CALENDER_STEPS`).

Those steps are not the ones a ``next`` model trains on: :meth:`~electroforge.surrogates.
fields.calendering.CalenderingModel.calender` steps from the dried structure to the roll's
gap, then to the film's spring-back, each a frame that training, frame by frame, never
paired. ``jump_fraction`` trains that share of the samples on those steps instead
(:func:`jump_sources`: each loading frame from the dried structure, each unloading frame
from the last loading one), with the source frame's strain as a fourth condition, so that
the same model serves a rollout frame by frame and the calender's two steps. Measured on
the line's frames (README), it raised the calender's voxel R2 (-0.128 to -0.045 at 0.5) but
blurred the structure it predicts: every property but the porosity got worse (tortuosity
factor error 6.2 to 40.5 %), so the shipped model trains without it.

Every sample is augmented by the symmetries of the line's box, which is periodic in x and
y: a random periodic shift, flips and the x-y transpose; ``crop`` then cuts a random
``crop x crop`` column (full height) so that a CPU trains on crops of the box.

The loss is the voxel cross-entropy plus the squared error of the predicted AM and CBD
volumes (the soft sums of their probabilities) against the truth's, relative to the
voxels of a sample: material is neither made nor lost. Training is seeded and runs
single-threaded so that on the CPU the same seed gives the same weights (on a GPU,
cuDNN's 3D convolutions are not bitwise reproducible); after every
epoch a checkpoint (weights, optimizer state, epoch; safetensors with a JSON header)
is written beside the output, and a run started again with the same arguments resumes
from it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from electroforge.errors import InputError
from electroforge.surrogates.fields.baselines import affine_fractions, film_height
from electroforge.surrogates.fields.phases import AM, CBD, PHASES, PORE, VOID
from electroforge.surrogates.fields.unet import FiLMUNet3d

__all__ = ["INPUT", "PHASE_CODES", "SPRING_BACK_TERMS", "TASKS", "gap_ratio", "jump_source",
           "jump_sources", "model_input", "samples", "spring_back_fraction", "spring_back_law",
           "spring_back_terms", "train_calendering"]

#: How a model's input is made from its source structure (recorded in its header).
INPUT = "affine_z_squeeze"

TASKS = ("direct", "next")
#: Frame phases as a condition (dried 0, loading 0.5, unloading 1).
PHASE_CODES = {"dried": 0.0, "loading": 0.5, "unloading": 1.0}
_VOLUME_WEIGHT = 10.0


def samples(dataset, task: str, *, source_strain: bool = False
            ) -> list[tuple[np.ndarray, float, np.ndarray, np.ndarray]]:
    """(source labels, thickness ratio, conditions, target labels) of every series of a
    :class:`~electroforge.datasets.frames.FrameSeries` for ``task``; the network's input is
    :func:`model_input` of the source at the ratio. ``source_strain``: a ``next`` sample's
    conditions end with its source frame's strain (a model trained with jumps,
    :func:`jump_sources`)."""
    if task not in TASKS:
        raise InputError("unknown task", field="task", value=repr(task), allowed=", ".join(TASKS))
    floor = porosity_floor(dataset.manifest)
    out = []
    for index in range(len(dataset)):
        series = dataset.series(index)
        labels, cr = series["labels"], float(series["cr_pct"]) / 100.0
        strain = np.asarray(series["strain"], dtype=float)
        if task == "direct":
            ratio = gap_ratio(labels[0], cr, floor)
            out.append((labels[0], ratio, np.array([cr, 1.0 - ratio]), labels[-1]))
            continue
        for t in range(1, len(labels)):
            code = PHASE_CODES.get(str(series["phase"][t]), 0.0)
            out.append((labels[t - 1], (1.0 - strain[t]) / (1.0 - strain[t - 1]),
                        np.array([cr, code, strain[t]] + [strain[t - 1]] * source_strain),
                        labels[t]))
    return out


def jump_source(phases, t: int) -> int:
    """The frame that :meth:`~electroforge.surrogates.fields.calendering.CalenderingModel.
    calender` predicts frame ``t`` of a series from (``phases``: one per frame, the first
    the dried structure): the dried structure for a loading frame, the last loading frame
    for an unloading one.

    Example:
        >>> phases = ["dried", "loading", "loading", "unloading", "unloading"]
        >>> [jump_source(phases, t) for t in range(1, 5)]
        [0, 0, 2, 2]
    """
    phases = [str(p) for p in phases]
    if phases[t] != "unloading":
        return 0
    loading = [k for k in range(t) if phases[k] == "loading"]
    return loading[-1] if loading else 0


def jump_sources(dataset) -> list[tuple[np.ndarray, float, float]]:
    """For every ``next`` sample of :func:`samples` (same order), the source that
    :meth:`~electroforge.surrogates.fields.calendering.CalenderingModel.calender` predicts
    its target from (:func:`jump_source`): its labels, the thickness ratio to the target
    and its strain. A model trained with ``jump_fraction`` takes that many of its samples
    from these, so that the calender's few large steps are steps it was trained on (see the
    module doc)."""
    out = []
    for index in range(len(dataset)):
        series = dataset.series(index)
        labels, strain = series["labels"], np.asarray(series["strain"], dtype=float)
        for t in range(1, len(labels)):
            s = jump_source(series["phase"], t)
            out.append((labels[s], (1.0 - strain[t]) / (1.0 - strain[s]), float(strain[s])))
    return out


def porosity_floor(manifest: dict[str, Any]) -> float:
    """The line's porosity floor of a frames manifest (its line parameters)."""
    from electroforge.line.materials import LineParameters

    floor = manifest.get("line_parameters", {}).get("porosity_floor")
    return float(floor) if floor is not None else LineParameters().porosity_floor


def gap_ratio(dried: np.ndarray, cr: float, floor: float) -> float:
    """The thickness the roll takes a dried structure to, over its dried thickness: the
    gap ``1 - cr`` (``cr`` a fraction), or the film at the porosity ``floor`` where that is
    thicker (the line's roll compacts no further: ``(1 - eps0) / (1 - floor)`` by mass
    balance, ``eps0`` the dried porosity, CBD counted as solid;
    :func:`~electroforge.line.calendering.densest_thickness_um`).

    Example:
        >>> film = np.array([0, 0, 2, 2, 3])[:, None, None]        # porosity 0.5
        >>> gap_ratio(film, 0.1, 0.2), gap_ratio(film, 0.5, 0.2)
        (0.9, 0.625)
    """
    film = np.asarray(dried)[:film_height(dried)]
    porosity = float((film == 0).mean()) if film.size else 0.0
    return max(1.0 - float(cr), min(1.0, (1.0 - porosity) / (1.0 - float(floor))))


#: The terms of a spring-back law's slope (:func:`spring_back_law`): the film's spring-back
#: over the gap's strain is ``sum(c_k x_k)``, each ``x_k`` of the dried film and the gap
SPRING_BACK_TERMS = ("constant", "gap_strain", "cbd_fraction", "dried_porosity")


def spring_back_law(dataset) -> dict[str, Any]:
    """The films' spring-back fitted on a frames dataset, for a ``next`` model to unload to
    (:meth:`~electroforge.surrogates.fields.calendering.CalenderingModel.calender`): the
    final film height over the height at the roll's gap (:func:`gap_ratio`), less 1, fitted
    by least squares through 0 (no roll, no spring-back) two ways:

    - ``per_gap_strain``: proportional to the gap's strain (its ``rms`` beside it); on line v4
      (54 series) 0.187, so 5.6 % at a 30 % gap, rms 1.6 % (one layer of a 45-layer film is
      2.2 %);
    - ``slope_terms`` (where the series are at least twice the terms and span them): the
      gap's strain times a slope linear in the gap's strain, the dried film's CBD fraction
      and its porosity (:data:`SPRING_BACK_TERMS`, :func:`spring_back_fraction`; its
      ``slope_terms_rms`` beside it): the DEM's films spring back more the harder they are
      rolled and the less binder and pore they hold. On line v4: rms 0.9 % over the 54
      training series (1.2 % on the 18 held out, against 2.1 % for the proportional law),
      which halves the final porosity's error (benchmarks/calendering_surrogate.py, README).

    ``series``: how many series it saw. The DEM springs back 1-5 % over CR 10-50 % (the
    line's anchors).

    Example:
        >>> class Frames(list):
        ...     manifest = {}
        ...     def series(self, i): return self[i]
        >>> dried = np.array([2, 0] * 5 + [3] * 10)[:, None, None]    # 10 layers, half pore
        >>> def rolled(cr_pct, final_layers):           # the dried film and its final one
        ...     final = np.where(np.arange(20) < final_layers, 2, 3)[:, None, None]
        ...     return {"labels": np.stack([dried, final]), "cr_pct": cr_pct}
        >>> # gaps of 8 and 7 layers (CR 20 and 30 %), springing back to 9 and 8:
        >>> # (0.2 x 1/8 + 0.3 x 1/7) / (0.2^2 + 0.3^2)
        >>> law = spring_back_law(Frames([rolled(20.0, 9), rolled(30.0, 8)]))
        >>> round(law["per_gap_strain"], 4), law["series"], "slope_terms" in law
        (0.522, 2, False)
    """
    floor = porosity_floor(dataset.manifest)
    terms, backs = [], []
    for index in range(len(dataset)):
        series = dataset.series(index)
        labels = series["labels"]
        ratio = gap_ratio(labels[0], float(series["cr_pct"]) / 100.0, floor)
        terms.append(spring_back_terms(labels[0], 1.0 - ratio))
        backs.append(film_height(labels[-1]) / (ratio * film_height(labels[0])) - 1.0)
    terms, back = np.array(terms).reshape(-1, len(SPRING_BACK_TERMS)), np.array(backs)
    strain = terms[:, 1]
    slope = float(strain @ back / (strain @ strain)) if strain @ strain > 0 else 0.0
    law: dict[str, Any] = {"per_gap_strain": slope,
                           "rms": float(np.sqrt(np.mean((back - slope * strain) ** 2))),
                           "series": len(strain)}
    design = terms * strain[:, None]
    if len(back) >= 2 * len(SPRING_BACK_TERMS) \
            and np.linalg.matrix_rank(design) == len(SPRING_BACK_TERMS):
        coefficients = np.linalg.lstsq(design, back, rcond=None)[0]
        law["slope_terms"] = dict(zip(SPRING_BACK_TERMS, map(float, coefficients)))
        fitted = [spring_back_fraction(law, x) for x in terms]
        law["slope_terms_rms"] = float(np.sqrt(np.mean((back - fitted) ** 2)))
    return law


def spring_back_terms(dried: np.ndarray, gap_strain: float) -> tuple[float, ...]:
    """The values of :data:`SPRING_BACK_TERMS` for the dried labels rolled to a gap of
    ``gap_strain`` (the inputs of :func:`spring_back_fraction`)."""
    film = np.asarray(dried)[:film_height(dried)]
    fractions = np.bincount(film.ravel(), minlength=len(PHASES)) / max(film.size, 1)
    return 1.0, float(gap_strain), float(fractions[CBD]), float(fractions[PORE])


def spring_back_fraction(law: dict[str, Any], terms: tuple[float, ...]) -> float:
    """The spring-back (a fraction of the film at the gap) of a law of
    :func:`spring_back_law` for the values of :data:`SPRING_BACK_TERMS` (``terms[1]``, the
    gap's strain): its ``slope_terms`` where it has them, else ``per_gap_strain``; never
    below 0 (a film rolled does not shrink as it is unloaded).

    Example:
        >>> law = {"per_gap_strain": 0.2, "slope_terms": {"constant": 0.5, "gap_strain": 0.7,
        ...        "cbd_fraction": -0.7, "dried_porosity": -0.9}}
        >>> round(spring_back_fraction(law, (1.0, 0.3, 0.1, 0.45)), 4)   # 0.3 x 0.235
        0.0705
        >>> spring_back_fraction({"per_gap_strain": 0.2}, (1.0, 0.3, 0.1, 0.45))
        0.06
    """
    if "slope_terms" in law:
        slope = sum(law["slope_terms"][name] * x for name, x in zip(SPRING_BACK_TERMS, terms))
    else:
        slope = law["per_gap_strain"]
    return max(0.0, float(slope) * float(terms[1]))


def model_input(source: np.ndarray, thickness_ratio: float) -> torch.Tensor:
    """The network's input ``(phases, z, y, x)``: the phase fractions of ``source``
    ``(z, y, x)`` squeezed (or stretched) affinely in z to ``thickness_ratio`` of its
    film's height, void above (:func:`~electroforge.surrogates.fields.baselines.
    affine_fractions`; see the module doc)."""
    return affine_fractions(source, thickness_ratio)


def _stacked(data) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sources, ratios, conditions and targets of every sample as arrays (labels kept uint8;
    the inputs are made per batch), each structure padded with void to the tallest (the
    film's top is void; recipes differ in height)."""
    height = max(max(x.shape[0], y.shape[0]) for x, _, _, y in data)
    sources = np.stack([_padded(x, height) for x, _, _, _ in data])
    ratios = np.array([r for _, r, _, _ in data])
    conditions = np.stack([c for _, _, c, _ in data]).astype(np.float32)
    targets = np.stack([_padded(y, height) for _, _, _, y in data])
    return sources, ratios, conditions, targets


def _padded(labels: np.ndarray, height: int) -> np.ndarray:
    """``labels`` with void above them to ``height`` layers."""
    out = np.full((height, *labels.shape[1:]), VOID, dtype=np.uint8)
    out[:labels.shape[0]] = labels
    return out


def _jumped(batch: np.ndarray, jumps, rng: np.random.Generator, fraction: float,
            sources: np.ndarray, ratios: np.ndarray, conditions: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sources, ratios and conditions of a batch with each sample, at random with
    probability ``fraction``, from its jump source instead (``jumps``: the stacked labels,
    ratios and strains of :func:`jump_sources`; the source's strain is the last
    condition)."""
    jump = rng.random(len(batch)) < fraction
    labels, jump_ratios, strains = jumps
    x = np.where(jump[:, None, None, None], labels[batch], sources[batch])
    c = conditions[batch].copy()
    c[jump, -1] = strains[batch][jump]
    return x, np.where(jump, jump_ratios[batch], ratios[batch]), c


def _augmented(stacks: list[np.ndarray], rng: np.random.Generator,
               crop: int | None) -> list[np.ndarray]:
    """One random symmetry of the periodic box per sample (shift, flips, x-y transpose),
    the same for each of its structures (one per array of ``stacks``: its input and
    target, and for the pushforward its source's source), then a ``crop`` column (see the
    module doc)."""
    out: list[list[np.ndarray]] = [[] for _ in stacks]
    for sample in zip(*stacks):
        x = sample[0]
        shift = (int(rng.integers(x.shape[1])), int(rng.integers(x.shape[2])))
        flips, transpose = rng.integers(2, size=2), bool(rng.integers(2))
        for column, labels in zip(out, sample):
            labels = np.roll(labels, shift, axis=(1, 2))
            for axis in (1, 2):
                if flips[axis - 1]:
                    labels = labels[:, ::-1] if axis == 1 else labels[:, :, ::-1]
            if transpose:
                labels = labels.transpose(0, 2, 1)
            if crop:
                labels = labels[:, :crop, :crop]
            column.append(np.ascontiguousarray(labels))
    return [np.stack(column) for column in out]


def _first_frames(dataset) -> np.ndarray:
    """Whether each ``next`` sample of :func:`samples` has the dried structure as its
    source (the first transition of its series)."""
    return np.concatenate([np.arange(int(n) - 1) == 0 for n in dataset.table["n_frames"]])


def _pushed_forward(net, sources: np.ndarray, before: np.ndarray, ratios: np.ndarray,
                    conditions: np.ndarray, device: str) -> np.ndarray:
    """The sources of a batch as the model predicts them from ``before`` (the DEM's frames
    before them, under their own ``ratios`` and ``conditions``), finished as a rollout
    finishes a frame (see the module doc)."""
    from electroforge.surrogates.fields.baselines import film_height
    from electroforge.surrogates.fields.calendering import labels_from

    with torch.no_grad():
        x = torch.stack([model_input(one, r) for one, r in zip(before, ratios)])
        probabilities = net(x.to(device), torch.as_tensor(conditions).to(device)).softmax(
            dim=1).cpu()
    return np.stack([labels_from(p, b, (int((b == AM).sum()), int((b == CBD).sum())),
                                 film_height(s))
                     for p, b, s in zip(probabilities, before, sources)])


def _loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    probabilities = logits.softmax(dim=1)
    voxels = target[0].numel()
    volume = sum(((probabilities[:, phase].sum(dim=(1, 2, 3))
                   - (target == phase).sum(dim=(1, 2, 3))) / voxels) ** 2
                 for phase in (AM, CBD)).mean()
    return F.cross_entropy(logits, target) + _VOLUME_WEIGHT * volume


def data_hash(folder: str | os.PathLike[str]) -> str:
    """SHA-256 over a frames folder's series (their manifest entries and files): what the
    model saw, whatever the folder's path or the command that wrote it."""
    digest = hashlib.sha256()
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    digest.update(json.dumps(manifest["series"], sort_keys=True).encode())
    for entry in manifest["series"]:
        digest.update((folder / entry["file"]).read_bytes())
    return digest.hexdigest()


def train_calendering(frames_dir: str | os.PathLike[str], out: str | os.PathLike[str], *,
                      task: str = "direct", epochs: int = 20, seed: int = 0, width: int = 8,
                      depth: int = 2, lr: float = 3e-3, batch_size: int = 4,
                      crop: int | None = None, device: str = "cpu",
                      pushforward_from: int | None = None,
                      jump_fraction: float | None = None,
                      header: dict[str, Any] | None = None,
                      progress: Callable[[int, float], None] | None = None,
                      batch_progress: Callable[[int, int, int], None] | None = None
                      ) -> dict[str, Any]:
    """Train on a frames folder and write the model to ``out`` (see the module doc);
    returns its header. ``progress(epoch, loss)`` is called after every epoch and
    ``batch_progress(epoch, samples_done, samples)`` after every batch;
    ``crop``: train on random ``crop x crop`` columns of the box (default: the whole box);
    ``pushforward_from``: the epoch (counted from 0) from which a ``next`` model is fed its
    own predictions (default: never); ``jump_fraction``: the share of a ``next`` model's
    samples taken from the sources its calender steps from (:func:`jump_sources`; default:
    none, every sample from the frame before)."""
    from electroforge.datasets.frames import read_frames
    from electroforge.surrogates.fields.files import (load_checkpoint, save_checkpoint,
                                                      save_field_model)
    from electroforge.threads import single_threaded

    dataset = read_frames(frames_dir)
    if not len(dataset):
        raise InputError("no series to train on", source=str(frames_dir),
                         allowed="a frames folder with at least one series")
    if pushforward_from is not None and (task != "next" or not 0 <= pushforward_from):
        raise InputError("the pushforward trains a next-frame model", field="--pushforward-from",
                         value=f"{pushforward_from} (task {task})",
                         allowed="an epoch >= 0 with --task next")
    if jump_fraction is not None and (task != "next" or not 0.0 < jump_fraction <= 1.0
                                      or pushforward_from is not None):
        raise InputError("jumps train a next-frame model without the pushforward",
                         field="--jump-fraction",
                         value=f"{jump_fraction} (task {task}"
                         + (", with --pushforward-from)" if pushforward_from is not None
                            else ")"),
                         allowed="a fraction in (0, 1] with --task next")
    data = samples(dataset, task, source_strain=jump_fraction is not None)
    first = _first_frames(dataset) if pushforward_from is not None else None
    n_conditions = len(data[0][2])
    config = {"n_phases": len(PHASES), "in_frames": 1, "n_conditions": n_conditions,
              "width": width, "depth": depth}
    if crop is not None and not 8 <= crop <= min(x.shape[1] for x, *_ in data):
        raise InputError("the crop must fit the structures", field="--crop", value=crop,
                         allowed=f"8 to {min(x.shape[1] for x, *_ in data)} voxels")
    content = {"task": task, "input": INPUT, "seed": seed, "epochs": epochs, "lr": lr,
               "batch_size": batch_size, "crop": crop,
               "data_sha256": data_hash(frames_dir),
               "line_version": dataset.manifest.get("line_version"),
               "voxel_um": float(dataset.table["voxel_um"].iloc[0]),
               "porosity_floor": porosity_floor(dataset.manifest),
               "conditions": ["cr_fraction", "gap_strain"] if task == "direct"
               else ["cr_fraction", "phase_code", "strain"]
               + ["source_strain"] * (jump_fraction is not None),
               **({"pushforward_from": pushforward_from} if pushforward_from is not None
                  else {}),
               **({"jump_fraction": jump_fraction} if jump_fraction is not None else {}),
               # a next model unloads to the spring-back its training films showed
               **({"spring_back": spring_back_law(dataset)} if task == "next" else {}),
               **(header or {})}
    checkpoint = Path(str(out) + ".checkpoint")
    with single_threaded():
        torch.manual_seed(seed)
        net = FiLMUNet3d(**config).to(device)
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        start = 0
        # what makes a training the same one: everything but how the command was typed
        identity = json.loads(json.dumps({k: v for k, v in content.items() if k != "command"}
                                         | {"config": config}))
        if checkpoint.is_file():
            start = load_checkpoint(checkpoint, net, optimizer, identity)
        sources, ratios, conditions, targets = _stacked(data)
        if jump_fraction is not None:
            jumps = jump_sources(dataset)
            jumps = (np.stack([_padded(x, sources.shape[1]) for x, _, _ in jumps]),
                     np.array([r for _, r, _ in jumps]),
                     np.array([s for _, _, s in jumps], dtype=np.float32))
        for epoch in range(start, epochs):
            rng = np.random.default_rng([seed, epoch])      # the same epoch after a resume
            order = rng.permutation(len(data))
            total = 0.0
            for start_of in range(0, len(data), batch_size):
                batch = order[start_of:start_of + batch_size]
                batch_sources, batch_ratios, batch_conditions = (
                    sources[batch], ratios[batch], conditions[batch])
                if jump_fraction is not None:
                    batch_sources, batch_ratios, batch_conditions = _jumped(
                        batch, jumps, rng, jump_fraction, sources, ratios, conditions)
                if pushforward_from is None or epoch < pushforward_from:
                    x, y = _augmented([batch_sources, targets[batch]], rng, crop)
                else:
                    # the sample before each is the one whose target is its source
                    before = np.where(first[batch], batch, batch - 1)
                    x, y, b = _augmented([sources[batch], targets[batch], sources[before]],
                                         rng, crop)
                    pushed = _pushed_forward(net, x, b, ratios[before], conditions[before],
                                             device)
                    x = np.where(first[batch][:, None, None, None], x, pushed)
                x = torch.stack([model_input(one, r) for one, r in zip(x, batch_ratios)])
                optimizer.zero_grad()
                loss = _loss(net(x.to(device),
                                 torch.as_tensor(batch_conditions).to(device)),
                             torch.as_tensor(y, dtype=torch.long).to(device))
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(batch)
                if batch_progress is not None:
                    batch_progress(epoch + 1, start_of + len(batch), len(data))
            save_checkpoint(checkpoint, net, optimizer, epoch + 1, identity)
            if progress is not None:
                progress(epoch + 1, total / len(data))
    save_field_model(net.cpu(), out, content)
    checkpoint.unlink(missing_ok=True)
    return content
