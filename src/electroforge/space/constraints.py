"""Linear constraints between recipe parameters, such as ``am_wt_pct + 0.5 * cr_pct <= 110``.

Written as text (campaign files, the CLI), read with sympy, checked to be linear in the
named parameters; :meth:`LinearConstraint.botorch` gives BoTorch's ``inequality_constraints``
form (``sum_i c_i x_i >= rhs``) over the searched parameters, fixed ones folded into the
right-hand side.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from electroforge.errors import InputError

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
        """Read ``LHS <= RHS`` or ``LHS >= RHS``; ``names``: the parameters allowed."""
        import sympy

        match = re.fullmatch(r"(.+?)(<=|>=)(.+)", str(text))
        if not match:
            raise InputError("cannot read the constraint", field="constraints",
                             value=repr(text), allowed=_FORM)
        try:
            left, right = (sympy.sympify(part, rational=False)
                           for part in (match.group(1), match.group(3)))
        except (sympy.SympifyError, SyntaxError, TypeError):
            raise InputError("cannot read the constraint", field="constraints",
                             value=repr(text), allowed=_FORM) from None
        expression = sympy.expand(left - right)
        symbols = sorted(expression.free_symbols, key=lambda s: s.name)
        unknown = [s.name for s in symbols if names is not None and s.name not in names]
        if unknown:
            raise InputError("unknown parameter in a constraint", field=unknown[0],
                             value=repr(text), allowed=", ".join(names or []))
        if not symbols:
            raise InputError("the constraint names no parameter", field="constraints",
                             value=repr(text), allowed=_FORM)
        if any(sympy.diff(expression, a, b) != 0 for a in symbols for b in symbols):
            raise InputError("the constraint is not linear", field="constraints",
                             value=repr(text), allowed=_FORM)
        coefficients = tuple((s.name, float(expression.coeff(s))) for s in symbols)
        constant = float(expression.subs({s: 0 for s in symbols}))
        return cls(coefficients, match.group(2), -constant, str(text).strip())

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
