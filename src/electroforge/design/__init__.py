"""Designs of experiments: Sobol', Saltelli, slurry-major, Latin hypercube, uniform random.

Every design takes a :class:`~electroforge.Space` and an explicit ``seed``, and returns
a DataFrame with one column per parameter; ``DataFrame.attrs["design"]`` records how
it was made. :func:`space_filling` measures it, :func:`pairplot` draws it.
"""

from electroforge.design.classic import lhs, random
from electroforge.design.plot import pairplot
from electroforge.design.quality import SpaceFilling, discrepancy, space_filling
from electroforge.design.saltelli import saltelli, saltelli_size
from electroforge.design.slurry_major import slurry_major
from electroforge.design.sobol import sobol

__all__ = [
    "SpaceFilling",
    "discrepancy",
    "lhs",
    "pairplot",
    "random",
    "saltelli",
    "saltelli_size",
    "slurry_major",
    "sobol",
    "space_filling",
]
