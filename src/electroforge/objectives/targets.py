"""What a process engineer wants of one property: a direction, a weight, scaling bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from electroforge.checks import finite_number
from electroforge.errors import InputError
from electroforge.properties import PROPERTIES

__all__ = ["Target", "Constraint", "DIRECTIONS"]

DIRECTIONS = ("min", "max", "target")
#: Weights are relative: a ratio beyond a million says "this target alone", and weights
#: near the float range overflow the cost.
MAX_WEIGHT = 1e6
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _finite(value: object, *, field: str, what: str) -> float:
    return finite_number(value, field=field, what=what)


@dataclass(frozen=True)
class Target:
    """One property of the objective.

    Args:
        name: Property column (``tortuosity_factor``; any identifier for lab data).
        direction: "min", "max" or "target".
        weight: Positive, finite weight.
        value: The wanted value, for direction "target" (in the property's units).
        low, high: Scaling bounds: the property is min-max scaled to [0, 1] over them
            (the reference scales over the training data: :meth:`with_bounds_from`).

    Example:
        >>> Target("tortuosity_factor", "min").with_bounds(1.5, 3.0).scale(2.25)
        0.5
    """

    name: str
    direction: str = "min"
    weight: float = 1.0
    value: float | None = None
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise InputError("a property name must be an identifier", field="name",
                             value=repr(self.name), allowed="e.g. " + ", ".join(PROPERTIES))
        if self.direction not in DIRECTIONS:
            raise InputError("unknown direction", field=f"{self.name}.direction",
                             value=repr(self.direction), allowed=", ".join(DIRECTIONS))
        weight = _finite(self.weight, field=f"{self.name}.weight", what="weight")
        if not 0 < weight <= MAX_WEIGHT:
            raise InputError("weights must be positive and at most 1e6", field=f"{self.name}"
                             ".weight", value=weight, allowed=f"0 < weight <= {MAX_WEIGHT:g} (a "
                             "larger ratio of weights means: optimize this target alone)")
        object.__setattr__(self, "weight", weight)
        if self.direction == "target":
            if self.value is None:
                raise InputError("a target needs its value", field=f"{self.name}.value",
                                 allowed="the wanted value, in the property's units")
            object.__setattr__(self, "value", _finite(self.value, field=f"{self.name}.value",
                                                      what="target value"))
        elif self.value is not None:
            raise InputError("only a 'target' direction takes a value",
                             field=f"{self.name}.value", value=self.value,
                             allowed="no value with min or max")
        if (self.low is None) != (self.high is None):
            raise InputError("give both scaling bounds or neither", field=f"{self.name}.low",
                             allowed="low and high together")
        if self.low is not None:
            low = _finite(self.low, field=f"{self.name}.low", what="low bound")
            high = _finite(self.high, field=f"{self.name}.high", what="high bound")
            if not low < high:
                raise InputError("low bound must be below high bound", field=self.name,
                                 value=f"{low:g}:{high:g}", allowed="low < high")
            if not np.isfinite(high - low):
                raise InputError("the scaling span high - low is not a finite number",
                                 field=self.name, value=f"{low:g}:{high:g}",
                                 allowed="bounds less than 1e308 apart")
            object.__setattr__(self, "low", low)
            object.__setattr__(self, "high", high)

    @property
    def scaled(self) -> bool:
        return self.low is not None

    def with_bounds(self, low: float, high: float) -> Target:
        return Target(self.name, self.direction, self.weight, self.value, low, high)

    def with_bounds_from(self, data: pd.DataFrame) -> Target:
        """Bounds = min and max of the column in ``data`` (the reference's scaling)."""
        if self.name not in data.columns:
            raise InputError("the data lack this property", field=self.name,
                             allowed=", ".join(map(str, data.columns)))
        values = pd.to_numeric(data[self.name], errors="coerce").to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values) < 2 or values.min() == values.max():
            raise InputError("cannot scale a property without spread", field=self.name,
                             allowed="two or more distinct finite values")
        return self.with_bounds(float(values.min()), float(values.max()))

    def scale(self, y):
        """Min-max scaled value(s): 0 at ``low``, 1 at ``high`` (numbers, arrays or tensors)."""
        if not self.scaled:
            raise InputError("the target has no scaling bounds", field=self.name,
                             allowed="bounds from data (with_bounds_from) or with_bounds")
        return (y - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class Constraint:
    """An outcome constraint such as ``porosity >= 0.25`` (feasible where value <= 0).

    Example:
        >>> Constraint.parse("porosity >= 0.25").value_of(0.30)
        -0.04999999999999999
    """

    name: str
    op: str
    bound: float

    def __post_init__(self) -> None:
        if self.op not in (">=", "<="):
            raise InputError("unknown comparison", field=f"{self.name}.op", value=repr(self.op),
                             allowed=">=, <=")
        object.__setattr__(self, "bound", _finite(self.bound, field=self.name, what="bound"))

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """``NAME >= VALUE``, ``NAME <= VALUE`` (or ``VALUE <= NAME``), VALUE a number or
        arithmetic of numbers; read by :mod:`electroforge.formula`, never evaluated.

        Example:
            >>> Constraint.parse("0.25 <= porosity")
            Constraint(name='porosity', op='>=', bound=0.25)
        """
        from electroforge.formula import FormulaError, evaluate, names_in, parse_comparison

        form = "NAME >= VALUE or NAME <= VALUE, e.g. porosity >= 0.25"
        if not isinstance(text, str):
            raise InputError("a constraint is text", field="constraint", value=repr(text),
                             allowed=form)
        try:
            left, op, right = parse_comparison(text)
        except FormulaError:
            raise InputError("cannot read the constraint", field="constraint",
                             value=repr(text), allowed=form) from None
        if left[0] != "var" and right[0] == "var":
            left, right, op = right, left, {"<=": ">=", ">=": "<="}[op]
        if left[0] != "var":
            raise InputError("cannot read the constraint", field="constraint",
                             value=repr(text), allowed=form)
        if names_in(right):
            raise InputError("the bound is not a number", field=left[1], value=repr(text),
                             allowed="a finite number")
        with np.errstate(all="ignore"):
            bound = float(evaluate(right))
        return cls(left[1], op, bound)

    def value_of(self, y):
        """<= 0 where satisfied (BoTorch's convention), works on numbers, arrays and tensors."""
        return self.bound - y if self.op == ">=" else y - self.bound

    def __str__(self) -> str:
        return f"{self.name} {self.op} {self.bound:g}"
