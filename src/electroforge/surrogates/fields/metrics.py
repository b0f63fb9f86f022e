"""Scores of predicted voxel structures."""

from __future__ import annotations

import numpy as np

from electroforge.surrogates.fields.phases import PHASES, VOID

__all__ = ["REFERENCE_LABEL_VALUES", "reference_r2", "voxel_r2"]

#: The reference's voxel values of pore, CBD, AM and void (calendering-deep-learning.txt,
#: Sec. 2.2: "0 for pores, 1 for CBD, and 2 for AM ... a type 4 ... the void")
REFERENCE_LABEL_VALUES = (0.0, 1.0, 2.0, 4.0)


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
    predicted, truth = _flat_pair(predicted, truth)
    film = (truth != VOID) | (predicted != VOID)
    eye = np.eye(len(PHASES))
    return _r2(eye[predicted[film]], eye[truth[film]])


def reference_r2(predicted: np.ndarray, truth: np.ndarray) -> float:
    """The voxel R2 as the reference computed it (calendering-deep-learning, Eqs. 3-4): on
    the raw voxel values (pore 0, CBD 1, AM 2, void 4: :data:`REFERENCE_LABEL_VALUES`) over
    the whole array, void included. For comparison with its figures only: the void above
    the film, which any model gets right once it has the film's height, and the label
    coding (AM for pore costs 4, CBD for pore 1) weigh in it; :func:`voxel_r2` is the score.

    Example:
        >>> truth = np.array([0, 1, 2, 2, 3])
        >>> round(reference_r2(np.array([0, 1, 2, 1, 3]), truth), 3)
        0.886
        >>> round(voxel_r2(np.array([0, 1, 2, 1, 3]), truth), 3)
        0.2
    """
    predicted, truth = _flat_pair(predicted, truth)
    values = np.asarray(REFERENCE_LABEL_VALUES)
    return _r2(values[predicted], values[truth])


def _flat_pair(predicted: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both label arrays flattened, refused if their shapes differ."""
    predicted, truth = np.asarray(predicted).ravel(), np.asarray(truth).ravel()
    if predicted.shape != truth.shape:
        raise ValueError(f"shapes differ: {predicted.shape} and {truth.shape}")
    return predicted, truth


def _r2(predicted: np.ndarray, truth: np.ndarray) -> float:
    """``1 - sum (predicted - truth)^2 / sum (truth - its mean)^2`` over the voxels (axis 0),
    NaN where the truth is uniform."""
    total = float(((truth - truth.mean(axis=0)) ** 2).sum())
    return 1.0 - float(((predicted - truth) ** 2).sum()) / total if total > 0 else float("nan")
