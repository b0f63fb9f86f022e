"""Scrambled Sobol' designs (scipy.stats.qmc), the reference's space-filling DOE."""

from __future__ import annotations

import warnings

import pandas as pd

from electroforge.design._common import (
    check_count, check_space, finish, is_power_of_two, sobol_points)
from electroforge.errors import DesignWarning
from electroforge.seeds import generator
from electroforge.space import Space

__all__ = ["sobol"]


def sobol(space: Space, n: int, *, seed: int) -> pd.DataFrame:
    """``n`` recipes from a scrambled Sobol' sequence over the free parameters.

    Sobol' points are balanced (each of the 2^m elementary intervals of every
    one-dimensional projection holds exactly one point) only when ``n`` is a power of
    two; other sizes work but issue a :class:`~electroforge.errors.DesignWarning`.

    Args:
        space: The recipe space; fixed parameters become constant columns.
        n: Number of recipes.
        seed: Seed of the scrambling; the same seed gives the same design bit for bit.

    Returns:
        A DataFrame with one column per parameter (``space.names``) and ``n`` rows.

    Example:
        >>> from electroforge import default_space
        >>> d = sobol(default_space(), 8, seed=1)
        >>> d.shape, bool(d["cr_pct"].between(0, 50).all())
        ((8, 4), True)
    """
    space = check_space(space)
    n = check_count(n)
    if not is_power_of_two(n):
        lower = 1 << (n.bit_length() - 1)
        warnings.warn(
            f"Sobol' design of n={n} is not a power of two: its points lose the balance "
            f"property; use n={lower} or n={lower * 2}",
            DesignWarning,
            stacklevel=2,
        )
    return finish(space, sobol_points(space.dim, n, generator(seed)), method="sobol", seed=seed)
