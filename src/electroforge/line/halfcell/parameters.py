"""The physics of the voxel half-cell in one frozen object, shared with the DFN's NMC111 set.

Sources (as in :mod:`electroforge.line.nmc111`):

- [T1] discharge-4d-ar-msnet (shared/reference), Table 1 and Eqs. 1-9: the NMC111 half-cell
  on the real geometry: c_max, initial lithiation, rate constant, conductivities, CBD
  porosity 0.27 and transport factor f = 0.05, the LiPF6 electrolyte's functions, the SEI
  resistance on the lithium.
- [JI] the NMC111 open-circuit potential (:func:`~electroforge.line.nmc111.ocp_v`).
- [XU] PyBaMM's ``Xu2019`` half-cell (Xu et al., J. Electrochem. Soc. 166, 2019, A3456):
  separator (25 um, porosity 0.39, Bruggeman 1.5) and the lithium metal's exchange
  current density ``3.5e-8 F c_Li^0.7 c_e^0.3`` with ``c_Li = 1 / 1.3e-5 mol/m3``
  (PyBaMM takes the metal's concentration as the inverse of its partial molar volume),
  the DFN's own lithium electrode, so that the two models differ only where the
  geometry does.

Ours, not from a source:

- ``reaction_area_factor``: a voxelized sphere shows about 1.5 times its true surface in
  voxel faces (the line's ``face_count_correction``, measured on voxelized spheres), so a
  reaction face counts for 1/1.5 of its area on the line's images; a flat (layered) wall
  is exact and takes 1.
- ``separator_layers``: the separator is homogenized (porosity, Bruggeman) and resolved
  in z by a few layers as thick as they need be, laterally by the electrode's voxels, so
  that the current's lateral spread at the film's top is resolved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from electroforge.line import nmc111

__all__ = ["GAS_CONSTANT", "HalfCellParameters"]

GAS_CONSTANT = 8.314462618
FARADAY = nmc111.FARADAY_C_MOL


@dataclass(frozen=True)
class HalfCellParameters:
    """Material and cell constants of the voxel half-cell (SI units but where named)."""

    c_max_mol_m3: float = nmc111.C_MAX_MOL_M3                  # [T1]
    initial_lithiation: float = nmc111.INITIAL_LITHIATION       # [T1]
    rate_constant: float = nmc111.RATE_CONSTANT                 # [T1], m^2.5/(s mol^0.5)
    am_conductivity_s_m: float = nmc111.AM_CONDUCTIVITY_S_M     # [T1]
    cbd_conductivity_s_m: float = 15.93                         # [T1], unstrained CBD
    cbd_porosity: float = 0.27                                  # [T1]
    cbd_transport_factor: float = 0.05                          # [T1], f of Eq. 7
    temperature_k: float = nmc111.TEMPERATURE_K                 # [T1]/[LG] 20 degC
    initial_electrolyte_mol_m3: float = nmc111.INITIAL_ELECTROLYTE_MOL_M3
    separator_thickness_um: float = 25.0                        # [XU]
    separator_porosity: float = 0.39                            # [XU]
    separator_bruggeman: float = 1.5                            # [XU]
    separator_layers: int = 5                                   # ours
    li_exchange_ref: float = 3.5e-8 * FARADAY                   # [XU]
    li_metal_mol_m3: float = 1.0 / 1.3e-5                       # [XU]
    sei_resistance_ohm_m2: float = nmc111.SEI_RESISTANCE_OHM_M2  # [T1]
    am_density_g_cm3: float = 4.7                               # the line's NMC111
    reaction_area_factor: float = 1.0 / 1.5                     # ours, see the module doc

    @classmethod
    def from_line(cls, params) -> HalfCellParameters:
        """The half-cell of the line's :class:`~electroforge.line.materials.LineParameters`
        (its CBD conductivity, porosity and transport factor, AM density and conductivity,
        voxel face correction)."""
        return cls(am_conductivity_s_m=params.am_conductivity_s_m,
                   cbd_conductivity_s_m=params.cbd_conductivity_s_m,
                   cbd_porosity=params.cbd_nanoporosity,
                   cbd_transport_factor=params.cbd_transport_factor,
                   am_density_g_cm3=params.am_density_g_cm3,
                   reaction_area_factor=1.0 / params.face_count_correction)

    @property
    def thermal_v(self) -> float:
        """RT/F, V."""
        return GAS_CONSTANT * self.temperature_k / FARADAY

    # -- the NMC111 ---------------------------------------------------------------------
    def ocp_v(self, c_s: np.ndarray) -> np.ndarray:
        return nmc111.ocp_v(np.asarray(c_s) / self.c_max_mol_m3)

    def ocp_slope_v_m3_mol(self, c_s: np.ndarray) -> np.ndarray:
        """dU/dc_s of [JI]'s fit."""
        x = np.asarray(c_s) / self.c_max_mol_m3
        return (-6.9922 + 2 * 7.1062 * x - 3 * 2.5947 * x**2
                - 5.4549e-5 * 124.23 * np.exp(124.23 * x - 114.2593)) / self.c_max_mol_m3

    def solid_diffusivity_m2_s(self, c_s: np.ndarray) -> np.ndarray:
        return nmc111.solid_diffusivity_m2_s(np.asarray(c_s) / self.c_max_mol_m3)

    def exchange_current_a_m2(self, c_e: np.ndarray, c_s: np.ndarray) -> np.ndarray:
        """F k c_e^0.5 c_s^0.5 (c_max - c_s)^0.5 [T1] (Eq. 8, alpha 0.5 each)."""
        c_s = np.clip(c_s, 0.0, self.c_max_mol_m3)
        return FARADAY * self.rate_constant * np.sqrt(
            np.maximum(c_e, 0.0) * c_s * (self.c_max_mol_m3 - c_s))

    # -- the electrolyte ([LG] via [T1]) ------------------------------------------------
    def conductivity_s_m(self, c_e):
        return nmc111.electrolyte_conductivity_s_m(c_e)

    def diffusivity_m2_s(self, c_e):
        return nmc111.electrolyte_diffusivity_m2_s(c_e)

    def transference_number(self, c_e):
        return nmc111.transference_number(c_e)

    def diffusional_conductivity_s_m(self, c_e):
        """kappa_D of Eq. 1.2: ``2 RT kappa / F (1 - t+) (1 + dln f/dln c)``; the current
        carries ``kappa_D grad ln c_e``."""
        return (2.0 * self.thermal_v * self.conductivity_s_m(c_e)
                * (1.0 - self.transference_number(c_e)) * nmc111.thermodynamic_factor(c_e))

    def li_exchange_current_a_m2(self, c_e):
        """[XU]'s lithium metal exchange current density."""
        return self.li_exchange_ref * self.li_metal_mol_m3**0.7 * np.maximum(c_e, 0.0)**0.3

    def practical_capacity_mah_g(self, cutoff_v: float) -> float:
        """F c_max (x(cutoff) - x0) / rho_AM, mAh per gram, with this cell's constants."""
        window = nmc111.lithiation_at_v(cutoff_v) - self.initial_lithiation
        return FARADAY * self.c_max_mol_m3 * window / (self.am_density_g_cm3 * 1e6) / 3.6

    def __post_init__(self) -> None:
        from electroforge.errors import InputError

        for name in ("c_max_mol_m3", "rate_constant", "am_conductivity_s_m",
                     "cbd_conductivity_s_m", "temperature_k", "initial_electrolyte_mol_m3",
                     "separator_thickness_um", "li_exchange_ref", "li_metal_mol_m3",
                     "am_density_g_cm3", "reaction_area_factor"):
            value = getattr(self, name)
            if not (_real(value) and math.isfinite(value) and value > 0):
                raise InputError("must be a finite number > 0", field=name, value=value,
                                 allowed="> 0")
        for name in ("initial_lithiation", "cbd_porosity", "cbd_transport_factor",
                     "separator_porosity"):
            value = getattr(self, name)
            if not (_real(value) and 0 < value < 1):
                raise InputError("must lie in (0, 1)", field=name, value=value,
                                 allowed="0 < value < 1")
        for name, low in (("sei_resistance_ohm_m2", 0.0), ("separator_bruggeman", 0.0)):
            value = getattr(self, name)
            if not (_real(value) and math.isfinite(value) and value >= low
                    and (value > low or name == "sei_resistance_ohm_m2")):
                raise InputError("must be a finite number >= 0 (the Bruggeman exponent > 0)",
                                 field=name, value=value, allowed=">= 0")
        if not (isinstance(self.separator_layers, int) and not isinstance(
                self.separator_layers, bool) and self.separator_layers >= 1):
            raise InputError("must be a whole number >= 1", field="separator_layers",
                             value=self.separator_layers, allowed=">= 1")


def _real(value) -> bool:
    """A plain or numpy real number, not a bool."""
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
