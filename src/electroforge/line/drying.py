"""Drying: the wet film consolidates, then the CBD gives up its solvent in place.

Mechanism (two-stage drying, Jaiser et al., J. Power Sources 318, 2016, 210; the
reference's homogeneous evaporation model for the CBD shrinkage):

1. Film shrinkage. While solvent evaporates, capillary pressure pulls the film down. The
   wet spheres (AM, and CBD swollen with the bound solvent) rearrange freely until they
   jam: the consolidation point. We find it with the DEM by lowering the evaporation
   front in steps (affine z-scaling, then relaxation with elastic, fluid-like contacts)
   until the spheres can no longer relax without overlap.
2. Pore emptying. After consolidation the film keeps its thickness; the remaining
   solvent leaves the pores and the CBD shrinks to its dry size. Binder stays on the AM
   it wets: a CBD sphere touching an AM particle shrinks towards it, so it remains
   attached (binder migration to AM surfaces). A short relaxation with the dry, adhesive
   contacts settles what the shrinkage left unbalanced.

Trend this gives: the lower the solid content, the more solvent the CBD holds at
consolidation, the further apart the AM particles jam, and the more porous the dried
film (porosity falls with SC; with AM wt% it depends on the CBD volume that swells). The
share of the solvent the CBD holds (``bound_solvent_fraction``) is one constant,
calibrated on one dried porosity; the references do not measure an SC trend, and
``electroforge line validate`` prints the one this gives beside the MOBO paper's extreme
electrodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from electroforge.line.dem import AM, CBD, ContactModel, DemState, overlap_stats, relax
from electroforge.line.materials import LineParameters
from electroforge.line.particles import Slurry

__all__ = ["DriedFilm", "dry"]

#: A relaxed wet state whose largest overlap exceeds this (x smaller radius) is jammed.
JAM_OVERLAP = 0.02
#: Force tolerance of the wet relaxations: only jammed or not matters there.
WET_TOLERANCE = 1e-3
_FRONT_STEP = 0.9
_BISECTIONS = 3


@dataclass
class DriedFilm:
    """The dried electrode: particles at dry size, and what drying measured."""

    state: DemState
    wet_height_um: float          # film height at the consolidation point
    thickness_um: float           # dried film thickness (top particle surface)
    porosity: float               # 1 - solids volume / film volume (CBD counted as solid)


def dry(slurry: Slurry, params: LineParameters, model: ContactModel) -> DriedFilm:
    """Consolidate the wet film to its jamming height, then shrink the CBD in place."""
    wet_model = ContactModel(am_modulus=model.am_modulus, cbd_modulus=model.am_modulus, elastic=True)
    state = DemState(slurry.positions_um, slurry.radii_um, slurry.kinds, params.footprint_um)
    free, free_height = state, slurry.height_um
    jammed_height = 2.0 * float(state.radii.max())
    # Lower the evaporation front until the wet spheres jam, then bisect the last step.
    height = free_height
    while height * _FRONT_STEP > jammed_height:
        height *= _FRONT_STEP
        trial = _compress_to(free, free_height, height, wet_model, params)
        if trial is None:
            jammed_height = height
            break
        free, free_height = trial, height
    for _ in range(_BISECTIONS):
        height = 0.5 * (free_height + jammed_height)
        trial = _compress_to(free, free_height, height, wet_model, params)
        if trial is None:
            jammed_height = height
        else:
            free, free_height = trial, height
    state, wet_height = free, free_height

    _shrink_cbd_onto_am(state, slurry.dry_radii_um)
    state.forget_history()
    relax(state, None, model, tolerance=params.relax_tolerance, max_steps=params.relax_max_steps)
    thickness = state.top_um
    solids = slurry.composition.solids_volume_um3
    porosity = 1.0 - solids / (slurry.composition.area_um2 * thickness)
    return DriedFilm(state, wet_height, thickness, porosity)


def _compress_to(state: DemState, height: float, target: float, model: ContactModel,
                 params: LineParameters) -> DemState | None:
    """The state relaxed at the lower height ``target``, or None if it jams there."""
    trial = state.copy()
    trial.positions[:, 2] *= target / height
    relax(trial, target, model, tolerance=WET_TOLERANCE, max_steps=params.relax_max_steps)
    return None if overlap_stats(trial)[0] > JAM_OVERLAP else trial


def _shrink_cbd_onto_am(state: DemState, dry_radii: np.ndarray) -> None:
    """Shrink every CBD sphere; one that wets an AM particle shrinks towards it."""
    pos, wet = state.positions, state.radii
    am = np.flatnonzero(state.kinds == AM)
    box = state.footprint
    for i in np.flatnonzero(state.kinds == CBD):
        delta = pos[i] - pos[am]
        delta[:, :2] -= box * np.round(delta[:, :2] / box)
        dist = np.linalg.norm(delta, axis=1)
        gap = dist - wet[am] - wet[i]
        nearest = int(np.argmin(gap))
        if gap[nearest] < 0.05 * wet[i] and dist[nearest] > 0:
            direction = delta[nearest] / dist[nearest]
            pos[i] = pos[am[nearest]] + direction * (wet[am[nearest]] + dry_radii[i])
    pos[:, :2] %= box
    state.radii = np.array(dry_radii, dtype=np.float64)
