"""One named manufacturing or operating parameter: bounds, unit, stage, optional fixed value."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from electroforge.checks import finite_number
from electroforge.errors import SpaceError
from electroforge.units import canonical_unit

__all__ = ["Parameter", "STAGES", "SLURRY_STAGES"]

#: Process stages a parameter can belong to, in manufacturing order.
STAGES: tuple[str, ...] = ("slurry", "drying", "calendering", "cycling")
#: Stages fixed once a slurry is made and dried (the expensive part of the line).
SLURRY_STAGES: frozenset[str] = frozenset({"slurry", "drying"})

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _finite_number(value: object, *, name: str, what: str) -> float:
    return finite_number(value, field=name, what=what, error=SpaceError)


def _physical_limits(name: str, unit: str) -> tuple[float, float, bool, bool, str] | None:
    """``(least, most, least excluded, most excluded, text)`` a parameter's values must
    respect, by unit or by the reference's names: a mass fraction in wt% lies in [0, 100];
    a compression removes less than the whole thickness; a discharge rate is positive."""
    if unit == "wt%":
        return 0.0, 100.0, False, False, f"0 <= {name} <= 100 (a mass fraction)"
    if name == "cr_pct":
        return 0.0, 100.0, False, True, "0 <= cr_pct < 100 (% of the dried thickness)"
    if name == "c_rate" or unit == "1/h":
        return 0.0, math.inf, True, False, f"{name} > 0 (a discharge rate)"
    return None


@dataclass(frozen=True)
class Parameter:
    """A parameter of the recipe space.

    Args:
        name: Column name, a Python identifier with the unit in it (``cr_pct``).
        low: Lower bound, inclusive.
        high: Upper bound, inclusive; strictly above ``low`` unless the parameter is fixed.
        unit: A unit from :data:`electroforge.units.KNOWN_UNITS` (aliases accepted).
        stage: The process stage (one of :data:`STAGES`) or ``None``.
        fixed: Hold the parameter at this value (inside the bounds): designs and
            optimizers then vary only the other parameters.
        description: Free text for reports.

    Example:
        >>> Parameter("cr_pct", 0, 50, unit="%", stage="calendering").span
        50.0
        >>> Parameter("c_rate", 0.25, 4, unit="C", fixed=1).is_fixed
        True
    """

    name: str
    low: float
    high: float
    unit: str = "-"
    stage: str | None = None
    fixed: float | None = None
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise SpaceError("a parameter name must be an identifier", field="name",
                             value=repr(self.name),
                             allowed="letters, digits and '_', not starting with a digit")
        name = self.name
        low = _finite_number(self.low, name=name, what="low bound")
        high = _finite_number(self.high, name=name, what="high bound")
        fixed = None if self.fixed is None else _finite_number(self.fixed, name=name,
                                                                what="fixed value")
        if fixed is None and not low < high:
            raise SpaceError("low bound must be below high bound", field=name,
                             value=f"{low:g}:{high:g}", allowed="low < high")
        if fixed is not None and not low <= fixed <= high:
            raise SpaceError("fixed value is outside the bounds", field=name, value=f"{fixed:g}",
                             allowed=f"{low:g} <= {name} <= {high:g}")
        if self.stage is not None and self.stage not in STAGES:
            raise SpaceError("unknown stage", field=name, value=repr(self.stage),
                             allowed=", ".join(STAGES))
        if not isinstance(self.description, str):
            raise SpaceError("description must be text", field=name,
                             value=repr(self.description), allowed="a string")
        if not math.isfinite(high - low):
            raise SpaceError("the span high - low is not a finite number", field=name,
                             value=f"{low:g}:{high:g}", allowed="bounds less than 1e308 apart")
        unit = canonical_unit(self.unit, field=name)
        limits = _physical_limits(name, unit)
        if limits is not None:
            least, most, least_open, most_open, text = limits
            for what, value in (("low bound", low), ("high bound", high), ("fixed value", fixed)):
                if value is not None and (value < least or value > most
                                          or (least_open and value == least)
                                          or (most_open and value == most)):
                    raise SpaceError(f"the {what} is not physical", field=name,
                                     value=f"{value:g}", allowed=text)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "fixed", fixed)
        object.__setattr__(self, "unit", unit)

    @classmethod
    def fixed_at(cls, name: str, value: float, *, unit: str = "-", stage: str | None = None,
                 description: str = "") -> Parameter:
        """A parameter held at ``value`` (its bounds collapse onto the value)."""
        return cls(name, value, value, unit=unit, stage=stage, fixed=value,
                   description=description)

    @property
    def is_fixed(self) -> bool:
        """True when the parameter is held at one value."""
        return self.fixed is not None

    @property
    def span(self) -> float:
        """``high - low``."""
        return self.high - self.low

    def with_bounds(self, low: float, high: float) -> Parameter:
        """A copy with new bounds; a fixed value outside them is an error."""
        return replace(self, low=low, high=high)

    def with_fixed(self, value: float | None) -> Parameter:
        """A copy held at ``value`` (inside the bounds), or freed again with ``None``."""
        return replace(self, fixed=value)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (no ``None`` values), as written to TOML or JSON files."""
        data: dict[str, Any] = {"name": self.name, "low": self.low, "high": self.high,
                                "unit": self.unit}
        if self.stage is not None:
            data["stage"] = self.stage
        if self.fixed is not None:
            data["fixed"] = self.fixed
        if self.description:
            data["description"] = self.description
        return data

    def __str__(self) -> str:
        if self.fixed is not None:
            return f"{self.name} = {self.fixed:g} {self.unit} (fixed)"
        return f"{self.name} in [{self.low:g}, {self.high:g}] {self.unit}"
