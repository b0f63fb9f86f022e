"""The reference's shortened, slurry-major design of experiments.

Making and drying a slurry is the expensive step (about 150 h of simulation in the
reference work, against about 8 h for one calendering), so the reference drew a few
quasi-random slurries (AM wt%, SC wt%) and paired each with many quasi-random
calendering conditions (CR %, and the C-rate when it is free). We do the same, with
one refinement: the conditions come from one Sobol' sequence cut into consecutive
blocks, one block per slurry. A block of 2^m consecutive points of a scrambled
Sobol' sequence is itself a net, so when ``n_per_slurry`` is a power of two every
slurry sees a stratified sweep of the conditions (one CR value in each 1/2^m of the
range) instead of a random subset, and all conditions together still form one
Sobol' sequence. Blocks are assigned to slurries in a seeded random order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import qmc

from electroforge.design._common import check_count, check_space, finish, sobol_points
from electroforge.errors import DesignError
from electroforge.seeds import check_seed, spawn
from electroforge.space import Space

__all__ = ["slurry_major"]


def slurry_major(
    space: Space,
    n_slurries: int,
    n_per_slurry: int,
    *,
    seed: int,
    slurry_parameters: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``n_slurries * n_per_slurry`` recipes grouped by slurry, slurry by slurry.

    Args:
        space: The recipe space.
        n_slurries: Number of distinct slurries (a discrepancy-optimized Latin hypercube
            over the slurry parameters).
        n_per_slurry: Calendering/operating conditions per slurry.
        seed: Seed; the same seed gives the same design bit for bit.
        slurry_parameters: Free parameters that define a slurry; by default those of
            the space's ``slurry`` and ``drying`` stages (``am_wt_pct``, ``sc_wt_pct``).

    Returns:
        A DataFrame with one column per parameter; rows ``k * n_per_slurry`` to
        ``(k + 1) * n_per_slurry - 1`` share slurry ``k``.

    Example:
        >>> from electroforge import default_space
        >>> d = slurry_major(default_space(), 3, 4, seed=0)
        >>> len(d), len(d.drop_duplicates(["am_wt_pct", "sc_wt_pct"]))
        (12, 3)
    """
    space = check_space(space)
    n_slurries = check_count(n_slurries, field="n_slurries")
    n_per_slurry = check_count(n_per_slurry, field="n_per_slurry")
    seed = check_seed(seed)
    slurry_names = _slurry_names(space, slurry_parameters)
    condition_names = [name for name in space.free_names if name not in slurry_names]
    if not condition_names:
        raise DesignError(
            "a slurry-major design needs a free parameter outside the slurry",
            field="slurry_parameters", value=", ".join(slurry_names),
            allowed="a subset of the free parameters that leaves at least one out "
            f"(free: {', '.join(space.free_names)})",
        )
    slurry_rng, condition_rng, order_rng = spawn(seed, 3)
    slurries = qmc.LatinHypercube(d=len(slurry_names), optimization="random-cd",
                                  rng=slurry_rng).random(n_slurries)
    conditions = sobol_points(len(condition_names), n_slurries * n_per_slurry, condition_rng)
    blocks = conditions.reshape(n_slurries, n_per_slurry, len(condition_names))
    blocks = blocks[order_rng.permutation(n_slurries)]

    columns = {name: np.repeat(slurries[:, i], n_per_slurry) for i, name in enumerate(slurry_names)}
    columns |= {name: blocks[:, :, i].ravel() for i, name in enumerate(condition_names)}
    cube = np.column_stack([columns[name] for name in space.free_names])
    return finish(space, cube, method="slurry-major", seed=seed, n_slurries=n_slurries,
                  n_per_slurry=n_per_slurry, slurry_parameters=list(slurry_names))


def _slurry_names(space: Space, chosen: Sequence[str] | None) -> tuple[str, ...]:
    if chosen is None:
        names = space.slurry_names()
        if not names:
            raise DesignError(
                "no free parameter belongs to the slurry or drying stage",
                field="slurry_parameters", value="None",
                allowed="give slurry_parameters, or set stage = 'slurry' on parameters "
                f"(free: {', '.join(space.free_names)})",
            )
        return names
    if isinstance(chosen, str):
        chosen = [chosen]
    names = tuple(chosen)
    for name in names:
        if name not in space.free_names:
            raise DesignError("not a free parameter of the space", field="slurry_parameters",
                              value=repr(name), allowed=", ".join(space.free_names))
    if len(set(names)) != len(names) or not names:
        raise DesignError("slurry parameters must be distinct and non-empty",
                          field="slurry_parameters", value=", ".join(names),
                          allowed="distinct free parameter names")
    return names
