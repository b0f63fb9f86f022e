"""An objective as a process engineer writes it: a TOML file of targets, constraints and
how the C-rate is treated.

Example ``objective.toml``::

    scalarization = "reference"          # reference (Eq. 3), weighted_sum, desirability, chebyshev
    constraints = ["porosity >= 0.25"]

    [c_rate]
    mode = "context"                     # the application's rate, held fixed ...
    value = 1.0
    # mode = "free"                      # ... or optimized, rewarded by a rate term below

    [[targets]]
    name = "tortuosity_factor"
    direction = "min"

    [[targets]]
    name = "conductivity_s_m"
    direction = "max"
    weight = 2.0                         # optional: 1 by default
    # low = 0.1, high = 120              # optional scaling bounds: default the training data's

When the C-rate is free, the objective must reward rate, or the optimum is trivially the
lowest rate (SPEC): a ``max`` target on ``specific_power_w_kg`` (energy per kg of active
material times the C-rate: the mean power of a full discharge at that rate) or on
``c_rate`` itself is required.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from electroforge.atomic import atomic_write_text
from electroforge.errors import InputError
from electroforge.objectives.scalarizations import (
    AugmentedChebyshev, Desirability, Objective, ReferenceCost, WeightedSum)
from electroforge.objectives.targets import Constraint, Target
from electroforge.tomlfile import read_toml

__all__ = ["ObjectiveSpec", "C_RATE_MODES", "RATE_TERMS", "SCALARIZATIONS"]

SCALARIZATIONS: dict[str, type[Objective]] = {
    "reference": ReferenceCost, "weighted_sum": WeightedSum,
    "desirability": Desirability, "chebyshev": AugmentedChebyshev}
C_RATE_MODES = ("context", "free")
#: Columns whose maximization rewards a higher C-rate.
RATE_TERMS = ("specific_power_w_kg", "c_rate")
_KEYS = ("scalarization", "rho", "constraints", "c_rate", "targets")
_TARGET_KEYS = ("name", "direction", "weight", "value", "low", "high")


def _reference_targets() -> tuple[Target, ...]:
    from electroforge.objectives import REFERENCE_TARGETS

    return REFERENCE_TARGETS


@dataclass(frozen=True)
class ObjectiveSpec:
    """Targets, scalarization, constraints and the C-rate treatment of an objective.

    Args:
        targets: :class:`Target` list (default: the reference's four, equal weights).
        scalarization: One of :data:`SCALARIZATIONS` (default ``"reference"``, Eq. 3).
        constraints: :class:`Constraint` list or strings like ``"porosity >= 0.25"``.
        c_rate: ``"context"`` (held at ``c_rate_value``) or ``"free"`` (optimized; needs a
            ``max`` target in :data:`RATE_TERMS`).
        c_rate_value: The application's rate in context mode (None: the space's fixed
            value, if the rate matters at all).
        rho: Augmentation weight of ``"chebyshev"``.

    Example:
        >>> spec = ObjectiveSpec.from_dict({"targets": [{"name": "porosity", "direction": "max"}],
        ...                                 "c_rate": {"mode": "context", "value": 2}})
        >>> spec.describe()
        'reference (Eq. 3) of porosity (max); C-rate fixed at 2 C (context)'
    """

    targets: tuple[Target, ...] = field(default_factory=_reference_targets)
    scalarization: str = "reference"
    constraints: tuple[Constraint, ...] = ()
    c_rate: str = "context"
    c_rate_value: float | None = None
    rho: float = 0.05

    def __post_init__(self) -> None:
        targets = tuple(self.targets)
        if not targets:
            raise InputError("an objective needs at least one target", field="targets",
                             value="[]", allowed="one or more [[targets]] tables")
        names = [t.name for t in targets]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise InputError("a property appears twice", field=f"targets.{duplicate}",
                             allowed="each property once")
        object.__setattr__(self, "targets", targets)
        if not isinstance(self.scalarization, str) or self.scalarization not in SCALARIZATIONS:
            raise InputError("unknown scalarization", field="scalarization",
                             value=repr(self.scalarization), allowed=", ".join(SCALARIZATIONS))
        constraints = tuple(c if isinstance(c, Constraint) else Constraint.parse(c)
                            for c in self.constraints)
        object.__setattr__(self, "constraints", constraints)
        if not isinstance(self.c_rate, str) or self.c_rate not in C_RATE_MODES:
            raise InputError("unknown C-rate mode", field="c_rate.mode", value=repr(self.c_rate),
                             allowed=", ".join(C_RATE_MODES))
        if self.c_rate_value is not None:
            if self.c_rate == "free":
                raise InputError("a free C-rate takes no value", field="c_rate.value",
                                 value=self.c_rate_value, allowed="mode = 'context' with a value")
            from electroforge.checks import finite_number

            value = finite_number(self.c_rate_value, field="c_rate.value", what="C-rate")
            if value <= 0:
                raise InputError("the C-rate must be positive", field="c_rate.value",
                                 value=value, allowed="a C-rate > 0")
            object.__setattr__(self, "c_rate_value", value)
        if self.c_rate == "free" and not self.rewards_rate:
            raise InputError("a free C-rate needs a rate-rewarding target, or the optimum is "
                             "trivially the lowest rate", field="targets",
                             value=", ".join(names),
                             allowed="a 'max' target on " + " or ".join(RATE_TERMS)
                             + ", or c_rate mode = 'context'")
        if not 0 <= self.rho < 1:
            raise InputError("rho out of range", field="rho", value=self.rho,
                             allowed="0 <= rho < 1")

    @property
    def rewards_rate(self) -> bool:
        return any(t.name in RATE_TERMS and t.direction == "max" for t in self.targets)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the objective reads: targets, then constrained-only properties."""
        names = [t.name for t in self.targets]
        return tuple(names + [c.name for c in self.constraints if c.name not in names])

    def build(self, bounds: Mapping[str, tuple[float, float]]) -> Objective:
        """The torch objective, with ``bounds[name]`` for targets that carry none."""
        targets = []
        for target in self.targets:
            if not target.scaled:
                if target.name not in bounds:
                    raise InputError("no scaling bounds for this target", field=target.name,
                                     allowed="low and high in the objective file, or a "
                                     "property the model was trained on")
                low, high = bounds[target.name]
                if not low < high:
                    raise InputError("cannot scale a property without spread",
                                     field=target.name, value=f"{low:g}:{high:g}",
                                     allowed="low < high (set low and high in the file)")
                target = target.with_bounds(low, high)
            targets.append(target)
        kind = SCALARIZATIONS[self.scalarization]
        extra = {"rho": self.rho} if kind is AugmentedChebyshev else {}
        return kind(targets, constraints=self.constraints, **extra)

    def describe(self, *, rate_used: bool = True) -> str:
        """One line for reports: the scalarization, the targets and the C-rate treatment."""
        label = "reference (Eq. 3)" if self.scalarization == "reference" else self.scalarization
        parts = [f"{label} of " + ", ".join(
            f"{t.name} ({t.direction if t.direction != 'target' else f'= {t.value:g}'}"
            + (f", weight {t.weight:g}" if t.weight != 1 else "") + ")" for t in self.targets)]
        if self.constraints:
            parts.append("subject to " + ", ".join(map(str, self.constraints)))
        if self.c_rate == "free":
            parts.append("C-rate free (optimized, rewarded by "
                         + ", ".join(t.name for t in self.targets if t.name in RATE_TERMS) + ")")
        elif not rate_used:
            parts.append("C-rate not an input of the model (context)")
        elif self.c_rate_value is not None:
            parts.append(f"C-rate fixed at {self.c_rate_value:g} C (context)")
        else:
            parts.append("C-rate fixed (context)")
        return "; ".join(parts)

    # -- files ------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> ObjectiveSpec:
        try:
            return cls._from_dict(data)
        except InputError as error:
            raise error.with_source(source) if source else error

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> ObjectiveSpec:
        if not isinstance(data, Mapping):
            raise InputError("the objective must be a table", allowed="keys " + ", ".join(_KEYS))
        unknown = [k for k in data if k not in _KEYS]
        if unknown:
            raise InputError("unknown key", field=unknown[0], allowed=", ".join(_KEYS))
        kwargs: dict[str, Any] = {}
        if "scalarization" in data:
            kwargs["scalarization"] = data["scalarization"]
        if "rho" in data:
            from electroforge.checks import finite_number

            kwargs["rho"] = finite_number(data["rho"], field="rho", what="rho")
        constraints = data.get("constraints", [])
        if isinstance(constraints, str) or not isinstance(constraints, Sequence):
            raise InputError("constraints must be a list of strings", field="constraints",
                             value=repr(constraints), allowed='["porosity >= 0.25", ...]')
        kwargs["constraints"] = tuple(Constraint.parse(c) for c in constraints)
        rate = data.get("c_rate", {})
        if not isinstance(rate, Mapping):
            raise InputError("c_rate must be a table", field="c_rate", value=repr(rate),
                             allowed="[c_rate] with mode = 'context' (and value) or 'free'")
        extra = [k for k in rate if k not in ("mode", "value")]
        if extra:
            raise InputError("unknown key", field=f"c_rate.{extra[0]}", allowed="mode, value")
        kwargs["c_rate"] = rate.get("mode", "context")
        kwargs["c_rate_value"] = rate.get("value")
        if "targets" in data:
            targets = data["targets"]
            if not isinstance(targets, Sequence) or isinstance(targets, str):
                raise InputError("targets must be a list of tables", field="targets",
                                 allowed="[[targets]] tables with name and direction")
            kwargs["targets"] = tuple(_target(t, i) for i, t in enumerate(targets))
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        rate: dict[str, Any] = {"mode": self.c_rate}
        if self.c_rate_value is not None:
            rate["value"] = self.c_rate_value
        data: dict[str, Any] = {"scalarization": self.scalarization,
                                "constraints": [str(c) for c in self.constraints],
                                "c_rate": rate, "targets": []}
        if self.scalarization == "chebyshev":
            data["rho"] = self.rho
        for t in self.targets:
            entry = {"name": t.name, "direction": t.direction, "weight": t.weight}
            entry |= {k: getattr(t, k) for k in ("value", "low", "high")
                      if getattr(t, k) is not None}
            data["targets"].append(entry)
        return data

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ObjectiveSpec:
        data = read_toml(path, what="objective file")
        return cls.from_dict(data, source=str(path))

    def save(self, path: str | os.PathLike[str]) -> Path:
        import tomli_w

        path = Path(path)
        atomic_write_text(path, tomli_w.dumps(self.to_dict()))
        return path


def _target(entry: Any, index: int) -> Target:
    if not isinstance(entry, Mapping):
        raise InputError("a target must be a table", field=f"targets[{index}]",
                         value=repr(entry), allowed="name, direction, weight, value, low, high")
    unknown = [k for k in entry if k not in _TARGET_KEYS]
    if unknown:
        raise InputError("unknown key", field=f"targets[{index}].{unknown[0]}",
                         allowed=", ".join(_TARGET_KEYS))
    if "name" not in entry:
        raise InputError("a target needs a name", field=f"targets[{index}].name",
                         allowed="a property column, e.g. tortuosity_factor")
    return Target(**{k: entry[k] for k in _TARGET_KEYS if k in entry})
