"""The electrode properties every surrogate predicts (SPEC "Properties").

A catalog of plain data: column name, unit, the direction the default objective
pushes it in (``None``: reported only), a description for reports, and the physical range
a measured value must lie in (:meth:`Property.out_of_range`): fractions in [0, 1],
percentages in [0, 100], a tortuosity factor >= 1 (tau = eps D_bulk / D_eff with
D_eff <= eps D_bulk: a pore path is never shorter than the straight one), densities and
conductivities > 0, capacities, times >= 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import inf
from types import MappingProxyType

#: No electrode coating is denser: its densest solid, a layered oxide such as LiCoO2, is
#: 5.05 g/cm3 (NMC111 4.77 g/cm3); a value in kg/m3 (x1000) lands far above.
MAX_DENSITY_G_CM3 = 10.0

__all__ = ["Property", "PROPERTIES"]


@dataclass(frozen=True)
class Property:
    """An electrode property column.

    Args:
        name: Column name with the unit in it (``density_g_cm3``).
        unit: Canonical unit (see :mod:`electroforge.units`).
        direction: ``"min"``, ``"max"`` or ``None`` in the default objective.
        description: What it is and how the virtual line computes it.
        low, high: The physical range of a measured value.
        low_open: ``low`` itself is excluded (a density of 0 is no electrode).

    Example:
        >>> PROPERTIES["tortuosity_factor"].out_of_range(0.8)
        'tortuosity_factor >= 1'
        >>> PROPERTIES["porosity"].out_of_range(0.3) is None
        True
    """

    name: str
    unit: str
    direction: str | None
    description: str
    low: float = -inf
    high: float = inf
    low_open: bool = False

    def out_of_range(self, value: float) -> str | None:
        """``None`` if ``value`` is physical, else the allowed range as text."""
        too_low = value <= self.low if self.low_open else value < self.low
        if not (too_low or value > self.high):
            return None
        low = f"{self.name} {'>' if self.low_open else '>='} {self.low:g}"
        if self.high == inf:
            return low
        return f"{self.low:g} {'<' if self.low_open else '<='} {self.name} <= {self.high:g}"


PROPERTIES: MappingProxyType[str, Property] = MappingProxyType(
    {
        p.name: p
        for p in (
            Property("porosity", "-", None, "pore voxels / electrode voxels", 0.0, 1.0),
            Property("density_g_cm3", "g/cm3", "max", "electrode mass / electrode volume",
                     0.0, MAX_DENSITY_G_CM3, low_open=True),
            Property("tortuosity_factor", "-", "min",
                     "ionic tortuosity factor through pores and CBD (at 5 % of bulk), "
                     "tau = eps_e * D_bulk / D_eff", 1.0),
            Property("conductivity_s_m", "S/m", "max",
                     "effective electronic conductivity through AM + CBD", 0.0, low_open=True),
            Property("active_surface_pct", "%", "max",
                     "AM surface in contact with pore / total AM surface", 0.0, 100.0),
            Property("capacity_mah_g", "mAh/g", "max",
                     "discharge capacity per gram of active material at the C-rate", 0.0),
            Property("energy_wh_kg", "Wh/kg", "max",
                     "discharge energy per kg of active material at the C-rate", 0.0),
            Property("wetting_time_s", "s", "min", "electrolyte infiltration time", 0.0),
            Property("saturation", "-", "max", "final electrolyte saturation of the pores",
                     0.0, 1.0),
        )
    }
)
