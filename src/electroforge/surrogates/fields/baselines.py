"""The baselines a calendering surrogate must beat (issue 15; the reference compared
with none):

- :func:`copy_previous`: each frame predicted as the one before it (what an
  autoregressive model gains over standing still);
- :func:`affine_z`: the dried structure squeezed uniformly in z to the target thickness
  (nearest layer; void above). Its porosity follows from mass balance, so it is compared
  on what it gets wrong: the particles do not deform uniformly, they rearrange, which is
  what the tortuosity, the conductivity and the contact areas measure.
"""

from __future__ import annotations

import numpy as np

from electroforge.surrogates.fields.phases import VOID

__all__ = ["affine_z", "copy_previous", "film_height"]


def film_height(labels: np.ndarray) -> int:
    """Layers of a structure ``(n_z, y, x)`` below its void (the highest non-void layer + 1)."""
    solid = np.flatnonzero((labels != VOID).any(axis=(1, 2)))
    return int(solid[-1]) + 1 if len(solid) else 0


def affine_z(labels: np.ndarray, thickness_ratio: float) -> np.ndarray:
    """``labels`` ``(n_z, y, x)`` compressed in z to ``thickness_ratio`` of its film's
    height: layer ``z`` of the result is layer ``floor(z / ratio)`` of the film, void above.

    Example:
        >>> dried = np.array([0, 1, 2, 2, 3, 3])[:, None, None]
        >>> affine_z(dried, 0.5)[:, 0, 0].tolist()
        [0, 2, 3, 3, 3, 3]
    """
    if not 0 < thickness_ratio <= 1:
        raise ValueError(f"thickness_ratio {thickness_ratio} is not in (0, 1]")
    height = film_height(labels)
    out = np.full_like(labels, VOID)
    for z in range(int(round(height * thickness_ratio))):
        out[z] = labels[min(height - 1, int(z / thickness_ratio))]
    return out


def copy_previous(frames: np.ndarray) -> np.ndarray:
    """Predictions of frames ``1..`` of a series ``(frames, n_z, y, x)``: each the one
    before."""
    return np.asarray(frames)[:-1].copy()
