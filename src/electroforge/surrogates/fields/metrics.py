"""Scores of predicted voxel structures."""

from __future__ import annotations

import numpy as np

from electroforge.surrogates.fields.phases import PHASES, VOID

__all__ = ["voxel_r2"]


def voxel_r2(predicted: np.ndarray, truth: np.ndarray) -> float:
    """The reference's voxel R2 (calendering-deep-learning, Eq. 3) on one-hot phases,
    over the voxels that are film in the truth or the prediction (void above both does
    not count, nor does the label coding): ``1 - sum (onehot_pred - onehot_true)^2 /
    sum (onehot_true - its mean)^2``.

    Example:
        >>> truth = np.array([0, 1, 2, 2, 3])
        >>> voxel_r2(truth, truth)
        1.0
        >>> round(voxel_r2(np.array([0, 1, 2, 1, 3]), truth), 3)
        0.2
    """
    predicted, truth = np.asarray(predicted).ravel(), np.asarray(truth).ravel()
    if predicted.shape != truth.shape:
        raise ValueError(f"shapes differ: {predicted.shape} and {truth.shape}")
    film = (truth != VOID) | (predicted != VOID)
    eye = np.eye(len(PHASES))
    p, t = eye[predicted[film]], eye[truth[film]]
    total = float(((t - t.mean(axis=0)) ** 2).sum())
    return 1.0 - float(((p - t) ** 2).sum()) / total if total > 0 else float("nan")
