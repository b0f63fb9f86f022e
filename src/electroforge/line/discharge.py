"""Galvanostatic discharge of the calendered electrode: a PyBaMM DFN NMC111 half-cell.

The parameter set is :mod:`electroforge.line.nmc111` (discharge-4d-ar-msnet Table 1, an
NMC111 OCP, LiPF6 electrolyte at 20 degC); the microstructure sets the electrode:
thickness, electrolyte volume fraction (pores plus the electrolyte inside the CBD's
nanopores), active material volume fraction, particle radius (Sauter mean of the AM
spheres), and the two transport efficiencies measured on the voxel image:

- electrolyte: PyBaMM's tortuosity-factor option applies ``D_eff = D (eps / tau)`` with
  ``eps`` the porosity it is given. We give it the electrolyte volume fraction
  ``eps_e`` and the image's tortuosity factor defined with the same ``eps_e``
  (``tau = eps_e D / D_eff``), so PyBaMM's ``D_eff / D`` equals the image's exactly.
- electrode: PyBaMM applies ``sigma_eff = sigma (1 - eps) / tau_s``; we give it
  ``tau_s = 1`` and ``sigma = sigma_image / (1 - eps_e)``, so its ``sigma_eff`` is the
  image's.

The C-rate is relative to the practical capacity (``nmc111.practical_capacity_mah_g``)
of the electrode's active material: 1C discharges the practical window in one hour at
equilibrium. The SPMe is not used: it is wrong at low porosity and high rate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from electroforge.errors import InputError
from electroforge.line import nmc111

__all__ = ["DEFAULT_CUTOFF_V", "Discharge", "discharge"]

#: Lower cutoff voltage of the discharge (SPEC: 3.0 V, NMC111 practice 3.0-4.3 V).
DEFAULT_CUTOFF_V = 3.0
MAX_C_RATE = 20.0


@dataclass(frozen=True)
class Discharge:
    """A discharge curve and its figures of merit."""

    c_rate: float
    capacity_mah_g: float        # per gram of active material
    energy_wh_kg: float          # per kilogram of active material
    mean_voltage_v: float
    practical_capacity_mah_g: float
    time_s: np.ndarray
    voltage_v: np.ndarray
    capacity_curve_mah_g: np.ndarray


def discharge(*, c_rate: float, thickness_um: float, electrolyte_fraction: float,
              am_fraction: float, tortuosity_factor: float, conductivity_s_m: float,
              particle_radius_um: float, am_density_g_cm3: float,
              cutoff_v: float = DEFAULT_CUTOFF_V, points: int = 200,
              variables: tuple[str, ...] = (), particle: str = "Fickian diffusion",
              ) -> Discharge | tuple[Discharge, dict]:
    """Discharge at ``c_rate`` (1/h, relative to the practical capacity) down to ``cutoff_v``.

    Args:
        electrolyte_fraction: Electrolyte volume fraction (pores + CBD nanopores).
        tortuosity_factor: ``eps_e D_bulk / D_eff`` with the same ``eps_e``.
        conductivity_s_m: Effective electronic conductivity of the electrode.
        variables: PyBaMM variables to return as well (then a ``(Discharge, dict)`` pair).
        particle: PyBaMM's particle option (``"uniform profile"``: no solid diffusion
            limit, as the voxel half-cell's layered check needs).
    """
    os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
    import pybamm

    if not 0 < c_rate <= MAX_C_RATE:
        raise InputError("C-rate out of range", field="c_rate", value=c_rate,
                         allowed=f"0 < c_rate <= {MAX_C_RATE:g}")
    cutoff_v = nmc111.check_cutoff(cutoff_v)
    if not np.isfinite(tortuosity_factor) or tortuosity_factor <= 0:
        raise InputError("the electrolyte does not percolate: no discharge possible",
                         field="tortuosity_factor", value=tortuosity_factor,
                         allowed="a finite tortuosity factor > 0")
    if not 0 < electrolyte_fraction < 1 or not 0 < am_fraction < 1:
        raise InputError("volume fractions must lie in (0, 1)", field="electrolyte_fraction",
                         value=(electrolyte_fraction, am_fraction), allowed="0 < value < 1")
    model = pybamm.lithium_ion.DFN(options={"working electrode": "positive",
                                            "transport efficiency": "tortuosity factor",
                                            "contact resistance": "true",
                                            "particle": particle})
    values = nmc111.parameter_values(cutoff_v=cutoff_v)
    thickness_m = thickness_um * 1e-6
    area_m2 = nmc111.ELECTRODE_SIDE_M**2
    am_mass_g = am_density_g_cm3 * 1e6 * am_fraction * thickness_m * area_m2
    practical = nmc111.practical_capacity_mah_g(cutoff_v, am_density_g_cm3)
    capacity_ah = practical * am_mass_g / 1000.0
    values.update({
        "Positive electrode thickness [m]": thickness_m,
        "Positive electrode porosity": electrolyte_fraction,
        "Positive electrode active material volume fraction": am_fraction,
        "Positive particle radius [m]": particle_radius_um * 1e-6,
        "Positive electrode tortuosity factor (electrolyte)": tortuosity_factor,
        "Positive electrode tortuosity factor (electrode)": 1.0,
        # Bruggeman (tau = eps^-0.5) for the separator, with its Xu2019 porosity.
        "Separator tortuosity factor (electrolyte)": values["Separator porosity"] ** -0.5,
        "Positive electrode conductivity [S.m-1]": max(conductivity_s_m, 1e-9)
        / (1.0 - electrolyte_fraction),
        "Nominal cell capacity [A.h]": capacity_ah,
        "Current function [A]": c_rate * capacity_ah,
    }, check_already_exists=False)
    simulation = pybamm.Simulation(model, parameter_values=values,
                                   solver=pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8))
    hours = 1.25 / c_rate
    solution = simulation.solve(np.linspace(0, hours * 3600, points))
    time_s = np.asarray(solution["Time [s]"].entries)
    voltage = np.asarray(solution["Voltage [V]"].entries)
    charge_mah = c_rate * capacity_ah * time_s / 3600 * 1000
    capacity = charge_mah / am_mass_g
    energy_wh = float(np.trapezoid(voltage, charge_mah / 1000))
    result = Discharge(
        c_rate=c_rate, capacity_mah_g=float(capacity[-1]),
        energy_wh_kg=energy_wh / am_mass_g * 1000,
        mean_voltage_v=energy_wh / (charge_mah[-1] / 1000) if charge_mah[-1] > 0 else float("nan"),
        practical_capacity_mah_g=practical, time_s=time_s, voltage_v=voltage,
        capacity_curve_mah_g=capacity)
    if variables:
        return result, {name: np.asarray(solution[name].entries) for name in variables}
    return result
