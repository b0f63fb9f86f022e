"""Voxel images of particle states: pore 0, CBD 1, AM 2, void above the film 3.

Axis 0 is through-plane (index 0 at the current collector), as taufactor expects its
flux direction; axes 1 and 2 are the periodic in-plane directions.

Volumes are conserved. Spheres overlap where the DEM deformed them, and small spheres
lose volume to the grid, so: the AM spheres are drawn with a common radius factor
found by bisection so that the AM voxel count equals the AM volume (the reference's
"dilation-erosion mapping ... keeping the volume fraction of the AM unchanged"); the
CBD spheres are drawn likewise to hold ``1 - cbd_neck_fraction`` of the CBD volume, and
the rest of the CBD volume fills the narrowest pores first (see :func:`_fill_necks`):
the necks where particles meet, which is where binder bridges sit and what lets the CBD
percolate at coarse grids, as real CBD does.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy import ndimage

from electroforge.errors import InputError

__all__ = ["PORE", "CBD", "AM", "VOID", "voxelize", "voxel_size_um"]

PORE, CBD, AM, VOID = 0, 1, 2, 3
_BISECTION_STEPS = 30


def voxel_size_um(footprint_um: float, grid: int) -> float:
    return footprint_um / grid


def voxelize(positions_um: np.ndarray, radii_um: np.ndarray, kinds: np.ndarray, *,
             footprint_um: float, top_um: float, grid: int, am_volume_um3: float,
             cbd_volume_um3: float, cbd_neck_fraction: float) -> np.ndarray:
    """Label image (uint8) of shape ``(n_z, grid, grid)`` with n_z = ceil(top / voxel)."""
    voxel = voxel_size_um(footprint_um, grid)
    smallest = float(np.min(radii_um))
    if 2.0 * smallest < 2.0 * voxel:
        raise InputError("grid too coarse for the smallest particle", field="grid", value=grid,
                         allowed=f"voxels of at most {smallest:.2f} um (the smallest radius): "
                         f"grid >= {math.ceil(footprint_um / smallest)}")
    n_z = max(1, math.ceil(top_um / voxel - 1e-9))
    labels = np.zeros((n_z, grid, grid), dtype=np.uint8)
    centre_z = (np.arange(n_z) + 0.5) * voxel
    labels[centre_z > top_um] = VOID
    cell = voxel**3

    am = kinds == AM
    _draw_to_volume(labels, positions_um[am], radii_um[am], AM, round(am_volume_um3 / cell),
                    voxel, keep=(VOID,))
    cbd_target = round(cbd_volume_um3 / cell)
    spheres = round((1.0 - cbd_neck_fraction) * cbd_target)
    cbd = kinds == CBD
    if spheres > 0:
        _draw_to_volume(labels, positions_um[cbd], radii_um[cbd], CBD, spheres, voxel,
                        keep=(VOID, AM))
    _fill_necks(labels, cbd_target - int(np.count_nonzero(labels == CBD)))
    return labels


def _draw_to_volume(labels: np.ndarray, centres: np.ndarray, radii: np.ndarray, phase: int,
                    target: int, voxel: float, *, keep: tuple[int, ...]) -> None:
    """Draw spheres as ``phase`` with radii scaled so that ``target`` voxels get it."""
    if len(radii) == 0 or target <= 0:
        return
    protected = np.isin(labels, keep)
    low, high = 0.0, 1.0
    while _count(labels.shape, protected, centres, radii * high, voxel) < target and high < 8:
        low, high = high, high * 1.25
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (low + high)
        if _count(labels.shape, protected, centres, radii * mid, voxel) < target:
            low = mid
        else:
            high = mid
    mask = np.zeros(labels.shape, dtype=np.bool_)
    _rasterize(mask, protected, centres, radii * high, voxel)
    drawn = np.flatnonzero(mask)
    if len(drawn) > target:  # the last radius step overshoots by a shell: trim its outermost
        distance = _distance_to_nearest_centre(drawn, labels.shape, centres, radii * high, voxel)
        drawn = drawn[np.argsort(distance, kind="stable")[:target]]
    labels.ravel()[drawn] = phase


def _count(shape, protected, centres, radii, voxel) -> int:
    mask = np.zeros(shape, dtype=np.bool_)
    _rasterize(mask, protected, centres, radii, voxel)
    return int(np.count_nonzero(mask))


@numba.njit(cache=True)
def _rasterize(mask, protected, centres, radii, voxel):
    n_z, n_y, n_x = mask.shape
    for s in range(radii.shape[0]):
        r = radii[s]
        cx, cy, cz = centres[s, 0] / voxel, centres[s, 1] / voxel, centres[s, 2] / voxel
        rv = r / voxel
        for k in range(int(np.floor(cz - rv - 0.5)), int(np.ceil(cz + rv + 0.5)) + 1):
            if k < 0 or k >= n_z:
                continue
            dz = k + 0.5 - cz
            for j in range(int(np.floor(cy - rv - 0.5)), int(np.ceil(cy + rv + 0.5)) + 1):
                dy = j + 0.5 - cy
                jj = j % n_y
                for i in range(int(np.floor(cx - rv - 0.5)), int(np.ceil(cx + rv + 0.5)) + 1):
                    dx = i + 0.5 - cx
                    if dx * dx + dy * dy + dz * dz <= rv * rv:
                        ii = i % n_x
                        if not protected[k, jj, ii]:
                            mask[k, jj, ii] = True


def _distance_to_nearest_centre(flat, shape, centres, radii, voxel):
    """For each voxel: smallest (distance to a sphere centre - that sphere's radius)."""
    k, j, i = np.unravel_index(flat, shape)
    points = np.column_stack([(i + 0.5) * voxel, (j + 0.5) * voxel, (k + 0.5) * voxel])
    box = shape[1] * voxel
    best = np.full(len(flat), np.inf)
    for centre, radius in zip(centres, radii):
        delta = points - centre
        delta[:, :2] -= box * np.round(delta[:, :2] / box)
        best = np.minimum(best, np.linalg.norm(delta, axis=1) - radius)
    return best


def _fill_necks(labels: np.ndarray, count: int) -> None:
    """Turn ``count`` pore voxels into CBD, narrowest pores first (ties: most AM around).

    As the film dries, capillary forces pull the binder solution into the narrowest gaps,
    which are the necks between touching particles, and it dries there. The pore size of a
    voxel is its local thickness (porespy: the largest sphere inside the pores that
    covers it), so whole crevices fill before open pores, and open AM surfaces stay
    uncovered.
    """
    if count <= 0:
        return
    import porespy

    pores = labels == PORE
    if not pores.any():
        return
    previous = porespy.settings.ncores
    porespy.settings.ncores = 1  # one thread: reproducible, and fair to parallel workers
    try:
        thickness = porespy.filters.local_thickness(pores, method="dt", sizes=16)
    finally:
        porespy.settings.ncores = previous
    am_share = ndimage.uniform_filter((labels == AM).astype(np.float32), size=5,
                                      mode=("nearest", "wrap", "wrap"))
    score = thickness.astype(np.float32) - 0.5 * am_share
    candidates = np.flatnonzero(pores.ravel())
    chosen = candidates[np.argsort(score.ravel()[candidates], kind="stable")[:count]]
    labels.ravel()[chosen] = CBD
