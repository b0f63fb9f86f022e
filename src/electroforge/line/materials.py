"""Material and process constants of the virtual line, in one frozen, documented object.

Every number carries its unit in its name and its source in the field's comment. The
line's stages are pure functions of (recipe, :class:`LineParameters`, seed), joined in
:func:`electroforge.line.simulate_recipe`, as PyBaMM joins model, parameters and solver.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from electroforge.errors import InputError

__all__ = ["LineParameters"]


@dataclass(frozen=True)
class LineParameters:
    """Constants of the virtual manufacturing line.

    Sources: [XU] Xu et al., "Electrode manufacturing model accounting for 3D realistic
    shapes of active material particles" (shared/reference); [NG] Ngandjong et al.,
    J. Power Sources 485 (2021) 229320 (validated NMC111 DEM, EEPA contacts); [JA] Jaiser
    et al., J. Power Sources 318 (2016) 210 (two-stage drying: film shrinkage, then pore
    emptying); [PB] PyBaMM's Xu2019 parameter set.
    """

    # -- materials ------------------------------------------------------------------
    am_density_g_cm3: float = 4.7          # NMC111 [XU], SPEC
    cbd_density_g_cm3: float = 0.95        # CBD as a 50 % nanoporous phase [XU]
    cbd_nanoporosity: float = 0.5          # electrolyte-filled share of the CBD [XU]
    solvent_density_g_cm3: float = 1.03    # NMP
    am_conductivity_s_m: float = 0.18      # NMC111 bulk electronic conductivity (order 0.1-1 S/m)
    cbd_conductivity_s_m: float = 760.0    # carbon black + PVdF composite, dense-phase value

    # -- particles ------------------------------------------------------------------
    am_median_diameter_um: float = 6.5     # NMC111 secondary particles
    am_diameter_sigma: float = 0.45        # lognormal shape (log-space standard deviation)
    am_min_diameter_um: float = 2.0        # [XU]: 2-14 um
    am_max_diameter_um: float = 14.0
    cbd_dry_diameter_um: float = 2.5       # coarse effective CBD sphere (1.3 um in [XU]; coarser: fewer spheres)
    # Share of the solvent held inside the wet CBD spheres (binder solution swelling the
    # carbon agglomerates); the rest is free solvent. Calibrated so that the default recipe
    # dries near the reference's simulated 50 % porosity [XU].
    bound_solvent_fraction: float = 0.16

    # -- electrode ------------------------------------------------------------------
    footprint_um: float = 32.0             # simulated box side (x and y, periodic)
    areal_loading_mg_cm2: float = 5.0      # dry solids per electrode area

    # -- contacts (quasi-static DEM, hysteretic Walton-Braun / EEPA family [NG]) -----
    am_modulus: float = 1.0                # AM-AM loading stiffness scale (relative)
    cbd_modulus: float = 0.05              # CBD is ~20x softer than NMC [NG]
    am_unloading_ratio: float = 1.25       # unloading/loading stiffness: nearly elastic AM
    cbd_unloading_ratio: float = 8.0       # mostly plastic CBD
    cbd_adhesion: float = 0.02             # pull-off force of CBD contacts (x modulus x um)

    # -- process --------------------------------------------------------------------
    load_frames: int = 20                  # SPEC: ~20 loading frames to H0 (1 - CR)
    unload_frames: int = 10                # SPEC: ~10 unloading frames (spring-back)
    relax_tolerance: float = 2e-3          # max force / (modulus x radius^2) at equilibrium
    relax_max_steps: int = 4000

    # -- voxels ---------------------------------------------------------------------
    cbd_neck_fraction: float = 1.0         # share of CBD volume laid into the necks (the rest: spheres)
    face_count_correction: float = 1.5     # face counting overestimates smooth areas ~1.5x

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError("must be a finite number", field=item.name, value=repr(value),
                                 allowed="a finite number")
            if value < 0:
                raise InputError("must not be negative", field=item.name, value=value,
                                 allowed=">= 0")
        if not self.am_min_diameter_um < self.am_median_diameter_um < self.am_max_diameter_um:
            raise InputError("the AM median diameter must lie between the minimum and maximum",
                             field="am_median_diameter_um", value=self.am_median_diameter_um,
                             allowed=f"{self.am_min_diameter_um} < value < {self.am_max_diameter_um}")
        if not all(0 <= value <= 1 for value in (self.bound_solvent_fraction,
                                                  self.cbd_neck_fraction, self.cbd_nanoporosity)):
            raise InputError("fractions must lie in [0, 1]", field="bound_solvent_fraction",
                             allowed="0 <= value <= 1")
        if self.am_unloading_ratio < 1 or self.cbd_unloading_ratio < 1:
            raise InputError("unloading stiffness cannot be below loading stiffness",
                             field="am_unloading_ratio", allowed=">= 1")
        if self.load_frames < 1 or self.unload_frames < 1:
            raise InputError("at least one loading and one unloading frame",
                             field="load_frames", allowed=">= 1")

    def replace(self, **changes: Any) -> LineParameters:
        """A copy with some constants changed (validated again)."""
        unknown = [name for name in changes if name not in self.to_dict()]
        if unknown:
            raise InputError("unknown line parameter", field=unknown[0],
                             allowed=", ".join(self.to_dict()))
        return replace(self, **changes)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)
