"""The cost of a recipe: surrogate -> predicted properties -> objective, in torch.

:class:`RecipeProblem` joins a fitted surrogate (any object with ``feature_names_``,
``output_names_`` and ``to_torch()``), an :class:`~electroforge.objectives.spec.ObjectiveSpec`
and a :class:`~electroforge.space.Space`. The optimizer searches the free parameters of
the space that the model takes as inputs; the C-rate is held at its context value or
searched, as the spec says. Columns the objective may read:

- the model's outputs (``tortuosity_factor``, ...);
- recipe inputs (``c_rate``, ``am_wt_pct``, ...);
- ``specific_power_w_kg`` = ``energy_wh_kg * c_rate``: the mean power of a full
  discharge at the rate, per kg of active material (needs an ``energy_wh_kg`` output).

Scaling bounds of targets that carry none: the model's training data for its outputs
(the reference's scaling), the space's bounds for inputs, and the range over 4096 Sobol'
points of the space for derived columns.

Without a model (``model=None``: recipes measured in a lab or by the virtual line) every
free parameter is searched, the property columns are whatever is measured
(:meth:`RecipeProblem.cost_of_table`), and targets need explicit scaling bounds.

Outcome constraints turn into a penalty so that a scalar optimizer can use them: an
infeasible recipe costs ``1 + cost + sum(violation / scale)``, above every feasible recipe
whose shortfalls lie in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from electroforge.errors import InputError
from electroforge.objectives.spec import ObjectiveSpec
from electroforge.space import Space

__all__ = ["RecipeProblem", "DERIVED"]

#: Derived columns: name -> (columns needed, function of those columns).
DERIVED = {
    "specific_power_w_kg": (("energy_wh_kg", "c_rate"), lambda energy, rate: energy * rate),
}
_SAMPLE_POINTS = 4096


class RecipeProblem:
    """Recipes to cost through a surrogate, for the optimizer (see module doc).

    Args:
        model: A fitted surrogate.
        spec: What to optimize (default: the reference's Cf over the four properties).
        space: Bounds and fixed values of the recipe parameters.

    Attributes:
        names: The searched parameters, in order; :attr:`bounds` their ``(low, high)``.
        fixed: The model inputs held constant (context C-rate, fixed parameters).
        objective: The torch objective with its scaling bounds set.
    """

    def __init__(self, model, spec: ObjectiveSpec | None, space: Space) -> None:
        self.model = model
        self.spec = spec = spec or ObjectiveSpec()
        # Without a model (recipes measured in a lab or by the virtual line) every
        # parameter of the space is an input and the properties are whatever is measured.
        self.inputs = list(model.feature_names_) if model is not None else list(space.names)
        self.outputs = list(model.output_names_) if model is not None else []
        missing = [name for name in self.inputs if name not in space]
        if missing:
            raise InputError("the space lacks an input of the model", field=missing[0],
                             allowed=", ".join(space.names))
        self.rate_used = "c_rate" in self.inputs or any(
            "c_rate" in DERIVED.get(c, ((), None))[0] or c == "c_rate" for c in spec.columns)
        space = self._apply_rate(space)
        self.space = space
        self.names = [p.name for p in space.free if p.name in self.inputs
                      or (p.name == "c_rate" and spec.c_rate == "free")]
        if not self.names:
            raise InputError("nothing to optimize: every input of the model is fixed",
                             field="space", allowed="at least one free input of the model")
        self.fixed = {p.name: float(p.fixed) for p in space if p.is_fixed
                      and (p.name in self.inputs or p.name == "c_rate")}
        if model is not None:
            known = self.outputs + list(space.names) + list(DERIVED)
            for name in spec.columns:
                if name not in known:
                    raise InputError("unknown property for this model", field=name,
                                     allowed=", ".join(self.outputs + list(DERIVED))
                                     + ", or a recipe input")
                derived_from = () if name in self.outputs else DERIVED.get(name, ((), None))[0]
                for needed in derived_from:     # a model that predicts it needs no inputs
                    if needed not in self.outputs and needed not in space.names:
                        raise InputError(f"{name} needs {needed}, which the model does not "
                                         "predict", field=name,
                                         allowed=", ".join(o for o in self.outputs if o != name))
        self.module = model.to_torch() if model is not None else None
        bounds = self._scaling_bounds()
        self.objective = spec.build(bounds)
        # each constraint's violation is divided by its property's scaling range
        scaled = bounds | {t.name: (t.low, t.high) for t in self.objective.targets}
        self._constraint_scales = torch.tensor(
            [_width(scaled.get(c.name, (0.0, 1.0))) for c in self.objective.constraints],
            dtype=torch.float64)

    # -- the C-rate ----------------------------------------------------------------------
    def _apply_rate(self, space: Space) -> Space:
        spec = self.spec
        if spec.c_rate == "free":
            if "c_rate" not in space or space["c_rate"].is_fixed:
                raise InputError("a free C-rate needs c_rate free in the space",
                                 field="c_rate", allowed="a c_rate parameter with bounds")
            if "c_rate" not in self.inputs and self.model is not None:
                raise InputError("a free C-rate needs a model that takes c_rate as an input "
                                 "(its data were at one rate)", field="c_rate",
                                 allowed="mode = 'context', or a model fitted with c_rate")
            return space
        if spec.c_rate_value is not None and "c_rate" in space:
            held = space["c_rate"].fixed
            if held is not None and abs(held - spec.c_rate_value) > 1e-12 * max(1.0, held):
                raise InputError("the objective's C-rate differs from the one the space holds",
                                 field="c_rate.value", value=spec.c_rate_value,
                                 allowed=f"{held:g} (the space's fixed c_rate), or no value")
            return space.fix({"c_rate": spec.c_rate_value})
        if self.rate_used and ("c_rate" not in space or not space["c_rate"].is_fixed):
            raise InputError("the C-rate context needs a value", field="c_rate.value",
                             allowed="[c_rate] value = ... in the objective, or --fix c_rate=...")
        return space

    @property
    def rate_note(self) -> str:
        return self.spec.describe(rate_used=self.rate_used)

    @property
    def bounds(self) -> list[tuple[float, float]]:
        return [(self.space[n].low, self.space[n].high) for n in self.names]

    # -- evaluation ----------------------------------------------------------------------
    def recipes(self, X) -> pd.DataFrame:
        """Searched values (``n x len(names)``) as recipes with the fixed inputs."""
        frame = pd.DataFrame(np.atleast_2d(np.asarray(X, dtype=float)), columns=self.names)
        for name, value in self.fixed.items():
            frame[name] = value
        return frame

    def columns(self, X: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every column the objective may read, for searched values ``X`` (``... x d``)."""
        values = {name: X[..., i] for i, name in enumerate(self.names)}
        for name, value in self.fixed.items():
            values[name] = torch.full(X.shape[:-1], value, dtype=X.dtype)
        inputs = torch.stack([values[name] for name in self.inputs], dim=-1)
        predicted = self.module(inputs)
        values |= {name: predicted[..., i] for i, name in enumerate(self.outputs)}
        for name, (needed, function) in DERIVED.items():
            if name not in values and all(n in values for n in needed):
                values[name] = function(*(values[n] for n in needed))
        return values

    def properties(self, X: torch.Tensor) -> torch.Tensor:
        """``... x m`` tensor of the objective's columns."""
        values = self.columns(X)
        return torch.stack([values[name] for name in self.objective.columns], dim=-1)

    def cost(self, X: torch.Tensor) -> torch.Tensor:
        """Scalarized cost, with the constraint penalty of the module doc."""
        return self.cost_of_columns(self.columns(X))

    def cost_of_columns(self, values: dict[str, torch.Tensor]) -> torch.Tensor:
        """The penalized cost from named columns (recipe inputs, properties, derived)."""
        missing = [name for name in self.objective.columns if name not in values]
        if missing:
            raise InputError("a property of the objective is missing", field=missing[0],
                             allowed=", ".join(self.objective.columns))
        Y = torch.stack([values[name] for name in self.objective.columns], dim=-1)
        cost = self.objective(Y)
        if not self.objective.constraints:
            return cost
        violation = (self.objective.constraint_values(Y).clamp(min=0)
                     / self._constraint_scales).sum(dim=-1)
        return torch.where(violation > 0, 1.0 + cost + violation, cost)

    def cost_of_table(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Costs and feasibility of measured rows (recipe and property columns)."""
        values = {name: torch.tensor(pd.to_numeric(frame[name]).to_numpy(dtype=float),
                                     dtype=torch.float64) for name in frame.columns
                  if pd.api.types.is_numeric_dtype(frame[name])}
        for name, value in self.fixed.items():
            values.setdefault(name, torch.full((len(frame),), value, dtype=torch.float64))
        for name, (needed, function) in DERIVED.items():
            if name not in values and all(n in values for n in needed):
                values[name] = function(*(values[n] for n in needed))
        with torch.no_grad():
            cost = self.cost_of_columns(values)
            Y = torch.stack([values[name] for name in self.objective.columns], dim=-1)
            feasible = self.objective.feasible(Y)
        return cost.numpy(), feasible.numpy()

    def __call__(self, x) -> float:
        with torch.no_grad():
            return float(self.cost(torch.tensor([list(x)], dtype=torch.float64))[0])

    def predict(self, X) -> pd.DataFrame:
        """Recipes with every predicted column, feasibility and the cost."""
        X = torch.tensor(np.atleast_2d(np.asarray(X, dtype=float)), dtype=torch.float64)
        with torch.no_grad():
            values = self.columns(X)
            Y = torch.stack([values[name] for name in self.objective.columns], dim=-1)
            cost = self.cost(X)
            feasible = self.objective.feasible(Y)
        frame = self.recipes(X.numpy())
        for name in self.outputs + [n for n in DERIVED if n in values]:
            frame[name] = values[name].numpy()
        frame["feasible"] = feasible.numpy()
        frame["cost"] = cost.numpy()
        return frame

    # -- scaling --------------------------------------------------------------------------
    def _scaling_bounds(self) -> dict[str, tuple[float, float]]:
        bounds = {name: tuple(b) for name, b in getattr(self.model, "output_bounds_", {}).items()}
        for param in self.space:
            bounds.setdefault(param.name, (param.low, param.high))
        unscaled = [t.name for t in self.spec.targets if not t.scaled and t.name not in bounds]
        if unscaled and self.module is not None:
            from scipy.stats import qmc

            cube = qmc.Sobol(len(self.names), rng=0).random(_SAMPLE_POINTS)
            box = np.array(self.bounds).T
            X = torch.tensor(box[0] + cube * (box[1] - box[0]), dtype=torch.float64)
            with torch.no_grad():
                values = self.columns(X)
            for name in unscaled:
                bounds[name] = (float(values[name].min()), float(values[name].max()))
        return bounds


def _width(bounds: tuple[float, float]) -> float:
    return max(bounds[1] - bounds[0], 1e-12)
