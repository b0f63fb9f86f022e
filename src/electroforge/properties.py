"""The electrode properties every surrogate predicts (SPEC "Properties").

A catalog of plain data: column name, unit, the direction the default objective
pushes it in (``None``: reported only), and a description for reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["Property", "PROPERTIES"]


@dataclass(frozen=True)
class Property:
    """An electrode property column.

    Args:
        name: Column name with the unit in it (``density_g_cm3``).
        unit: Canonical unit (see :mod:`electroforge.units`).
        direction: ``"min"``, ``"max"`` or ``None`` in the default objective.
        description: What it is and how the virtual line computes it.
    """

    name: str
    unit: str
    direction: str | None
    description: str


PROPERTIES: MappingProxyType[str, Property] = MappingProxyType(
    {
        p.name: p
        for p in (
            Property("porosity", "-", None, "pore voxels / electrode voxels"),
            Property("density_g_cm3", "g/cm3", "max", "electrode mass / electrode volume"),
            Property("tortuosity_factor", "-", "min",
                     "pore-network tortuosity factor, tau = eps * D_bulk / D_eff"),
            Property("conductivity_s_m", "S/m", "max",
                     "effective electronic conductivity through AM + CBD"),
            Property("active_surface_pct", "%", "max",
                     "AM surface in contact with pore / total AM surface"),
            Property("capacity_mah_g", "mAh/g", "max",
                     "discharge capacity per gram of active material at the C-rate"),
            Property("wetting_time_s", "s", "min", "electrolyte infiltration time"),
            Property("saturation", "-", "max", "final electrolyte saturation of the pores"),
        )
    }
)
