"""The NMC111 half-cell parameter set of the virtual line's discharge, in one cited place.

Sources:

- [T1] Marcato et al., discharge-4d-ar-msnet (shared/reference), Table 1: the parameter set
  of the ARTISTIC group's NMC111 half-cell, the group whose line ours follows.
- [JI] Ji, Zhang and Wang, "Li-ion cell operation at low temperatures", J. Electrochem.
  Soc. 160 (2013) A636: the open-circuit potential of LiNi1/3Mn1/3Co1/3O2 against Li,
  a fit widely reused for NMC111 (e.g. Yang et al., J. Power Sources 360, 2017, 28).
- [WU] Wu et al., "High rate capability of Li(Ni1/3Mn1/3Co1/3)O2 electrode for Li-ion
  batteries", J. Electrochem. Soc. 159 (2012) A438 ([T1]'s ref. 53): the solid
  diffusivity. [T1] prints its polynomial with the argument ``c_l / c_ref``, which makes it
  zero at 1 M; the polynomial is a function of the lithiation (it falls to zero at full
  lithiation, as NMC's diffusivity collapses there), so we read it so, with a floor.
- [LG] Landesfeind and Gasteiger, J. Electrochem. Soc. 166 (2019) A3079 ([T1]'s ref.
  52): LiPF6 electrolyte at 20 degC (conductivity, diffusivity, transference number,
  thermodynamic factor), as printed in [T1].
- The lithium counter electrode and the separator are PyBaMM's ``Xu2019`` half-cell's
  (Xu et al., J. Electrochem. Soc. 166, 2019, A3456), with [T1]'s SEI film resistance
  on the lithium as a contact resistance.

The practical capacity is the window from the initial lithiation [T1] to the lithiation
where the OCP reaches the cutoff: ``F c_max (x(cutoff) - x0) / rho_AM``. With [T1]'s x0 =
0.45925 it cannot exceed F c_max (1 - x0) / rho_AM = 148.7 mAh/g (rho_AM 4.7 g/cm3);
with [JI]'s OCP, x(3.0 V) = 0.995, the window at 3.0 V is 147.2 mAh/g, inside the
145-165 mAh/g that NMC111 gives at C/10 between 3.0 and 4.3 V in practice.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

__all__ = ["C_MAX_MOL_M3", "INITIAL_LITHIATION", "ocp_v", "lithiation_at_v",
           "practical_capacity_mah_g", "parameter_values"]

FARADAY_C_MOL = 96485.33212
#: Maximum Li concentration of NMC111 [T1].
C_MAX_MOL_M3 = 48207.0
#: Initial degree of lithiation of NMC111 [T1].
INITIAL_LITHIATION = 0.45925
#: Reaction rate coefficient, m^2.5 / (s mol^0.5) [T1] (Butler-Volmer, alpha 0.5 each).
RATE_CONSTANT = 4.38e-11
#: Electronic conductivity of NMC111, S/m [T1].
AM_CONDUCTIVITY_S_M = 0.01
#: SEI film resistance on the lithium counter electrode, Ohm m2 [T1].
SEI_RESISTANCE_OHM_M2 = 1e-3
#: Temperature of [LG]'s electrolyte fits in [T1], K (20 degC).
TEMPERATURE_K = 293.15
#: Floor of the solid diffusivity, m2/s (ours): [WU]'s polynomial falls to zero at full
#: lithiation, which would make the last per cent of the window unreachable at any rate.
#: The floor is its value at x = 0.86, 2.6e-15 m2/s: the smallest floor with which the C/10
#: capacity of the reference electrode (27 um, eps_e 0.35, the line's 4.36 um Sauter
#: radius) comes within 2 % of the practical window (measured: floors at x = 0.9 / 0.88 /
#: 0.86 gave 143.9 / 144.6 / 145.1 mAh/g against 147.2).
_FLOOR_LITHIATION = 0.86
SOLID_DIFFUSIVITY_FLOOR_M2_S = (1e-14 * _FLOOR_LITHIATION**3 + 3e-14 * _FLOOR_LITHIATION**2
                                - 1e-13 * _FLOOR_LITHIATION + 6e-14)
_ELECTROLYTE_REF_MOL_M3 = 1000.0   # c_ref of [T1]
INITIAL_ELECTROLYTE_MOL_M3 = 1000.0
#: Side of the simulated electrode, m (1 cm2: capacities are reported per gram anyway).
ELECTRODE_SIDE_M = 1e-2


def ocp_v(x):
    """Open-circuit potential of NMC111 vs Li/Li+ at lithiation ``x`` [JI] (numbers or PyBaMM
    symbols)."""
    import pybamm

    exp = pybamm.exp if isinstance(x, pybamm.Symbol) else np.exp
    return (6.0826 - 6.9922 * x + 7.1062 * x**2 - 2.5947 * x**3
            - 5.4549e-5 * exp(124.23 * x - 114.2593))


def lithiation_at_v(voltage_v: float) -> float:
    """The lithiation where the OCP equals ``voltage_v`` (between 0.3 and 1)."""
    low, high = 0.3, 1.0
    if not float(ocp_v(high)) < voltage_v < float(ocp_v(low)):
        raise ValueError(f"{voltage_v} V is outside the NMC111 OCP's range "
                         f"({float(ocp_v(high)):.2f}-{float(ocp_v(low)):.2f} V)")
    return float(brentq(lambda x: float(ocp_v(x)) - voltage_v, low, high, xtol=1e-12))


def practical_capacity_mah_g(cutoff_v: float, am_density_g_cm3: float) -> float:
    """F c_max (x(cutoff) - x0) / rho_AM, mAh per gram of NMC111."""
    window = lithiation_at_v(cutoff_v) - INITIAL_LITHIATION
    return FARADAY_C_MOL * C_MAX_MOL_M3 * window / (am_density_g_cm3 * 1e6) / 3.6


def solid_diffusivity_m2_s(x):
    """Li diffusivity in NMC111 at lithiation ``x`` [WU], floored (see the floor's note)."""
    import pybamm

    value = 1e-14 * x**3 + 3e-14 * x**2 - 1e-13 * x + 6e-14
    if isinstance(value, pybamm.Symbol):
        return pybamm.maximum(value, SOLID_DIFFUSIVITY_FLOOR_M2_S)
    return np.maximum(value, SOLID_DIFFUSIVITY_FLOOR_M2_S)


def electrolyte_conductivity_s_m(c_e, T=None):
    """[LG] at 20 degC, as printed in [T1]."""
    r = c_e / _ELECTROLYTE_REF_MOL_M3
    return 0.04 * r**5 - 0.4071 * r**4 + 1.7131 * r**3 - 3.6247 * r**2 + 3.3222 * r + 0.016


def electrolyte_diffusivity_m2_s(c_e, T=None):
    """[LG] at 20 degC, as printed in [T1]."""
    r = c_e / _ELECTROLYTE_REF_MOL_M3
    return -6e-12 * r**3 + 6e-11 * r**2 - 3e-10 * r + 5e-10


def transference_number(c_e, T=None):
    """[LG] at 20 degC, as printed in [T1]."""
    r = c_e / _ELECTROLYTE_REF_MOL_M3
    return 0.0015 * r**3 + 0.0434 * r**2 - 0.287 * r + 0.5222


def thermodynamic_factor(c_e, T=None):
    """[LG] at 20 degC, as printed in [T1]."""
    r = c_e / _ELECTROLYTE_REF_MOL_M3
    return 0.1138 * r**3 + 0.0944 * r**2 + 0.6692 * r + 0.1778


def exchange_current_density_a_m2(c_e, c_s_surf, c_s_max, T):
    """Butler-Volmer exchange current density F k c_e^0.5 c_s^0.5 (c_max - c_s)^0.5 [T1]."""
    return FARADAY_C_MOL * RATE_CONSTANT * c_e**0.5 * c_s_surf**0.5 * (c_s_max - c_s_surf)**0.5


def _diffusivity(sto, T):
    return solid_diffusivity_m2_s(sto)


def parameter_values(*, cutoff_v: float):
    """PyBaMM ``ParameterValues`` of the NMC111 | separator | Li half-cell (electrode
    geometry, porosity, transport and current are set per discharge)."""
    import pybamm

    values = pybamm.ParameterValues("Xu2019")
    values.update({
        "Electrode height [m]": ELECTRODE_SIDE_M,
        "Electrode width [m]": ELECTRODE_SIDE_M,
        "Maximum concentration in positive electrode [mol.m-3]": C_MAX_MOL_M3,
        "Initial concentration in positive electrode [mol.m-3]": INITIAL_LITHIATION * C_MAX_MOL_M3,
        "Positive electrode OCP [V]": ocp_v,
        "Positive particle diffusivity [m2.s-1]": _diffusivity,
        "Positive electrode exchange-current density [A.m-2]": exchange_current_density_a_m2,
        "Positive electrode Butler-Volmer transfer coefficient": 0.5,
        "Initial concentration in electrolyte [mol.m-3]": INITIAL_ELECTROLYTE_MOL_M3,
        "Electrolyte conductivity [S.m-1]": electrolyte_conductivity_s_m,
        "Electrolyte diffusivity [m2.s-1]": electrolyte_diffusivity_m2_s,
        "Cation transference number": transference_number,
        "Thermodynamic factor": thermodynamic_factor,
        "Ambient temperature [K]": TEMPERATURE_K,
        "Initial temperature [K]": TEMPERATURE_K,
        "Reference temperature [K]": TEMPERATURE_K,
        "Contact resistance [Ohm]": SEI_RESISTANCE_OHM_M2 / ELECTRODE_SIDE_M**2,
        "Lower voltage cut-off [V]": cutoff_v,
        "Upper voltage cut-off [V]": 4.6,
        "Open-circuit voltage at 0% SOC [V]": cutoff_v,
        "Open-circuit voltage at 100% SOC [V]": float(ocp_v(INITIAL_LITHIATION)),
    }, check_already_exists=False)
    return values


def check_cutoff(cutoff_v: float, *, field: str = "cutoff_v") -> float:
    """The cutoff voltage if the OCP reaches it after the initial lithiation."""
    from electroforge.errors import InputError

    start = float(ocp_v(INITIAL_LITHIATION))
    if not (isinstance(cutoff_v, (int, float)) and not isinstance(cutoff_v, bool)
            and math.isfinite(cutoff_v)
            and float(ocp_v(0.9999)) < cutoff_v < start - 0.05):
        raise InputError("discharge cutoff outside the NMC111 OCP window", field=field,
                         value=cutoff_v, allowed=f"{float(ocp_v(0.9999)):.2f} < cutoff_v < "
                         f"{start - 0.05:.2f} V (the OCP at the initial lithiation "
                         f"{INITIAL_LITHIATION} is {start:.2f} V)")
    return float(cutoff_v)
