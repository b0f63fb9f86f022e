"""Checks of the voxel half-cell against PyBaMM on a geometry both can solve exactly.

The layered electrode: AM walls ``am_voxels`` thick and pore channels ``pore_voxels``
wide alternate along x and run straight through the film (z) and along y. Its
homogenized description is exact: electrolyte fraction and AM fraction are the walls'
shares, the tortuosity factor of the straight channels is 1, the solid conducts along
the walls with ``sigma_AM x AM fraction``, and the reaction surface per volume is
``2 / (period x voxel)``; PyBaMM's DFN takes it as spheres of radius ``3 eps_AM / a``.
The solid diffusion is matched by making it no limit in either model: PyBaMM's
uniform-profile particle, and voxels that exchange no lithium with each other
(each wall voxel has one reaction face, so it is a uniform particle of its own).
The separator, the lithium electrode with its SEI resistance and the NMC111 set are the
same in both (:mod:`.parameters`).
"""

from __future__ import annotations

import numpy as np

from electroforge.line.halfcell.mesh import AM, PORE
from electroforge.line.halfcell.parameters import HalfCellParameters

__all__ = ["layered_image", "layered_against_pybamm"]


def layered_image(thickness_um: float, voxel_um: float, *, am_voxels: int = 2,
                  pore_voxels: int = 2, rows: int = 1) -> np.ndarray:
    """Labels ``(z, rows, am_voxels + pore_voxels)`` of the layered electrode."""
    layers = int(round(thickness_um / voxel_um))
    labels = np.full((layers, rows, am_voxels + pore_voxels), PORE, dtype=np.uint8)
    labels[:, :, :am_voxels] = AM
    return labels


def layered_against_pybamm(c_rate: float, *, thickness_um: float = 20.0,
                           voxel_um: float = 0.5, cutoff_v: float = 3.0,
                           params: HalfCellParameters | None = None) -> dict[str, float]:
    """Capacities and voltages of the voxel half-cell and PyBaMM's DFN on
    :func:`layered_image` at ``c_rate``: ``capacity_error`` (relative) and
    ``voltage_rms_mv`` over the capacity both reach."""
    from electroforge.line.discharge import discharge
    from electroforge.line.halfcell.solver import halfcell_discharge

    params = params or HalfCellParameters(reaction_area_factor=1.0)   # flat faces: exact
    am_voxels, pore_voxels = 2, 2
    labels = layered_image(thickness_um, voxel_um, am_voxels=am_voxels,
                           pore_voxels=pore_voxels)
    ours = halfcell_discharge(labels, voxel_um=voxel_um, c_rate=c_rate, params=params,
                              cutoff_v=cutoff_v, frames=1, require_cbd=False,
                              solid_diffusion=False)
    period = am_voxels + pore_voxels
    am_fraction = am_voxels / period
    area_per_volume_m = 2.0 / (period * voxel_um * 1e-6)
    reference = discharge(
        c_rate=c_rate, thickness_um=labels.shape[0] * voxel_um,
        electrolyte_fraction=pore_voxels / period, am_fraction=am_fraction,
        tortuosity_factor=1.0, conductivity_s_m=params.am_conductivity_s_m * am_fraction,
        particle_radius_um=3.0 * am_fraction / area_per_volume_m * 1e6,
        am_density_g_cm3=params.am_density_g_cm3, cutoff_v=cutoff_v, points=400,
        particle="uniform profile")
    a, b = ours.discharge, reference
    reach = min(a.capacity_mah_g, b.capacity_mah_g)
    grid = np.linspace(0.0, reach, 200)[1:-1]
    difference = (np.interp(grid, a.capacity_curve_mah_g, a.voltage_v)
                  - np.interp(grid, b.capacity_curve_mah_g, b.voltage_v))
    return {"c_rate": float(c_rate), "capacity_halfcell_mah_g": a.capacity_mah_g,
            "capacity_pybamm_mah_g": b.capacity_mah_g,
            "capacity_error": (a.capacity_mah_g - b.capacity_mah_g) / b.capacity_mah_g,
            "voltage_rms_mv": float(np.sqrt(np.mean(difference**2)) * 1000),
            "seconds_halfcell": ours.seconds}
