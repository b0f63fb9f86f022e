"""Objectives: scaled, weighted scalarizations of the electrode properties.

:class:`Target` (a property, a direction, a weight, scaling bounds), :class:`Constraint`
(``porosity >= 0.25``) and the torch-differentiable costs of
:mod:`electroforge.objectives.scalarizations`, the reference's Cf (Eq. 3) first.
The properties are catalogued in :mod:`electroforge.properties`.
"""

from electroforge.objectives.scalarizations import (
    AugmentedChebyshev, Desirability, Objective, ReferenceCost, WeightedSum)
from electroforge.objectives.targets import DIRECTIONS, Constraint, Target

#: The reference study's four targets (Eq. 3 with equal weights), bounds still to set.
REFERENCE_TARGETS = (
    Target("tortuosity_factor", "min"),
    Target("conductivity_s_m", "max"),
    Target("active_surface_pct", "max"),
    Target("density_g_cm3", "max"),
)

__all__ = ["AugmentedChebyshev", "Constraint", "DIRECTIONS", "Desirability", "Objective",
           "REFERENCE_TARGETS", "ReferenceCost", "Target", "WeightedSum"]
