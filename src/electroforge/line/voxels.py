"""Voxel images of particle states: pore 0, CBD 1, AM 2, void above the film 3.

Axis 0 is through-plane (index 0 at the current collector), as taufactor expects its
flux direction; axes 1 and 2 are the periodic in-plane directions.

Volumes are conserved. Spheres overlap where the DEM deformed them, and small spheres
lose volume to the grid, so the AM spheres are drawn with a common radius factor found
by bisection so that the AM voxel count equals the AM volume (the reference's
"dilation-erosion mapping ... keeping the volume fraction of the AM unchanged").

The CBD volume is then laid where real CBD sits (FIB-SEM of NMC electrodes shows the
carbon-binder domain as bridges at particle contacts and patches and films on the
particles, not as plugs in the pore throats: Vierrath et al., Electrochem. Commun. 60,
2015, 176; Daemi et al., ACS Appl. Energy Mater. 1, 2018, 3702):

- ``1 - cbd_neck_fraction`` of it (0.75 by default) as the DEM's CBD spheres, which the
  drying left attached to the AM they wetted (:mod:`electroforge.line.drying`): patches
  on the AM surfaces, drawn with a common radius factor like the AM;
- the rest as bridges around the contacts between AM particles, then films on the AM
  (:func:`place_cbd`).

Measured on the reference optimum (AM 90.4 %, SC 58.2 %, CR 28.4 %, one seed, 32 um box,
6.7 mg/cm2, while choosing):
all CBD as bridges and films (v3 put it in the narrowest pores) coats every AM particle
(active surface 0.3 %) at 0.98 S/m; all as spheres leaves the CBD network barely
connected (0.21 S/m, 86 % active surface); 0.25 / 0.75 gives 0.19 S/m beside the MOBO
optimum's 0.175 S/m, 58 % active surface, and pores that percolate in every corner of the
space at CR 50 %.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from electroforge.errors import InputError

__all__ = ["PORE", "CBD", "AM", "VOID", "FILM_REACH_UM", "draw_to_volume", "place_cbd",
           "surface_distances", "voxelize", "voxel_size_um"]

PORE, CBD, AM, VOID = 0, 1, 2, 3
_BISECTION_STEPS = 30
#: How far from the AM surfaces (beyond the bridge width) films may grow, um.
FILM_REACH_UM = 3.0


def voxel_size_um(footprint_um: float, grid: int) -> float:
    return footprint_um / grid


def voxelize(positions_um: np.ndarray, radii_um: np.ndarray, kinds: np.ndarray, *,
             footprint_um: float, top_um: float, grid: int, am_volume_um3: float,
             cbd_volume_um3: float, cbd_neck_fraction: float,
             cbd_bridge_um: float = 3.0) -> np.ndarray:
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
    scale = draw_to_volume(labels, positions_um[am], radii_um[am], AM,
                           round(am_volume_um3 / cell), voxel, keep=(VOID,))
    cbd_target = round(cbd_volume_um3 / cell)
    spheres = round((1.0 - cbd_neck_fraction) * cbd_target)
    cbd = kinds == CBD
    if spheres > 0:
        draw_to_volume(labels, positions_um[cbd], radii_um[cbd], CBD, spheres, voxel,
                       keep=(VOID, AM))
    place_cbd(labels, cbd_target - int(np.count_nonzero(labels == CBD)),
              positions_um[am], radii_um[am] * scale, voxel, cbd_bridge_um)
    return labels


def draw_to_volume(labels: np.ndarray, centres: np.ndarray, radii: np.ndarray, phase: int,
                   target: int, voxel: float, *, keep: tuple[int, ...]) -> float:
    """Draw spheres as ``phase`` with radii scaled so that ``target`` voxels get it; returns
    the radius factor."""
    if len(radii) == 0 or target <= 0:
        return 1.0
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
    return high


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
    box = np.array([shape[2], shape[1]]) * voxel      # x and y sides (the line's: one)
    best = np.full(len(flat), np.inf)
    for centre, radius in zip(centres, radii):
        delta = points - centre
        delta[:, :2] -= box * np.round(delta[:, :2] / box)
        best = np.minimum(best, np.linalg.norm(delta, axis=1) - radius)
    return best


def place_cbd(labels: np.ndarray, count: int, centres: np.ndarray, radii: np.ndarray,
              voxel: float, bridge_um: float) -> None:
    """Turn ``count`` pore voxels into CBD: bridges at AM contacts first, then films on AM.

    Each pore voxel is scored by ``d1 + min(d2, bridge_um)``, with ``d1`` and ``d2`` its
    distances to the surfaces of the nearest and the second-nearest AM particle, and the
    lowest scores fill first. Near a contact both distances are small: the binder's
    pendular bridges (as a drying binder solution, held by capillarity where two
    particles meet) fill first and grow to a neck ``bridge_um`` wide; then every AM
    surface is coated evenly (``d1`` alone orders the rest), as a film. A pore throat
    between particles that do not touch is filled only as far as the films on its walls
    reach: the CBD never plugs the throats before it has coated the particles.
    """
    if count <= 0:
        return
    pores = np.flatnonzero(labels.ravel() == PORE)
    if len(pores) == 0:
        return
    if len(radii) == 0:  # no AM to bridge or coat: the CBD settles on the current collector
        labels.ravel()[pores[:count]] = CBD
        return
    nearest, second, _ = surface_distances(labels.shape, centres, radii, voxel,
                                           bridge_um + FILM_REACH_UM)
    score = nearest.ravel()[pores] + np.minimum(second.ravel()[pores], bridge_um)
    far = ~np.isfinite(score)
    if far.any() and count > int((~far).sum()):
        # more CBD than the reach around the AM holds: the rest grows the films outward
        # (distance to the AM), never fills the pores in image order
        from scipy import ndimage

        distance = ndimage.distance_transform_edt(labels != AM) * voxel
        score[far] = bridge_um + FILM_REACH_UM + distance.ravel()[pores[far]]
    chosen = pores[np.argsort(score, kind="stable")[:count]]
    labels.ravel()[chosen] = CBD


def surface_distances(shape: tuple[int, ...], centres: np.ndarray, radii: np.ndarray,
                      voxel: float, reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every voxel of an image of ``shape`` within ``reach`` (um) of a sphere's surface
    (centres ``(n, 3)`` x, y, z and radii in um, periodic in x and y): the distances (um)
    to the surfaces of its nearest and second-nearest spheres and the index of the nearest
    (inf, inf and -1 beyond the reach)."""
    nearest = np.full(shape, np.inf, dtype=np.float64)
    second = np.full(shape, np.inf, dtype=np.float64)
    owner = np.full(shape, -1, dtype=np.int64)
    _two_nearest_surfaces(nearest, second, owner, np.ascontiguousarray(centres, dtype=np.float64),
                          np.ascontiguousarray(radii, dtype=np.float64), voxel, reach)
    return nearest, second, owner


@numba.njit(cache=True)
def _two_nearest_surfaces(nearest, second, owner, centres, radii, voxel, reach):
    """For every voxel within ``reach`` of a sphere surface, the distances to the surfaces
    of its nearest and second-nearest spheres (periodic in axes 1 and 2)."""
    n_z, n_y, n_x = nearest.shape
    for s in range(radii.shape[0]):
        cx, cy, cz = centres[s, 0] / voxel, centres[s, 1] / voxel, centres[s, 2] / voxel
        outer = (radii[s] + reach) / voxel
        for k in range(int(np.floor(cz - outer - 0.5)), int(np.ceil(cz + outer + 0.5)) + 1):
            if k < 0 or k >= n_z:
                continue
            dz = k + 0.5 - cz
            for j in range(int(np.floor(cy - outer - 0.5)), int(np.ceil(cy + outer + 0.5)) + 1):
                dy = j + 0.5 - cy
                jj = j % n_y
                for i in range(int(np.floor(cx - outer - 0.5)), int(np.ceil(cx + outer + 0.5)) + 1):
                    dx = i + 0.5 - cx
                    distance = np.sqrt(dx * dx + dy * dy + dz * dz) * voxel - radii[s]
                    if distance > reach:
                        continue
                    ii = i % n_x
                    if distance < nearest[k, jj, ii]:
                        if owner[k, jj, ii] != s:
                            second[k, jj, ii] = nearest[k, jj, ii]
                        nearest[k, jj, ii] = distance
                        owner[k, jj, ii] = s
                    elif distance < second[k, jj, ii] and owner[k, jj, ii] != s:
                        second[k, jj, ii] = distance
