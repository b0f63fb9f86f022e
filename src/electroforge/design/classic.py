"""Latin hypercube and uniform random designs, the usual points of comparison."""

from __future__ import annotations

import pandas as pd
from scipy.stats import qmc

from electroforge.design._common import check_count, check_space, finish
from electroforge.seeds import generator
from electroforge.space import Space

__all__ = ["lhs", "random"]


def lhs(space: Space, n: int, *, seed: int) -> pd.DataFrame:
    """``n`` recipes from a scrambled Latin hypercube (one point per row and column stratum).

    Example:
        >>> from electroforge import default_space
        >>> d = lhs(default_space(), 10, seed=0)
        >>> sorted(((d["cr_pct"] // 5).astype(int)).tolist())   # one point in each tenth
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    """
    space = check_space(space)
    n = check_count(n)
    cube = qmc.LatinHypercube(d=space.dim, rng=generator(seed)).random(n)
    return finish(space, cube, method="lhs", seed=seed)


def random(space: Space, n: int, *, seed: int) -> pd.DataFrame:
    """``n`` recipes drawn independently and uniformly over the free parameters."""
    space = check_space(space)
    n = check_count(n)
    return finish(space, generator(seed).random((n, space.dim)), method="random", seed=seed)
