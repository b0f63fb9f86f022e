"""A small quasi-static discrete element method (DEM) for spheres between two walls.

Why our own: LAMMPS (the reference's tool) cannot be installed here, and the Python
DEM packages on PyPI are either full dynamic solvers far too slow for a few seconds per
recipe or lack hysteretic adhesive contacts. What calendering needs is much smaller:
quasi-static equilibria of a few thousand spheres under displacement control, so this
module relaxes each state by overdamped, per-particle-preconditioned steepest descent
(numba), with neighbour lists from scipy's ``cKDTree`` (periodic in x and y).

Contact law (Walton-Braun, the linear hysteretic member of the EEPA family used by
Ngandjong et al., J. Power Sources 485, 2021, 229320): with overlap ``d`` and its
historical maximum ``d_max``, loading follows ``F = k1 d``; unloading and reloading follow
``F = k2 (d - d0)`` with ``d0 = d_max (1 - k1 / k2)``, the plastic overlap. A contact
involving CBD is soft (``cbd_modulus``), mostly plastic (large ``k2 / k1``) and adhesive
(tension down to ``-f_adh`` before it breaks); AM-AM contacts are stiff and nearly
elastic. Stiffness scales with the reduced radius. Walls (current collector at z = 0,
roll at z = H) are elastic with the AM stiffness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy.spatial import cKDTree

__all__ = ["ContactModel", "DemState", "relax", "overlap_stats"]

AM = 2
CBD = 1


@dataclass(frozen=True)
class ContactModel:
    """Stiffness scales and ratios of the hysteretic contact law (see module doc)."""

    am_modulus: float = 1.0
    cbd_modulus: float = 0.05
    am_unloading_ratio: float = 1.25
    cbd_unloading_ratio: float = 8.0
    cbd_adhesion: float = 0.02
    elastic: bool = False  # True: no history, no adhesion (a fluid-like wet slurry)


class DemState:
    """Particles (positions, radii, kinds) in a box periodic in x and y, and contact history.

    Args:
        positions_um: ``n x 3`` centres; z is through-plane, 0 at the current collector.
        radii_um: ``n`` radii.
        kinds: ``n`` phase labels (1 CBD, 2 AM).
        footprint_um: Box side in x and y.
    """

    def __init__(self, positions_um: np.ndarray, radii_um: np.ndarray, kinds: np.ndarray,
                 footprint_um: float) -> None:
        self.positions = np.array(positions_um, dtype=np.float64)
        self.radii = np.array(radii_um, dtype=np.float64)
        self.kinds = np.array(kinds, dtype=np.uint8)
        self.footprint = float(footprint_um)
        self.positions[:, :2] %= self.footprint
        self._keys = np.empty(0, dtype=np.int64)
        self._dmax = np.empty(0, dtype=np.float64)

    def copy(self) -> DemState:
        other = DemState(self.positions, self.radii, self.kinds, self.footprint)
        other._keys, other._dmax = self._keys.copy(), self._dmax.copy()
        return other

    @property
    def top_um(self) -> float:
        """Highest particle surface (the film's top)."""
        return float(np.max(self.positions[:, 2] + self.radii))

    def pairs(self, skin: float) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs within contact distance + ``skin``, and their carried-over history."""
        n = len(self.radii)
        z = self.positions[:, 2]
        reach = 2.0 * self.radii.max() + skin
        offset = reach - z.min()
        points = np.column_stack([self.positions[:, 0], self.positions[:, 1], z + offset])
        box = [self.footprint, self.footprint, 4.0 * (z.max() + offset + reach)]
        # Small spheres pair among themselves within a short reach; the few large ones
        # look further. One query at the largest reach would list ~100x more candidates.
        threshold = float(np.quantile(self.radii, 0.9))
        small = np.flatnonzero(self.radii <= threshold)
        large = np.flatnonzero(self.radii > threshold)
        found = []
        if len(small) > 1:
            local = cKDTree(points[small], boxsize=box).query_pairs(2.0 * threshold + skin,
                                                                    output_type="ndarray")
            found.append(small[local])
        if len(large):
            tree = cKDTree(points, boxsize=box)
            hits = tree.query_ball_point(points[large], self.radii[large] + self.radii.max() + skin)
            counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
            if counts.sum():
                others = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
                found.append(np.column_stack([np.repeat(large, counts), others]))
        pairs = np.concatenate(found).astype(np.int64) if found else np.empty((0, 2), np.int64)
        pairs = np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1)
        if len(pairs) == 0:
            return np.empty((0, 2), dtype=np.int64), np.empty(0)
        keys = np.unique(pairs[:, 0] * n + pairs[:, 1])
        pairs = np.column_stack([keys // n, keys % n])
        delta = self.positions[pairs[:, 1]] - self.positions[pairs[:, 0]]
        delta[:, :2] -= self.footprint * np.round(delta[:, :2] / self.footprint)
        keep = np.linalg.norm(delta, axis=1) < self.radii[pairs[:, 0]] + self.radii[pairs[:, 1]] + skin
        pairs, keys = pairs[keep], keys[keep]
        dmax = np.zeros(len(keys))
        if len(self._keys):
            where = np.searchsorted(self._keys, keys)
            where = np.minimum(where, len(self._keys) - 1)
            found = self._keys[where] == keys
            dmax[found] = self._dmax[where[found]]
        return pairs, dmax

    def remember(self, pairs: np.ndarray, dmax: np.ndarray) -> None:
        n = len(self.radii)
        active = dmax > 0
        self._keys = (pairs[active, 0] * n + pairs[active, 1]).astype(np.int64)
        self._dmax = dmax[active].copy()

    def forget_history(self) -> None:
        self._keys = np.empty(0, dtype=np.int64)
        self._dmax = np.empty(0, dtype=np.float64)


def relax(state: DemState, top_um: float | None, model: ContactModel, *, tolerance: float,
          max_steps: int) -> tuple[int, bool]:
    """Move particles to the nearest equilibrium with the walls at 0 and ``top_um`` (None: no roll).

    Returns (descent steps taken, converged). History (``d_max``) is updated in place.
    """
    skin = 0.6 * float(np.min(state.radii))
    steps = 0
    converged = False
    top = np.inf if top_um is None else float(top_um)
    vel = np.zeros_like(state.positions)
    fire = np.array([0.1, 0.1, 0.0])
    while steps < max_steps:
        pairs, dmax = state.pairs(skin)
        taken, converged = _descend(
            state.positions, vel, fire, state.radii, state.kinds, pairs, dmax, state.footprint, top,
            model.am_modulus, model.cbd_modulus, model.am_unloading_ratio,
            model.cbd_unloading_ratio, model.cbd_adhesion, model.elastic, tolerance,
            max_steps - steps, 0.5 * skin)
        state.positions[:, :2] %= state.footprint
        state.remember(pairs, dmax)
        steps += taken
        if converged:
            break
    return steps, converged


def overlap_stats(state: DemState) -> tuple[float, float]:
    """(largest, mean) overlap of touching pairs relative to the smaller radius."""
    pairs, _ = state.pairs(0.0)
    if len(pairs) == 0:
        return 0.0, 0.0
    delta = state.positions[pairs[:, 1]] - state.positions[pairs[:, 0]]
    delta[:, :2] -= state.footprint * np.round(delta[:, :2] / state.footprint)
    ri, rj = state.radii[pairs[:, 0]], state.radii[pairs[:, 1]]
    overlap = (ri + rj - np.linalg.norm(delta, axis=1)) / np.minimum(ri, rj)
    overlap = overlap[overlap > 0]
    return (float(overlap.max()), float(overlap.mean())) if len(overlap) else (0.0, 0.0)


@numba.njit(cache=True)
def _pair_force(overlap, dmax, k1, ratio, adhesion, elastic):
    """Normal force (positive: repulsive) and updated d_max for one pair."""
    if elastic:
        return (k1 * overlap if overlap > 0.0 else 0.0), 0.0
    if overlap >= dmax and overlap > 0.0:
        return k1 * overlap, overlap
    if dmax <= 0.0:
        return 0.0, 0.0
    k2 = ratio * k1
    d0 = dmax * (1.0 - 1.0 / ratio)
    force = k2 * (overlap - d0)
    if force >= 0.0:
        return force, dmax
    if adhesion > 0.0 and overlap > d0 - 2.0 * adhesion / k2:
        return max(force, -adhesion), dmax  # an adhesive neck holds the contact in tension
    if overlap > 0.0:
        return 0.0, dmax  # the plastic dent remains; reloading follows k2 again
    return 0.0, 0.0  # separated: the contact is forgotten


@numba.njit(cache=True)
def _forces(pos, radii, kinds, pairs, dmax, box, top, am_mod, cbd_mod, am_ratio, cbd_ratio,
            cbd_adh, elastic, force, stiffness):
    """Contact and wall forces into ``force``, each particle's summed contact stiffness into
    ``stiffness``; updates the pairs' ``dmax`` history."""
    n = pos.shape[0]
    force[:] = 0.0
    stiffness[:] = 0.0
    for p in range(pairs.shape[0]):
        i = pairs[p, 0]
        j = pairs[p, 1]
        dx = pos[j, 0] - pos[i, 0]
        dy = pos[j, 1] - pos[i, 1]
        dz = pos[j, 2] - pos[i, 2]
        dx -= box * np.round(dx / box)
        dy -= box * np.round(dy / box)
        dist = np.sqrt(dx * dx + dy * dy + dz * dz)
        overlap = radii[i] + radii[j] - dist
        if overlap <= 0.0 and dmax[p] <= 0.0:
            continue
        reff = radii[i] * radii[j] / (radii[i] + radii[j])
        if kinds[i] == 2 and kinds[j] == 2:
            k1 = am_mod * reff
            ratio = am_ratio
            adhesion = 0.0
        else:
            k1 = cbd_mod * reff
            ratio = cbd_ratio
            adhesion = cbd_adh * cbd_mod * reff
        f, dmax[p] = _pair_force(overlap, dmax[p], k1, ratio, adhesion, elastic)
        if f != 0.0 and dist > 0.0:
            k = k1 if (elastic or overlap >= dmax[p]) else ratio * k1
            stiffness[i] += k
            stiffness[j] += k
            fx = f * dx / dist
            fy = f * dy / dist
            fz = f * dz / dist
            force[i, 0] -= fx
            force[i, 1] -= fy
            force[i, 2] -= fz
            force[j, 0] += fx
            force[j, 1] += fy
            force[j, 2] += fz
    for i in range(n):
        wall_k = am_mod * radii[i]
        bottom = radii[i] - pos[i, 2]
        if bottom > 0.0:
            force[i, 2] += wall_k * bottom
            stiffness[i] += wall_k
        roof = pos[i, 2] + radii[i] - top
        if roof > 0.0:
            force[i, 2] -= wall_k * roof
            stiffness[i] += wall_k


@numba.njit(cache=True)
def _descend(pos, vel, fire, radii, kinds, pairs, dmax, box, top, am_mod, cbd_mod, am_ratio,
             cbd_ratio, cbd_adh, elastic, tol, max_steps, max_move):
    """FIRE minimization (Bitzek et al., PRL 97, 2006, 170201) with stiffness-scaled masses,
    until every particle's residual force is below ``tol`` x modulus x radius^2.

    ``vel`` and ``fire`` (dt, alpha, positive steps) carry the integrator's state across
    neighbour-list rebuilds."""
    n = pos.shape[0]
    start = pos.copy()
    force = np.zeros((n, 3))
    mass = np.empty(n)
    base = np.empty(n)
    scale = np.empty(n)
    for i in range(n):
        modulus = am_mod if kinds[i] == 2 else cbd_mod
        base[i] = modulus * radii[i]
        scale[i] = modulus * radii[i] * radii[i]
    dt, alpha, positive = fire[0], fire[1], int(fire[2])
    dt_max, alpha0 = 0.7, 0.1
    step = 0
    while step < max_steps:
        _forces(pos, radii, kinds, pairs, dmax, box, top, am_mod, cbd_mod, am_ratio, cbd_ratio,
                cbd_adh, elastic, force, mass)
        for i in range(n):  # masses: the current contact stiffness (a Jacobi preconditioner)
            if mass[i] < base[i]:
                mass[i] = base[i]
        worst = 0.0
        power = 0.0
        vnorm = 0.0
        fnorm = 0.0
        for i in range(n):
            f2 = force[i, 0] ** 2 + force[i, 1] ** 2 + force[i, 2] ** 2
            if np.sqrt(f2) / scale[i] > worst:
                worst = np.sqrt(f2) / scale[i]
            for a in range(3):
                power += force[i, a] * vel[i, a]
                vnorm += vel[i, a] ** 2
                fnorm += force[i, a] ** 2 / (mass[i] * mass[i])
        if worst < tol:
            fire[0], fire[1], fire[2] = dt, alpha, positive
            return step, True
        if power > 0.0:
            mix = alpha * np.sqrt(vnorm) / max(np.sqrt(fnorm), 1e-300)
            for i in range(n):
                for a in range(3):
                    vel[i, a] = (1.0 - alpha) * vel[i, a] + mix * force[i, a] / mass[i]
            positive += 1
            if positive > 5:
                dt = min(dt * 1.1, dt_max)
                alpha *= 0.99
        else:
            dt *= 0.5
            alpha = alpha0
            positive = 0
            vel[:] = 0.0
        moved = 0.0
        for i in range(n):
            limit = 0.05 * radii[i]
            for a in range(3):
                vel[i, a] += dt * force[i, a] / mass[i]
                move = dt * vel[i, a]
                if move > limit:
                    move = limit
                    vel[i, a] = limit / dt
                elif move < -limit:
                    move = -limit
                    vel[i, a] = -limit / dt
                pos[i, a] += move
            ddx = pos[i, 0] - start[i, 0]
            ddy = pos[i, 1] - start[i, 1]
            ddz = pos[i, 2] - start[i, 2]
            d2 = ddx * ddx + ddy * ddy + ddz * ddz
            if d2 > moved:
                moved = d2
        step += 1
        if np.sqrt(moved) > max_move:
            break
    fire[0], fire[1], fire[2] = dt, alpha, positive
    return step, False
