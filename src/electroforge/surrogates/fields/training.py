"""Training the calendering surrogate on frame series (``electroforge line frames``).

Two tasks, one network each, both conditioned on the compression:

- ``direct``: the dried structure and the CR to the final, sprung-back structure
  (conditions: CR/100; no error accumulates);
- ``next``: each frame from the one before (the reference's task, rolled out through
  loading and spring-back; conditions: CR/100, the target frame's phase code and strain).

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
from electroforge.surrogates.fields.phases import AM, CBD, PHASES, VOID
from electroforge.surrogates.fields.unet import FiLMUNet3d

__all__ = ["PHASE_CODES", "TASKS", "samples", "train_calendering"]

TASKS = ("direct", "next")
#: Frame phases as a condition (dried 0, loading 0.5, unloading 1).
PHASE_CODES = {"dried": 0.0, "loading": 0.5, "unloading": 1.0}
_VOLUME_WEIGHT = 10.0


def samples(dataset, task: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(input labels, conditions, target labels) of every series of a
    :class:`~electroforge.datasets.frames.FrameSeries` for ``task``."""
    if task not in TASKS:
        raise InputError("unknown task", field="task", value=repr(task), allowed=", ".join(TASKS))
    out = []
    for index in range(len(dataset)):
        series = dataset.series(index)
        labels, cr = series["labels"], float(series["cr_pct"]) / 100.0
        if task == "direct":
            out.append((labels[0], np.array([cr]), labels[-1]))
            continue
        for t in range(1, len(labels)):
            code = PHASE_CODES.get(str(series["phase"][t]), 0.0)
            out.append((labels[t - 1], np.array([cr, code, float(series["strain"][t])]),
                        labels[t]))
    return out


def _one_hot(labels: np.ndarray) -> torch.Tensor:
    return F.one_hot(torch.as_tensor(labels, dtype=torch.long), len(PHASES)).permute(
        3, 0, 1, 2).float()


def _stacked(data) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs (one-hot), conditions and targets of every sample as tensors, each structure
    padded with void to the tallest (the film's top is void; recipes differ in height)."""
    height = max(max(x.shape[0], y.shape[0]) for x, _, y in data)

    def padded(labels: np.ndarray) -> np.ndarray:
        out = np.full((height, *labels.shape[1:]), VOID, dtype=np.int64)
        out[:labels.shape[0]] = labels
        return out

    inputs = torch.stack([_one_hot(padded(x)) for x, _, _ in data])
    conditions = torch.as_tensor(np.stack([c for _, c, _ in data]), dtype=torch.float32)
    targets = torch.as_tensor(np.stack([padded(y) for _, _, y in data]), dtype=torch.long)
    return inputs, conditions, targets


def _loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    probabilities = logits.softmax(dim=1)
    voxels = target[0].numel()
    volume = sum(((probabilities[:, phase].sum(dim=(1, 2, 3))
                   - (target == phase).sum(dim=(1, 2, 3))) / voxels) ** 2
                 for phase in (AM, CBD)).mean()
    return F.cross_entropy(logits, target) + _VOLUME_WEIGHT * volume


def data_hash(folder: str | os.PathLike[str]) -> str:
    """SHA-256 over a frames folder's manifest and series files (what the model saw)."""
    digest = hashlib.sha256()
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    digest.update((folder / "manifest.json").read_bytes())
    for entry in manifest["series"]:
        digest.update((folder / entry["file"]).read_bytes())
    return digest.hexdigest()


def train_calendering(frames_dir: str | os.PathLike[str], out: str | os.PathLike[str], *,
                      task: str = "direct", epochs: int = 20, seed: int = 0, width: int = 8,
                      depth: int = 2, lr: float = 3e-3, batch_size: int = 4,
                      device: str = "cpu",
                      header: dict[str, Any] | None = None,
                      progress: Callable[[int, float], None] | None = None) -> dict[str, Any]:
    """Train on a frames folder and write the model to ``out`` (see the module doc);
    returns its header. ``progress(epoch, loss)`` is called after every epoch."""
    from electroforge.datasets.frames import read_frames
    from electroforge.surrogates.fields.files import (load_checkpoint, save_checkpoint,
                                                      save_field_model)
    from electroforge.threads import single_threaded

    dataset = read_frames(frames_dir)
    if not len(dataset):
        raise InputError("no series to train on", source=str(frames_dir),
                         allowed="a frames folder with at least one series")
    data = samples(dataset, task)
    n_conditions = len(data[0][1])
    config = {"n_phases": len(PHASES), "in_frames": 1, "n_conditions": n_conditions,
              "width": width, "depth": depth}
    content = {"task": task, "seed": seed, "epochs": epochs, "lr": lr,
               "batch_size": batch_size,
               "data_sha256": data_hash(frames_dir),
               "line_version": dataset.manifest.get("line_version"),
               "voxel_um": float(dataset.table["voxel_um"].iloc[0]),
               "conditions": ["cr_fraction"] if task == "direct"
               else ["cr_fraction", "phase_code", "strain"], **(header or {})}
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
        inputs, conditions, targets = _stacked(data)
        order_rng = np.random.default_rng(seed)
        orders = [order_rng.permutation(len(data)) for _ in range(epochs)]
        for epoch in range(start, epochs):
            total = 0.0
            for first in range(0, len(data), batch_size):
                batch = torch.as_tensor(orders[epoch][first:first + batch_size])
                optimizer.zero_grad()
                loss = _loss(net(inputs[batch].to(device), conditions[batch].to(device)),
                             targets[batch].to(device))
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(batch)
            save_checkpoint(checkpoint, net, optimizer, epoch + 1, identity)
            if progress is not None:
                progress(epoch + 1, total / len(data))
    save_field_model(net.cpu(), out, content)
    checkpoint.unlink(missing_ok=True)
    return content
