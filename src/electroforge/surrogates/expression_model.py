"""A general closed-form model held as a sympy expression: what Operon and PySR return.

The expression is kept in sympy's ``srepr`` form (exact floats), over symbols ``x0 ..
x{d-1}`` for the input columns; it is evaluated by walking the tree with numpy or torch,
so the same model predicts, differentiates inside BoTorch and reads as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

__all__ = ["ExpressionModel"]


@dataclass(frozen=True)
class ExpressionModel:
    """``y = f(x0, ..., x{d-1})`` for a sympy expression ``f``."""

    srepr: str
    n_features: int

    @classmethod
    def from_expression(cls, expression: Any, n_features: int) -> ExpressionModel:
        return cls(sympy.srepr(sympy.sympify(expression)), n_features)

    @property
    def expression(self) -> Any:
        return sympy.sympify(self.srepr)

    def _symbols(self) -> list:
        return list(sympy.symbols(f"x0:{self.n_features}"))

    def predict(self, X: Any) -> Any:
        return _evaluate(self.expression, X, {s: i for i, s in enumerate(self._symbols())})

    def to_sympy(self, symbols: list) -> Any:
        return self.expression.xreplace(dict(zip(self._symbols(), symbols)))

    def text(self, symbols: list, digits: int = 6) -> str:
        return str(sympy.N(self.to_sympy(symbols), digits))

    def constraints(self) -> list[tuple[str, Callable[[Any], Any], Any]]:
        """(domain, evaluator, sub-expression): log arguments and square roots > 0 ("positive"
        for log, "nonnegative" for roots), divisors != 0."""
        index = {s: i for i, s in enumerate(self._symbols())}
        found = []
        for node in sympy.preorder_traversal(self.expression):
            if isinstance(node, sympy.log):
                found.append(("positive", node.args[0]))
            elif isinstance(node, sympy.Pow) and node.exp.is_Number:
                if node.exp < 0:
                    found.append(("nonzero", node.base))
                if not node.exp.is_integer:
                    found.append(("nonnegative", node.base))
        return [(domain, (lambda X, a=arg: _evaluate(a, X, index)), arg) for domain, arg in found]

    @property
    def terms(self) -> int:
        return sympy.count_ops(self.expression)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "expression", "srepr": self.srepr, "n_features": self.n_features}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExpressionModel:
        return cls(str(data["srepr"]), int(data["n_features"]))


def _evaluate(expr: Any, X: Any, index: dict) -> Any:
    xp = np if isinstance(X, np.ndarray) else __import__("torch")
    if expr.is_Symbol:
        return X[:, index[expr]]
    if expr.is_Number:
        return float(expr) + 0.0 * X[:, 0]
    args = [_evaluate(arg, X, index) for arg in expr.args]
    if isinstance(expr, sympy.Add):
        total = args[0]
        for value in args[1:]:
            total = total + value
        return total
    if isinstance(expr, sympy.Mul):
        total = args[0]
        for value in args[1:]:
            total = total * value
        return total
    if isinstance(expr, sympy.Pow):
        exponent = float(expr.exp) if expr.exp.is_Number else args[1]
        if exponent == 0.5:
            return xp.sqrt(args[0])
        return args[0] ** exponent
    functions = {sympy.exp: xp.exp, sympy.log: xp.log, sympy.sin: xp.sin, sympy.cos: xp.cos,
                 sympy.tanh: xp.tanh, sympy.Abs: xp.abs}
    for kind, function in functions.items():
        if isinstance(expr, kind):
            return function(args[0])
    raise ValueError(f"cannot evaluate {type(expr).__name__} in {expr}")
