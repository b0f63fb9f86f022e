"""How well a design fills its space: scipy's discrepancy, put next to a random design's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from electroforge.design._common import check_space
from electroforge.errors import DesignError
from electroforge.seeds import check_seed, spawn
from electroforge.space import Space

__all__ = ["SpaceFilling", "discrepancy", "space_filling"]

#: Discrepancy costs O(n^2 d): larger designs are measured on a seeded subsample.
MAX_POINTS = 8192
_METHODS = ("CD", "WD", "MD", "L2-star")
_RANDOM_REPEATS = 5


def discrepancy(space: Space, recipes: pd.DataFrame, *, method: str = "CD", seed: int = 0) -> float:
    """Discrepancy of ``recipes`` mapped to the unit cube of the free parameters (lower is better).

    ``method`` is scipy's: ``"CD"`` (centered L2, default), ``"WD"``, ``"MD"`` or
    ``"L2-star"``. Designs over :data:`MAX_POINTS` rows are measured on a seeded subsample.

    Example:
        >>> from electroforge import default_space, design
        >>> space = default_space()
        >>> sob = discrepancy(space, design.sobol(space, 256, seed=0))
        >>> rnd = discrepancy(space, design.random(space, 256, seed=0))
        >>> bool(sob < rnd)
        True
    """
    return _discrepancy(_cube(check_space(space), recipes), method, check_seed(seed))


@dataclass(frozen=True)
class SpaceFilling:
    """Discrepancy of a design beside that of uniform random designs of the same size.

    Attributes:
        method: scipy's discrepancy method.
        value: The design's discrepancy.
        random_median: Median discrepancy of 5 seeded uniform random designs.
        n_points: Points measured (a subsample above :data:`MAX_POINTS`).
    """

    method: str
    value: float
    random_median: float
    n_points: int

    @property
    def ratio_to_random(self) -> float:
        """``value / random_median``: below 1 fills the space better than chance."""
        return self.value / self.random_median

    def __str__(self) -> str:
        return (f"{self.method} discrepancy {self.value:.3g} "
                f"(uniform random of the same size: {self.random_median:.3g}; "
                f"ratio {self.ratio_to_random:.2f}) over {self.n_points} points")


def space_filling(space: Space, recipes: pd.DataFrame, *, method: str = "CD",
                  seed: int = 0) -> SpaceFilling:
    """The design's discrepancy and the median of seeded uniform random designs of its size."""
    cube = _cube(check_space(space), recipes)
    seed = check_seed(seed)
    value = _discrepancy(cube, method, seed)
    n_points = min(len(cube), MAX_POINTS)
    randoms = [_discrepancy(rng.random((n_points, cube.shape[1])), method, seed)
               for rng in spawn(seed, _RANDOM_REPEATS)]
    return SpaceFilling(method, value, float(np.median(randoms)), n_points)


def _cube(space: Space, recipes: pd.DataFrame) -> np.ndarray:
    cube = space.to_unit_cube(recipes)
    if len(cube) < 2:
        raise DesignError("discrepancy needs at least two recipes", field="recipes",
                          value=len(cube), allowed="two or more rows")
    if not np.isfinite(cube).all() or cube.min() < 0 or cube.max() > 1:
        raise DesignError("recipes outside the space", field="recipes",
                          allowed="finite values within every parameter's bounds")
    return cube


def _discrepancy(cube: np.ndarray, method: str, seed: int) -> float:
    if method not in _METHODS:
        raise DesignError("unknown discrepancy method", field="method", value=repr(method),
                          allowed=", ".join(_METHODS))
    if len(cube) > MAX_POINTS:
        (rng,) = spawn(seed, 1)
        cube = cube[rng.choice(len(cube), MAX_POINTS, replace=False)]
    return float(qmc.discrepancy(cube, method=method))
