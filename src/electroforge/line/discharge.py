"""Galvanostatic discharge of the calendered electrode: a PyBaMM DFN half-cell.

The positive electrode of PyBaMM's ``Xu2019`` set (NMC532 against lithium metal, the
closest published half-cell set to NMC111) is re-parameterized from the microstructure:
thickness, porosity, active material volume fraction, particle radius (Sauter mean of
the AM spheres), the electrolyte tortuosity factor from the voxel image, and the solid
conductivity set so that the model's effective value equals the voxel image's. The SPMe
is not used: it is wrong at low porosity and high rate. Each discharge takes ~0.3 s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from electroforge.errors import InputError

__all__ = ["Discharge", "discharge"]

FARADAY = 96485.33212
_ELECTRODE_AREA_M2 = 1e-4  # 1 cm2: capacities are reported per gram, energies per gram too


@dataclass(frozen=True)
class Discharge:
    """A discharge curve and its figures of merit."""

    c_rate: float
    capacity_mah_g: float        # per gram of active material
    energy_wh_kg: float          # per kilogram of active material
    mean_voltage_v: float
    time_s: np.ndarray
    voltage_v: np.ndarray
    capacity_curve_mah_g: np.ndarray


def discharge(*, c_rate: float, thickness_um: float, porosity: float, am_fraction: float,
              tortuosity_factor: float, conductivity_s_m: float, particle_radius_um: float,
              am_density_g_cm3: float, cutoff_v: float = 3.5) -> Discharge:
    """Discharge at ``c_rate`` (1/h, relative to the electrode's theoretical capacity)."""
    os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
    import pybamm

    if not 0 < c_rate <= 20:
        raise InputError("C-rate out of range", field="c_rate", value=c_rate, allowed="0 < c_rate <= 20")
    if not np.isfinite(tortuosity_factor) or tortuosity_factor <= 0:
        raise InputError("the pore phase does not percolate: no discharge possible",
                         field="tortuosity_factor", value=tortuosity_factor,
                         allowed="a finite tortuosity factor > 0")
    model = pybamm.lithium_ion.DFN(options={"working electrode": "positive",
                                            "transport efficiency": "tortuosity factor"})
    values = pybamm.ParameterValues("Xu2019")
    thickness_m = thickness_um * 1e-6
    solid = max(1.0 - porosity, 1e-6)
    c_max = values["Maximum concentration in positive electrode [mol.m-3]"]
    c_0 = values["Initial concentration in positive electrode [mol.m-3]"]
    capacity_ah = FARADAY * (c_max - c_0) * am_fraction * thickness_m * _ELECTRODE_AREA_M2 / 3600
    values.update({
        "Positive electrode thickness [m]": thickness_m,
        "Positive electrode porosity": porosity,
        "Positive electrode active material volume fraction": am_fraction,
        "Positive particle radius [m]": particle_radius_um * 1e-6,
        "Positive electrode tortuosity factor (electrolyte)": tortuosity_factor,
        "Positive electrode tortuosity factor (electrode)": 1.0,
        # Bruggeman (tau = eps^-0.5) for the separator, with its Xu2019 porosity.
        "Separator tortuosity factor (electrolyte)": values["Separator porosity"] ** -0.5,
        "Positive electrode conductivity [S.m-1]": max(conductivity_s_m, 1e-9) / solid,
        "Electrode height [m]": 1e-2,
        "Electrode width [m]": 1e-2,
        "Nominal cell capacity [A.h]": capacity_ah,
        "Current function [A]": c_rate * capacity_ah,
        "Lower voltage cut-off [V]": cutoff_v,
    }, check_already_exists=False)
    simulation = pybamm.Simulation(model, parameter_values=values,
                                   solver=pybamm.IDAKLUSolver(rtol=1e-6, atol=1e-8))
    hours = 1.2 / c_rate
    solution = simulation.solve([0, hours * 3600])
    time_s = solution["Time [s]"].entries
    voltage = solution["Voltage [V]"].entries
    am_mass_g = am_density_g_cm3 * 1e6 * am_fraction * thickness_m * _ELECTRODE_AREA_M2
    charge_mah = c_rate * capacity_ah * time_s / 3600 * 1000
    capacity = charge_mah / am_mass_g
    energy_wh = float(np.trapezoid(voltage, charge_mah / 1000))
    return Discharge(
        c_rate=c_rate,
        capacity_mah_g=float(capacity[-1]),
        energy_wh_kg=energy_wh / am_mass_g * 1000,
        mean_voltage_v=energy_wh / (charge_mah[-1] / 1000) if charge_mah[-1] > 0 else float("nan"),
        time_s=np.asarray(time_s), voltage_v=np.asarray(voltage), capacity_curve_mah_g=capacity,
    )
