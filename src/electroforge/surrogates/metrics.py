"""Validation metrics of the reference study (its Eqs. 4 and 5)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from electroforge.errors import InputError

__all__ = ["r2_score", "rmse_pct"]


def rmse_pct(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Relative root-mean-square error in percent: ``sqrt(mean(((p - t) / t)^2)) * 100``.

    Example:
        >>> round(rmse_pct([1.0, 2.0], [1.1, 1.8]), 12)   # both 10 % off
        10.0
    """
    truth, pred = _pair(y_true, y_pred)
    if np.any(truth == 0):
        raise InputError("relative error is undefined where the true value is 0",
                         field="y_true", value=0, allowed="non-zero true values")
    return float(np.sqrt(np.mean(((pred - truth) / truth) ** 2)) * 100.0)


def r2_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot``.

    Example:
        >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]), r2_score([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
        (1.0, 0.0)
    """
    truth, pred = _pair(y_true, y_pred)
    ss_tot = float(np.sum((truth - truth.mean()) ** 2))
    if ss_tot == 0:
        raise InputError("R2 is undefined for constant true values", field="y_true",
                         allowed="two or more distinct true values")
    return 1.0 - float(np.sum((truth - pred) ** 2)) / ss_tot


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    truth = np.asarray(y_true, dtype=float).ravel()
    pred = np.asarray(y_pred, dtype=float).ravel()
    if truth.shape != pred.shape or truth.size == 0:
        raise InputError("y_true and y_pred must be non-empty and of the same length",
                         field="y_pred", value=pred.size, allowed=f"{truth.size} values")
    if not (np.isfinite(truth).all() and np.isfinite(pred).all()):
        raise InputError("values must be finite", field="y_true/y_pred", allowed="finite numbers")
    return truth, pred
