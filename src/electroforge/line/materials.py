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

__all__ = ["DEFAULT_VOXEL_UM", "LineParameters", "default_grid"]

#: Widest CBD bridge (um): the AM particles themselves are at most 14 um across.
MAX_BRIDGE_UM = 10.0
#: Voxel size of the line's images by default (SPEC: 0.4-0.5 um; the references' 0.4-0.5).
DEFAULT_VOXEL_UM = 0.5


@dataclass(frozen=True)
class LineParameters:
    """Constants of the virtual manufacturing line.

    Sources: [XU] Xu et al., "Electrode manufacturing model accounting for 3D realistic
    shapes of active material particles" (shared/reference); [NG] Ngandjong et al.,
    J. Power Sources 485 (2021) 229320 (validated NMC111 DEM, EEPA contacts); [JA] Jaiser
    et al., J. Power Sources 318 (2016) 210 (two-stage drying: film shrinkage, then pore
    emptying); [T1] Marcato et al., discharge-4d-ar-msnet (shared/reference), Table 1
    (the ARTISTIC group's NMC111 half-cell; the discharge's own set is
    :mod:`electroforge.line.nmc111`).

    One CBD nanoporosity serves its density and its transport: 0.27 [T1] (FIB-SEM of
    the carbon-binder domain, Daemi et al. 2018, [T1]'s ref. 48), rather than the 0.5 that
    [XU] assumed for its CGMD particles: it is measured, and it is the value that [T1]'s
    transport factor f = 0.05 goes with. The dry CBD density follows:
    ``(1 - 0.27) x 1.9 g/cm3`` (the solid density behind [XU]'s 0.95 g/cm3 at 50 %).
    """

    # -- materials ------------------------------------------------------------------
    am_density_g_cm3: float = 4.7          # NMC111 [XU], SPEC
    cbd_solid_density_g_cm3: float = 1.9   # carbon + PVdF without pores: [XU]'s 0.95 g/cm3 / (1 - 0.5)
    cbd_nanoporosity: float = 0.27         # electrolyte-filled share of the CBD [T1]
    cbd_transport_factor: float = 0.05     # D_eff / D_bulk inside the CBD [T1] (f, Eq. 7)
    solvent_density_g_cm3: float = 1.03    # NMP
    am_conductivity_s_m: float = 0.01      # NMC111 electronic conductivity [T1]
    cbd_conductivity_s_m: float = 15.93    # CBD, unstrained: 0.1593 S/cm [T1]

    # -- particles ------------------------------------------------------------------
    am_median_diameter_um: float = 6.5     # NMC111 secondary particles
    am_diameter_sigma: float = 0.45        # lognormal shape (log-space standard deviation)
    am_min_diameter_um: float = 2.0        # [XU]: 2-14 um
    am_max_diameter_um: float = 14.0
    cbd_dry_diameter_um: float = 2.5       # coarse effective CBD sphere (1.3 um in [XU]; coarser: fewer spheres)
    # Share of the solvent held inside the wet CBD spheres (binder solution swelling the
    # carbon agglomerates: [XU]'s "effective particles encompassing carbon, binder and
    # solvent"); the rest is free solvent. Calibrated so that the 96 % AM film (SC 57 %)
    # dries at the reference's simulated 0.51 [XU] (0.16 / 0.10 / 0.08 gave 0.59 / 0.51 /
    # 0.49); the MOBO optimum's 0.294 at CR 28.4 % then follows, uncalibrated.
    bound_solvent_fraction: float = 0.10

    # -- electrode ------------------------------------------------------------------
    # Simulated box side (x and y, periodic): the seed-to-seed spread it gives is measured by
    # benchmarks/line_seed_spread.py and printed by `electroforge line validate` (README).
    footprint_um: float = 48.0
    areal_loading_mg_cm2: float = 6.7      # dry solids per electrode area (MOBO Table 3)

    # -- contacts (quasi-static DEM, hysteretic Walton-Braun / EEPA family [NG]) -----
    am_modulus: float = 1.0                # AM-AM loading stiffness scale (relative)
    cbd_modulus: float = 0.05              # CBD is ~20x softer than NMC [NG]
    # Unloading/loading stiffness of AM-AM contacts. Ngandjong's AM is nearly elastic, but
    # our spheres overlap where secondary particles would crush near the porosity floor, and
    # that crushing is plastic: spring-back at 95 % AM near the floor was 15.5 / 10.8 / 8.8 %
    # with ratios 1.25 / 3 / 8.
    am_unloading_ratio: float = 8.0
    cbd_unloading_ratio: float = 8.0       # mostly plastic CBD
    cbd_adhesion: float = 0.02             # pull-off force of CBD contacts (x modulus x um)

    # -- process --------------------------------------------------------------------
    # Secondary NMC particles fracture rather than pack denser than this (pores / film
    # volume, CBD counted as solid): ~0.20 at CR 40-50 % (calendering-deep-learning).
    porosity_floor: float = 0.20
    # Share of its compressive strain the film recovers on release through the binder
    # network's elasticity (calendering module doc): 3.2 % spring-back at CR 28.4 %, a few
    # % as the SPEC's anchor (Ngandjong 2021) asks.
    binder_recovery: float = 0.08
    load_frames: int = 20                  # SPEC: ~20 loading frames to H0 (1 - CR)
    unload_frames: int = 10                # SPEC: ~10 unloading frames (spring-back)
    relax_tolerance: float = 2e-3          # max force / (modulus x radius^2) at equilibrium
    relax_max_steps: int = 4000
    discharge_cutoff_v: float = 3.0        # lower cutoff of the discharge (NMC111 practice: 3.0-4.3 V)

    # -- voxels ---------------------------------------------------------------------
    cbd_neck_fraction: float = 0.25        # share of CBD volume laid as bridges at AM contacts (the rest: the DEM's CBD spheres)
    cbd_bridge_um: float = 3.0             # width the CBD bridges at AM contacts grow to before films
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
                                                  self.cbd_neck_fraction, self.cbd_nanoporosity,
                                                  self.cbd_transport_factor,
                                                  self.binder_recovery)):
            raise InputError("fractions must lie in [0, 1]", field="bound_solvent_fraction",
                             allowed="0 <= value <= 1")
        for name in ("am_density_g_cm3", "cbd_solid_density_g_cm3", "solvent_density_g_cm3",
                     "footprint_um", "areal_loading_mg_cm2"):
            if getattr(self, name) <= 0:
                raise InputError("must be positive", field=name, value=getattr(self, name),
                                 allowed="> 0")
        if self.cbd_bridge_um > MAX_BRIDGE_UM:
            raise InputError("CBD bridges wider than a large particle", field="cbd_bridge_um",
                             value=self.cbd_bridge_um, allowed=f"0 <= value <= {MAX_BRIDGE_UM:g} um")
        from electroforge.line.nmc111 import check_cutoff

        check_cutoff(self.discharge_cutoff_v, field="discharge_cutoff_v")
        if self.porosity_floor >= 1:
            raise InputError("a film cannot be all pores", field="porosity_floor",
                             value=self.porosity_floor, allowed="0 <= value < 1")
        if self.cbd_nanoporosity >= 1:
            raise InputError("the CBD cannot be all pores", field="cbd_nanoporosity",
                             value=self.cbd_nanoporosity, allowed="0 <= value < 1")
        if self.am_unloading_ratio < 1 or self.cbd_unloading_ratio < 1:
            raise InputError("unloading stiffness cannot be below loading stiffness",
                             field="am_unloading_ratio", allowed=">= 1")
        if self.load_frames < 1 or self.unload_frames < 1:
            raise InputError("at least one loading and one unloading frame",
                             field="load_frames", allowed=">= 1")

    @property
    def cbd_density_g_cm3(self) -> float:
        """Density of the dry, nanoporous CBD phase."""
        return (1.0 - self.cbd_nanoporosity) * self.cbd_solid_density_g_cm3

    def replace(self, **changes: Any) -> LineParameters:
        """A copy with some constants changed (validated again)."""
        unknown = [name for name in changes if name not in self.to_dict()]
        if unknown:
            raise InputError("unknown line parameter", field=unknown[0],
                             allowed=", ".join(self.to_dict()))
        return replace(self, **changes)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def default_grid(params: LineParameters | None = None) -> int:
    """Voxels across the box for :data:`DEFAULT_VOXEL_UM` voxels (``grid=None`` everywhere)."""
    footprint = (params or LineParameters()).footprint_um
    return max(8, round(footprint / DEFAULT_VOXEL_UM))
