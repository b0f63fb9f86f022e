"""Pieces every design shares: size checks and turning unit-cube points into recipes."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from electroforge.errors import DesignError
from electroforge.seeds import check_seed
from electroforge.space import Space

#: Largest design any generator makes (rows); above this a typo is more likely than intent.
MAX_ROWS = 10_000_000


def check_count(n: object, *, field: str = "n", minimum: int = 1) -> int:
    """``n`` as an int of at least ``minimum``, or a :class:`DesignError` naming ``field``."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise DesignError("must be an integer", field=field, value=repr(n),
                          allowed=f"an integer from {minimum} to {MAX_ROWS}")
    value = int(n)
    if not minimum <= value <= MAX_ROWS:
        raise DesignError("out of range", field=field, value=value,
                          allowed=f"an integer from {minimum} to {MAX_ROWS}")
    return value


def check_space(space: object) -> Space:
    if not isinstance(space, Space):
        raise DesignError("not a Space", field="space", value=type(space).__name__,
                          allowed="an electroforge.Space (see electroforge.default_space())")
    return space


def is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def sobol_points(dim: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """The first ``n`` points of a scrambled (LMS + digital shift) Sobol' sequence.

    scipy's own warning about non-power-of-two sizes is silenced here: the public
    designs issue :class:`~electroforge.errors.DesignWarning` where it matters.
    """
    engine = qmc.Sobol(d=dim, scramble=True, rng=rng)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        return engine.random(n)


def finish(space: Space, cube: np.ndarray, *, method: str, seed: int, **meta: Any) -> pd.DataFrame:
    """Recipes from unit-cube points, with how they were made in ``DataFrame.attrs``."""
    recipes = space.from_unit_cube(cube)
    recipes.attrs["design"] = {"method": method, "seed": check_seed(seed), "n": len(recipes), **meta}
    return recipes
