"""Saltelli designs (SALib) for Sobol' sensitivity indices."""

from __future__ import annotations

import warnings

import pandas as pd
from SALib.sample import sobol as salib_sobol

from electroforge.design._common import check_count, check_space, finish, is_power_of_two
from electroforge.errors import DesignError, DesignWarning
from electroforge.seeds import check_seed
from electroforge.space import Space

__all__ = ["saltelli", "saltelli_size"]


def saltelli_size(n: int, dim: int, *, second_order: bool = True) -> int:
    """Rows of a Saltelli design: ``n (2D + 2)`` with second order, ``n (D + 2)`` without."""
    return n * (2 * dim + 2) if second_order else n * (dim + 2)


def saltelli(space: Space, n: int, *, seed: int, second_order: bool = True) -> pd.DataFrame:
    """A Saltelli design over the free parameters, in the row order SALib's analysis expects.

    Args:
        space: The recipe space; fixed parameters become constant columns.
        n: Base sample size N (a power of two); the design has :func:`saltelli_size` rows.
        seed: Seed of the Sobol' scrambling.
        second_order: Also sample what second-order indices need.

    Example:
        >>> from electroforge import default_space
        >>> saltelli(default_space(), 16, seed=0).shape   # 16 * (2 * 4 + 2) rows
        (160, 4)
    """
    space = check_space(space)
    n = check_count(n, minimum=2)
    seed = check_seed(seed)
    if second_order and space.dim < 2:
        raise DesignError("second-order indices need two or more free parameters",
                          field="second_order", value=True,
                          allowed=f"False for a space of {space.dim} free parameter")
    if not is_power_of_two(n):
        warnings.warn(
            f"Saltelli design of n={n} is not a power of two: the Sobol' estimates "
            "converge more slowly; use a power of two",
            DesignWarning,
            stacklevel=2,
        )
    problem = {"num_vars": space.dim, "names": list(space.free_names),
               "bounds": [[0.0, 1.0]] * space.dim}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cube = salib_sobol.sample(problem, n, calc_second_order=second_order, scramble=True,
                                  seed=seed)
    return finish(space, cube, method="saltelli", seed=seed, base_n=n, second_order=second_order)
