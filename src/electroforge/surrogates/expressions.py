"""Closed-form descriptors as small expression trees, evaluated alike in numpy and torch.

A descriptor is a primary feature (an input column), a unary operator applied to one, or
a product or ratio of two. The same tree evaluates on numpy arrays (fitting, predicting),
on torch tensors (differentiable, inside BoTorch) and renders as a sympy expression
(readable equations); it round-trips exactly through plain JSON-able data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Descriptor", "UNARY", "feature", "unary", "binary", "from_dict"]

#: Unary operators and the inputs they accept: "any", "positive" (log), "nonnegative" (sqrt),
#: "nonzero" (1/x).
UNARY: dict[str, str] = {
    "id": "any",
    "sq": "any",
    "cube": "any",
    "sqrt": "nonnegative",
    "log": "positive",
    "exp": "any",
    "inv": "nonzero",
}


@dataclass(frozen=True)
class Descriptor:
    """``op`` is "x" (feature ``index``), a unary name from :data:`UNARY`, "mul" or "div"."""

    op: str
    index: int = -1
    args: tuple[Descriptor, ...] = ()

    # -- evaluation -------------------------------------------------------------------
    def evaluate(self, X: Any) -> Any:
        """Values on ``X`` (an ``n x d`` numpy array or torch tensor)."""
        xp = _namespace(X)
        if self.op == "x":
            return X[:, self.index]
        if self.op in ("mul", "div"):
            a, b = (arg.evaluate(X) for arg in self.args)
            return a * b if self.op == "mul" else a / b
        value = self.args[0].evaluate(X)
        if self.op == "id":
            return value
        if self.op == "sq":
            return value * value
        if self.op == "cube":
            return value * value * value
        if self.op == "sqrt":
            return xp.sqrt(value)
        if self.op == "log":
            return xp.log(value)
        if self.op == "exp":
            return xp.exp(value)
        if self.op == "inv":
            return 1.0 / value
        raise ValueError(f"unknown operator {self.op!r}")

    def to_sympy(self, symbols: list) -> Any:
        import sympy

        if self.op == "x":
            return symbols[self.index]
        if self.op in ("mul", "div"):
            a, b = (arg.to_sympy(symbols) for arg in self.args)
            return a * b if self.op == "mul" else a / b
        value = self.args[0].to_sympy(symbols)
        return {"id": lambda v: v, "sq": lambda v: v**2, "cube": lambda v: v**3,
                "sqrt": sympy.sqrt, "log": sympy.log, "exp": sympy.exp,
                "inv": lambda v: 1 / v}[self.op](value)

    # -- structure ---------------------------------------------------------------------
    def leaves(self) -> set[int]:
        if self.op == "x":
            return {self.index}
        return set().union(*(arg.leaves() for arg in self.args))

    def constraints(self) -> list[tuple[str, Descriptor]]:
        """(domain, sub-expression) pairs the inputs must satisfy: log args > 0, sqrt args >= 0,
        1/x != 0."""
        found = []
        if self.op in UNARY and UNARY[self.op] != "any":
            found.append((UNARY[self.op], self.args[0]))
        if self.op == "div":
            found.append(("nonzero", self.args[1]))
        for arg in self.args:
            found += arg.constraints()
        return found

    def to_dict(self) -> dict[str, Any]:
        if self.op == "x":
            return {"op": "x", "index": self.index}
        return {"op": self.op, "args": [arg.to_dict() for arg in self.args]}

    def __str__(self) -> str:
        import sympy

        return str(self.to_sympy(list(sympy.symbols(f"x0:{max(self.leaves()) + 1}"))))


def feature(index: int) -> Descriptor:
    return Descriptor("x", index=index)


def unary(op: str, arg: Descriptor) -> Descriptor:
    if op not in UNARY:
        raise ValueError(f"unknown unary operator {op!r}")
    return arg if op == "id" else Descriptor(op, args=(arg,))


def binary(op: str, a: Descriptor, b: Descriptor) -> Descriptor:
    if op not in ("mul", "div"):
        raise ValueError(f"unknown binary operator {op!r}")
    return Descriptor(op, args=(a, b))


def from_dict(data: dict[str, Any], depth: int = 0) -> Descriptor:
    """Inverse of :meth:`Descriptor.to_dict`; a malformed entry (unknown operator, wrong
    arity, a column index that is no integer >= 0) raises ``ValueError`` naming it."""
    if not isinstance(data, dict) or depth > 50:
        raise ValueError(f"not a descriptor: {str(data)[:60]}")
    op = data.get("op")
    if op == "x":
        index = data.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"descriptor column index {index!r} is not an integer >= 0")
        return feature(index)
    arity = 2 if op in ("mul", "div") else 1 if op in UNARY and op != "id" else None
    args = data.get("args")
    if arity is None:
        raise ValueError(f"unknown descriptor operator {op!r}; allowed: x, mul, div, "
                         + ", ".join(k for k in UNARY if k != "id"))
    if not isinstance(args, list) or len(args) != arity:
        raise ValueError(f"descriptor {op!r} takes {arity} argument(s)")
    return Descriptor(op, args=tuple(from_dict(arg, depth + 1) for arg in args))


def _namespace(X: Any):
    if isinstance(X, np.ndarray):
        return np
    import torch

    return torch
