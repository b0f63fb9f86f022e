"""Linear constraints between recipe parameters, such as ``am_wt_pct + 0.5 * cr_pct <= 110``.

Written as text (campaign files, the CLI), read by :mod:`electroforge.formula` (our own
grammar: a constraint is data, nothing of it is evaluated), checked to be linear in the
named parameters; :meth:`LinearConstraint.botorch` gives BoTorch's ``inequality_constraints``
form (``sum_i c_i x_i >= rhs``) over the searched parameters, fixed ones folded into the
right-hand side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from electroforge.errors import InputError
from electroforge.formula import FormulaError, linear_form, parse_comparison

__all__ = ["LinearConstraint"]

_FORM = "a linear inequality, e.g. 'am_wt_pct + 0.5 * cr_pct <= 110'"


@dataclass(frozen=True)
class LinearConstraint:
    """``sum coefficient * parameter (<= or >=) bound``.

    Example:
        >>> c = LinearConstraint.parse("am_wt_pct + 0.5*cr_pct <= 110")
        >>> c.coefficients, c.op, c.bound
        ((('am_wt_pct', 1.0), ('cr_pct', 0.5)), '<=', 110.0)
        >>> c.slack({"am_wt_pct": 95.0, "cr_pct": 20.0})      # >= 0 where satisfied
        5.0
    """

    coefficients: tuple[tuple[str, float], ...]
    op: str
    bound: float
    text: str = ""

    @classmethod
    def parse(cls, text: str, names: Sequence[str] | None = None) -> LinearConstraint:
        """Read ``LHS <= RHS`` or ``LHS >= RHS``; ``names``: the parameters allowed.

        The text is read by :mod:`electroforge.formula`'s own grammar, never evaluated."""
        try:
            left, op, right = parse_comparison(str(text), names)
        except FormulaError as error:
            raise InputError(error.problem, field=error.field or "constraints",
                             value=repr(text), allowed=error.allowed if error.field else _FORM
                             ) from None
        form = linear_form(["sub", left, right])
        if form is None:
            raise InputError("the constraint is not linear", field="constraints",
                             value=repr(text), allowed=_FORM)
        symbols = sorted(key for key in form if key is not None)
        coefficients = tuple((name, float(form[name])) for name in symbols if form[name] != 0.0)
        if not coefficients:
            raise InputError("the constraint names no parameter", field="constraints",
                             value=repr(text), allowed=_FORM)
        bound = -form.get(None, 0.0)
        if not all(math.isfinite(c) for _, c in coefficients) or not math.isfinite(bound):
            raise InputError("the constraint's numbers are not finite", field="constraints",
                             value=repr(text), allowed=_FORM)
        return cls(coefficients, op, bound, str(text).strip())

    def slack(self, recipe: Mapping[str, float] | object) -> float | np.ndarray:
        """``bound - lhs`` for ``<=`` and ``lhs - bound`` for ``>=``: >= 0 where satisfied
        (a mapping, or a DataFrame for one value per row)."""
        lhs = sum(c * np.asarray(recipe[name], dtype=float) for name, c in self.coefficients)
        value = self.bound - lhs if self.op == "<=" else lhs - self.bound
        return float(value) if np.ndim(value) == 0 else value

    def botorch(self, searched: Sequence[str], fixed: Mapping[str, float]):
        """``(indices, coefficients, rhs)`` over ``searched`` with ``sum c x >= rhs``."""
        sign = -1.0 if self.op == "<=" else 1.0
        rhs = sign * self.bound
        indices, coefficients = [], []
        for name, c in self.coefficients:
            if name in searched:
                indices.append(list(searched).index(name))
                coefficients.append(sign * c)
            elif name in fixed:
                rhs -= sign * c * fixed[name]
            else:
                raise InputError("the constraint names a parameter that is neither searched "
                                 "nor fixed", field=name, value=repr(self.text),
                                 allowed=", ".join(list(searched) + list(fixed)))
        return indices, coefficients, rhs

    def __str__(self) -> str:
        return self.text or " + ".join(f"{c:g}*{n}" for n, c in self.coefficients) + \
            f" {self.op} {self.bound:g}"
