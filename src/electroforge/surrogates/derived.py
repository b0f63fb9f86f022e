"""Derived inputs: the recipe parameters as dimensionless fractions of O(1), complements
kept.

Conductivity follows the CBD content (1 - AM fraction), not the AM content; calendered
thickness is H0 (1 - CR/100). A product or ratio of such complements is not in the
feature space built from the raw inputs, and a raw input of ~90 (wt%) makes ``exp(x)`` an
``exp(90)`` and coefficients of 1e-22 that nobody can read or check. So the symbolic
backends get, for every recipe column present, its fraction and its complement, and SISSO
builds its primary features on those *instead of* the raw column
(:func:`dimensionless_columns`):

| input | derived | definition |
|---|---|---|
| ``am_wt_pct`` | ``am_fraction``, ``cbd_fraction`` | am/100, 1 - am/100 |
| ``sc_wt_pct`` | ``solids_fraction``, ``solvent_fraction`` | sc/100, 1 - sc/100 |
| ``cr_pct`` | ``cr_fraction``, ``thickness_ratio`` | cr/100, 1 - cr/100 |

All stay positive over the default space except ``cr_fraction`` (0 at no calendering,
where log and 1/x are not offered). They are computed inside the surrogate (predict,
torch module, equations), so users pass recipes only; equations print them by name with
their definitions. Other inputs (``c_rate``, in 1/h, already O(1)) are used as they are.
Model files written before the fractions (complements only, raw columns as features) read
and predict as they were.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["KNOWN", "augment", "definitions", "derived_for", "dimensionless_columns",
           "symbols"]

#: input -> ((derived name, offset, scale), ...): derived = offset + scale * input
KNOWN: dict[str, tuple[tuple[str, float, float], ...]] = {
    "am_wt_pct": (("am_fraction", 0.0, 0.01), ("cbd_fraction", 1.0, -0.01)),
    "sc_wt_pct": (("solids_fraction", 0.0, 0.01), ("solvent_fraction", 1.0, -0.01)),
    "cr_pct": (("cr_fraction", 0.0, 0.01), ("thickness_ratio", 1.0, -0.01)),
}

Derived = tuple[str, int, float, float]


def derived_for(names: list[str]) -> list[Derived]:
    """(name, index of its input, offset, scale) for every known input among ``names``."""
    return [(derived, i, offset, scale) for i, name in enumerate(names) if name in KNOWN
            for derived, offset, scale in KNOWN[name] if derived not in names]


def dimensionless_columns(names: list[str], derived: list[Derived]) -> list[int]:
    """The columns of ``augment``'s output SISSO builds its features on: every derived
    column, and the raw inputs that have no fractions among them."""
    replaced = {index for _, index, _, _ in derived}
    return [i for i in range(len(names)) if i not in replaced] + [
        len(names) + k for k in range(len(derived))]


def augment(values: Any, derived: list[Derived]) -> Any:
    """``values`` (n x d, numpy or torch) with the derived columns appended."""
    if not derived:
        return values
    extra = [offset + scale * values[:, index] for _, index, offset, scale in derived]
    if isinstance(values, np.ndarray):
        return np.column_stack([values, *extra])
    import torch

    return torch.cat([values, torch.stack(extra, dim=-1)], dim=-1)


def symbols(names: list[str], derived: list[Derived], *, named: bool = False) -> list:
    """Sympy symbols of the inputs, then the derived columns as expressions of them
    (``am_wt_pct/100``, ``1 - cr_pct/100``), or with ``named`` as symbols of their own
    (``cbd_fraction``: for printing, beside :func:`definitions`)."""
    import sympy

    base = list(sympy.symbols(names))
    if named:
        return base + [sympy.Symbol(name) for name, _, _, _ in derived]
    return base + [sympy.nsimplify(offset) + sympy.nsimplify(scale) * base[index]
                   for _, index, offset, scale in derived]


def definitions(names: list[str], derived: list[Derived]) -> dict[str, str]:
    """``{derived name: its definition}``, e.g. ``{"cbd_fraction": "1 - am_wt_pct/100"}``."""
    import sympy

    expressions = symbols(names, derived)[len(names):]
    return {name: str(expression) for (name, _, _, _), expression in zip(derived, expressions)}
