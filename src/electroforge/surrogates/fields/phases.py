"""The line's voxel phases and the volumes a predicted structure must keep.

Labels as the line writes them (:mod:`electroforge.line.frames`): pore 0, CBD 1, AM 2, void
3 (above the film). Calendering moves material; it creates and destroys none, so a
predicted frame must hold the dried structure's AM and CBD volumes. Two tools:

- :func:`conserve_volumes`: phase probabilities ``(..., phases, z, y, x)`` rescaled by
  iterative proportional fitting so that each voxel's probabilities still sum to 1 and
  each phase's total is its target (the soft form, differentiable, for training);
- :func:`assign_phases`: hard labels with the AM and CBD voxel counts exact: the AM target
  count of voxels most likely AM, then the CBD count of the rest most likely CBD, then the
  void count (if given) of the rest most likely void; what is left is pore or void,
  whichever is likelier;
- :func:`pin_film_top`: probabilities of a film whose top is known (the roll's schedule
  states it): void above, none below, as the line labels its images (void is every voxel
  whose centre lies above the film's top, a flat plane).
"""

from __future__ import annotations

import torch

__all__ = ["AM", "CBD", "PHASES", "PORE", "VOID", "assign_phases", "conserve_volumes",
           "pin_film_top"]

PORE, CBD, AM, VOID = 0, 1, 2, 3
PHASES = ("pore", "cbd", "am", "void")


def conserve_volumes(probabilities: torch.Tensor, targets: torch.Tensor, *,
                     iterations: int = 20) -> torch.Tensor:
    """Probabilities ``(batch, phases, *space)`` whose per-phase sums over space equal
    ``targets`` (``(batch, phases)``, voxel counts summing to the voxels of a sample),
    each voxel's still summing to 1.

    Example:
        >>> p = torch.full((1, 2, 4), 0.5)
        >>> q = conserve_volumes(p, torch.tensor([[1.0, 3.0]]))
        >>> [round(v, 4) for v in q.sum(dim=-1)[0].tolist()], q.sum(dim=1).allclose(torch.ones(1, 4))
        ([1.0, 3.0], True)
    """
    batch, phases = probabilities.shape[:2]
    p = probabilities.reshape(batch, phases, -1).clamp_min(1e-12)
    t = targets.to(p).reshape(batch, phases, 1)
    for _ in range(iterations):
        p = p * (t / p.sum(dim=-1, keepdim=True).clamp_min(1e-12))   # phase totals
        p = p / p.sum(dim=1, keepdim=True)                           # each voxel sums to 1
    return p.reshape(probabilities.shape)


def assign_phases(probabilities: torch.Tensor, am_voxels: int, cbd_voxels: int,
                  void_voxels: int | None = None) -> torch.Tensor:
    """Labels ``(*space)`` from one sample's probabilities ``(phases, *space)`` with exactly
    ``am_voxels`` AM and ``cbd_voxels`` CBD voxels (and ``void_voxels`` void if given).

    Example:
        >>> p = torch.tensor([[0.7, 0.1, 0.1, 0.1], [0.1, 0.2, 0.1, 0.1],
        ...                   [0.1, 0.6, 0.7, 0.1], [0.1, 0.1, 0.1, 0.7]])
        >>> assign_phases(p, am_voxels=1, cbd_voxels=1).tolist()
        [0, 1, 2, 3]
    """
    shape = probabilities.shape[1:]
    flat = probabilities.reshape(probabilities.shape[0], -1)
    # what no count claims is pore or void, whichever is likelier (void above the film)
    labels = torch.where(flat[VOID] > flat[PORE], VOID, PORE).to(torch.uint8) \
        if flat.shape[0] > VOID else torch.full((flat.shape[1],), PORE, dtype=torch.uint8)
    free = torch.ones(flat.shape[1], dtype=torch.bool)
    for phase, count in ((AM, am_voxels), (CBD, cbd_voxels), (VOID, void_voxels)):
        if count is None or count <= 0:
            continue
        score = torch.where(free, flat[phase], torch.tensor(-1.0, dtype=flat.dtype))
        chosen = torch.topk(score, int(min(count, int(free.sum())))).indices
        labels[chosen] = phase
        free[chosen] = False
    return labels.reshape(shape)


def pin_film_top(probabilities: torch.Tensor, film_layers: int) -> torch.Tensor:
    """Probabilities ``(phases, z, y, x)`` with layers ``film_layers`` and up void and no
    void below (see the module doc); :func:`assign_phases` given the void voxels of the
    pinned copy then keeps the film's height, and with the AM and CBD counts its porosity
    follows by mass balance.

    Example:
        >>> p = torch.full((4, 3, 1, 1), 0.25)
        >>> pin_film_top(p, 2)[:, :, 0, 0].T.tolist()
        [[0.25, 0.25, 0.25, 0.0], [0.25, 0.25, 0.25, 0.0], [0.0, 0.0, 0.0, 1.0]]
    """
    pinned = probabilities.clone()
    pinned[:, film_layers:] = 0.0
    pinned[VOID, film_layers:] = 1.0
    pinned[VOID, :film_layers] = 0.0
    return pinned
