"""Objectives: scaled, weighted scalarizations of the electrode properties.

Not in this version yet: the reference's cost Cf (its Eq. 3), weighted, target,
desirability and Chebyshev scalarizations and outcome constraints will live here.
The properties they act on are catalogued in :mod:`electroforge.properties`.
"""

__all__: list[str] = []
