"""Derived inputs: the physically natural complements of the recipe parameters.

Conductivity follows the CBD content (100 - AM wt%), not the AM content; calendered
thickness is H0 (1 - CR/100). A product or ratio of such complements is not in the
feature space built from the raw inputs, so the symbolic backends also get, for every
recipe column present:

| input | derived | definition |
|---|---|---|
| ``am_wt_pct`` | ``cbd_wt_pct`` | 100 - am_wt_pct |
| ``sc_wt_pct`` | ``solvent_wt_pct`` | 100 - sc_wt_pct |
| ``cr_pct`` | ``thickness_ratio`` | 1 - cr_pct / 100 |

They are computed inside the surrogate (predict, torch module, equations), so users pass
recipes only. Measured on the line's 174-recipe dataset (one 80/20 split, SISSO), test R2
without -> with them: unconstrained, conductivity 0.898 -> 0.933, tortuosity 0.933 -> 0.954;
domain-checked as ``electroforge fit`` does, tortuosity 0.933 -> 0.955, active surface
0.952 -> 0.966, density 0.979 -> 0.987, conductivity 0.898 -> 0.860 (its best equation
turns negative in a corner of the box and a log form is kept instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["KNOWN", "augment", "derived_for", "symbols"]

#: input -> (derived name, offset, scale): derived = offset + scale * input
KNOWN: dict[str, tuple[str, float, float]] = {
    "am_wt_pct": ("cbd_wt_pct", 100.0, -1.0),
    "sc_wt_pct": ("solvent_wt_pct", 100.0, -1.0),
    "cr_pct": ("thickness_ratio", 1.0, -0.01),
}

Derived = tuple[str, int, float, float]


def derived_for(names: list[str]) -> list[Derived]:
    """(name, index of its input, offset, scale) for every known input among ``names``."""
    return [(KNOWN[name][0], i, KNOWN[name][1], KNOWN[name][2])
            for i, name in enumerate(names) if name in KNOWN and KNOWN[name][0] not in names]


def augment(values: Any, derived: list[Derived]) -> Any:
    """``values`` (n x d, numpy or torch) with the derived columns appended."""
    if not derived:
        return values
    extra = [offset + scale * values[:, index] for _, index, offset, scale in derived]
    if isinstance(values, np.ndarray):
        return np.column_stack([values, *extra])
    import torch

    return torch.cat([values, torch.stack(extra, dim=-1)], dim=-1)


def symbols(names: list[str], derived: list[Derived]) -> list:
    """Sympy symbols of the inputs, then the derived columns as expressions of them
    (``100 - am_wt_pct``, ``1 - cr_pct/100``)."""
    import sympy

    base = list(sympy.symbols(names))
    return base + [sympy.nsimplify(offset) + sympy.nsimplify(scale) * base[index]
                   for _, index, offset, scale in derived]
