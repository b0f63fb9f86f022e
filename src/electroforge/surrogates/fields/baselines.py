"""The baselines a calendering surrogate must beat (issue 15; the reference compared
with none):

- :func:`copy_previous`: each frame predicted as the one before it (what an
  autoregressive model gains over standing still);
- :func:`affine_z`: the dried structure squeezed uniformly in z to the target thickness
  (nearest layer; void above);
- :func:`affine_conserving`: the same squeeze made of the squeezed phase fractions
  (:func:`affine_fractions`) with the source's AM and CBD voxel counts kept exactly: at the
  true final thickness its porosity is right by mass balance, so it is compared on what it
  gets wrong: the particles do not deform uniformly, they rearrange, which is what the
  tortuosity, the conductivity and the contact areas measure.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from electroforge.surrogates.fields.phases import AM, CBD, PHASES, VOID, assign_phases

__all__ = ["affine_conserving", "affine_fractions", "affine_z", "copy_previous", "film_height"]


def film_height(labels: np.ndarray) -> int:
    """Layers of a structure ``(n_z, y, x)`` below its void (the highest non-void layer + 1)."""
    solid = np.flatnonzero((labels != VOID).any(axis=(1, 2)))
    return int(solid[-1]) + 1 if len(solid) else 0


def affine_z(labels: np.ndarray, thickness_ratio: float) -> np.ndarray:
    """``labels`` ``(n_z, y, x)`` scaled in z to ``thickness_ratio`` of its film's
    height: layer ``z`` of the result is layer ``floor(z / ratio)`` of the film, void above
    (a ratio above 1 stretches the film, as a spring-back does, up to the array's top).

    Example:
        >>> dried = np.array([0, 1, 2, 2, 3, 3])[:, None, None]
        >>> affine_z(dried, 0.5)[:, 0, 0].tolist()
        [0, 2, 3, 3, 3, 3]
        >>> affine_z(dried, 1.5)[:, 0, 0].tolist()
        [0, 0, 1, 2, 2, 2]
    """
    if not thickness_ratio > 0:
        raise ValueError(f"thickness_ratio {thickness_ratio} is not positive")
    height = film_height(labels)
    out = np.full_like(labels, VOID)
    for z in range(min(len(labels), int(round(height * thickness_ratio)))):
        out[z] = labels[min(height - 1, int(z / thickness_ratio))]
    return out


def copy_previous(frames: np.ndarray) -> np.ndarray:
    """Predictions of frames ``1..`` of a series ``(frames, n_z, y, x)``: each the one
    before."""
    return np.asarray(frames)[:-1].copy()


def affine_fractions(source: np.ndarray, thickness_ratio: float) -> torch.Tensor:
    """The network's input ``(phases, z, y, x)``: the phase fractions of ``source``
    ``(z, y, x)`` squeezed (or stretched) affinely in z to ``thickness_ratio`` of its
    film's height, void above: each output layer holds the mean of the source's one-hot
    phases over the stretch of film it maps to (no layer dropped, as a nearest-layer squeeze
    drops them).

    Example:
        >>> film = np.array([0, 2, 2, 3])[:, None, None]          # pore, AM, AM, void
        >>> affine_fractions(film, 0.5)[:, :, 0, 0].T.tolist()         # layers x (pore..void)
        [[0.5, 0.0, 0.5, 0.0], [0.0, 0.0, 0.5, 0.5], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0]]
    """
    source = np.asarray(source)
    ratio = max(float(thickness_ratio), 1e-3)
    height, n_z = film_height(source), source.shape[0]
    # weight of source layer k in output layer z: the overlap of [z, z+1] / ratio with
    # [k, k+1], in units of the output layer
    lo = np.arange(n_z)[:, None] / ratio
    k = np.arange(height)[None, :]
    weights = np.clip(np.minimum(lo + 1.0 / ratio, k + 1) - np.maximum(lo, k), 0.0, None) * ratio
    hot = F.one_hot(torch.as_tensor(source[:height], dtype=torch.long), len(PHASES)).movedim(-1, 0).float()
    out = torch.einsum("zk,pkyx->pzyx", torch.as_tensor(weights, dtype=torch.float32), hot)
    out[VOID] += torch.as_tensor(1.0 - weights.sum(axis=1), dtype=torch.float32)[:, None, None]
    return out


def affine_conserving(labels: np.ndarray, thickness_ratio: float) -> np.ndarray:
    """``labels`` squeezed to ``thickness_ratio`` of its film's height with its AM and CBD
    voxel counts kept: the AM count of film voxels with the most squeezed AM fraction, then
    the CBD's, then the void the squeeze leaves above (see :func:`affine_fractions`). A
    squeezed solid holds fewer voxels than the solid it came from, so the rest is taken
    where the phase is densest around (its fraction smoothed over ~1.5 voxels breaks the
    ties): the pores next to the solid close, as a mass-conserving squeeze closes them.

    Example:
        >>> film = np.array([0, 2, 0, 2, 3, 3])[:, None, None]
        >>> affine_conserving(film, 0.5)[:, 0, 0].tolist()
        [2, 2, 3, 3, 3, 3]
    """
    from scipy import ndimage

    labels = np.asarray(labels)
    fractions = affine_fractions(labels, thickness_ratio).numpy()
    scores = fractions.copy()
    above = fractions[VOID] > 1.0 - 1e-6
    for phase in (AM, CBD):
        smooth = ndimage.gaussian_filter(fractions[phase], 1.5, mode=("nearest", "wrap", "wrap"))
        scores[phase] = np.where(above, -1.0, fractions[phase] + 1e-3 * smooth)
    void = int(round(float(fractions[VOID].sum())))
    return assign_phases(torch.as_tensor(scores), int((labels == AM).sum()),
                         int((labels == CBD).sum()), void).numpy().astype(np.uint8)
