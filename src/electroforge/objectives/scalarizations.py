"""Scalarized costs of a property vector, as torch modules (differentiable, batched).

Every objective scales each target's property to [0, 1] over its bounds and turns it
into a shortfall ``b`` in [0, 1] (0 is best): ``y`` for "min", ``1 - y`` for "max",
``|y - t|`` for "target" (scaled target ``t``). Objectives differ in how they combine
the shortfalls, always as a cost to minimize:

- :class:`ReferenceCost`, the reference's Eq. 3: ``sum w b^2 / sum w`` (equal weights over
  four properties give its ``1/4 (sum_min y^2 + sum_max (1 - y)^2)``);
- :class:`WeightedSum`: ``sum w b / sum w`` (with "target" directions: a target distance);
- :class:`Desirability` (Derringer-Suich): ``1 - prod (1 - b)^(w / sum w)``;
- :class:`AugmentedChebyshev`: ``max w b + rho sum w b`` (weights summing to 1), which
  reaches every Pareto-optimal recipe, not only those on the convex hull.

``forward(Y)`` takes a ``batch_shape x n x m`` tensor whose last dimension follows
``objective.columns`` (the targets' properties, then any property only constrained) and
returns ``batch_shape x n`` costs. Outcome constraints (``porosity >= 0.25``) are
reported by :meth:`Objective.constraint_values` (``<= 0`` where satisfied, BoTorch's
convention) and :meth:`Objective.feasible`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch

from electroforge.errors import InputError
from electroforge.objectives.targets import Constraint, Target

__all__ = ["AugmentedChebyshev", "Desirability", "Objective", "ReferenceCost", "WeightedSum"]


class Objective(torch.nn.Module):
    """Base: targets with bounds and weights, optional constraints; see module doc."""

    def __init__(self, targets: Sequence[Target], *, constraints: Sequence[Constraint] = ()) -> None:
        super().__init__()
        targets = tuple(targets)
        if not targets:
            raise InputError("an objective needs at least one target", field="targets",
                             value="[]", allowed="one or more Target")
        names = [t.name for t in targets]
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            raise InputError("a property appears twice", field=duplicate, allowed="each once")
        unscaled = [t.name for t in targets if not t.scaled]
        if unscaled:
            raise InputError("the target has no scaling bounds", field=unscaled[0],
                             allowed="bounds from the training data: Target.with_bounds_from(data)")
        self.targets = targets
        self.constraints = tuple(constraints)
        self.columns = tuple(names + [c.name for c in self.constraints if c.name not in names])
        dtype = torch.float64
        self.register_buffer("low", torch.tensor([t.low for t in targets], dtype=dtype))
        self.register_buffer("high", torch.tensor([t.high for t in targets], dtype=dtype))
        weights = torch.tensor([t.weight for t in targets], dtype=dtype)
        self.register_buffer("weights", weights / weights.sum())
        self.register_buffer("sign", torch.tensor(
            [{"min": 1.0, "max": -1.0, "target": 0.0}[t.direction] for t in targets], dtype=dtype))
        self.register_buffer("goal", torch.tensor(
            [(t.value - t.low) / (t.high - t.low) if t.direction == "target" else 0.0
             for t in targets], dtype=dtype))

    @classmethod
    def from_data(cls, targets: Sequence[Target], data: pd.DataFrame, **kwargs) -> Objective:
        """The objective with every target's bounds taken from ``data`` (the reference's
        scaling over the training set)."""
        return cls([t.with_bounds_from(data) for t in targets], **kwargs)

    # -- the cost ------------------------------------------------------------------------
    def shortfalls(self, Y: torch.Tensor) -> torch.Tensor:
        """``batch x n x k`` shortfalls in [0, 1] (0 best) of the targets."""
        self._check(Y)
        k = len(self.targets)
        scaled = (Y[..., :k] - self.low) / (self.high - self.low)
        return torch.where(self.sign > 0, scaled,
                           torch.where(self.sign < 0, 1.0 - scaled, (scaled - self.goal).abs()))

    def forward(self, Y: torch.Tensor) -> torch.Tensor:
        return self._combine(self.shortfalls(Y))

    def _combine(self, b: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- constraints ----------------------------------------------------------------------
    def constraint_values(self, Y: torch.Tensor) -> torch.Tensor:
        """``batch x n x c``, each ``<= 0`` where its constraint holds."""
        self._check(Y)
        columns = [Y[..., self.columns.index(c.name)] for c in self.constraints]
        if not columns:
            return Y[..., :0]
        return torch.stack([c.value_of(col) for c, col in zip(self.constraints, columns)], dim=-1)

    def feasible(self, Y: torch.Tensor) -> torch.Tensor:
        return (self.constraint_values(Y) <= 0).all(dim=-1)

    # -- tables --------------------------------------------------------------------------
    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """Costs of the rows of a table of properties (NaN where a constraint fails)."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise InputError("the table lacks a property of the objective", field=missing[0],
                             allowed=", ".join(map(str, frame.columns)))
        Y = torch.tensor(frame[list(self.columns)].to_numpy(dtype=float), dtype=torch.float64)
        cost = self(Y)
        cost = torch.where(self.feasible(Y), cost, torch.full_like(cost, float("nan")))
        return pd.Series(cost.numpy(), index=frame.index, name=type(self).__name__)

    def _check(self, Y: torch.Tensor) -> None:
        if not isinstance(Y, torch.Tensor) or Y.shape[-1] != len(self.columns):
            shape = tuple(Y.shape) if isinstance(Y, torch.Tensor) else type(Y).__name__
            raise InputError("property tensor of the wrong width", field="Y", value=shape,
                             allowed=f"last dimension {len(self.columns)}: {', '.join(self.columns)}")


class ReferenceCost(Objective):
    """The reference's Cf (Eq. 3): weighted mean of squared shortfalls."""

    def _combine(self, b: torch.Tensor) -> torch.Tensor:
        return (self.weights * b**2).sum(dim=-1)


class WeightedSum(Objective):
    """Weighted mean of shortfalls (a weighted target distance with "target" directions)."""

    def _combine(self, b: torch.Tensor) -> torch.Tensor:
        return (self.weights * b).sum(dim=-1)


class Desirability(Objective):
    """``1 - D`` with ``D`` the weighted geometric mean of desirabilities ``1 - b``."""

    def _combine(self, b: torch.Tensor) -> torch.Tensor:
        d = (1.0 - b).clamp(min=1e-12, max=1.0)
        return 1.0 - torch.exp((self.weights * torch.log(d)).sum(dim=-1))


class AugmentedChebyshev(Objective):
    """``max_i w_i b_i + rho sum_i w_i b_i`` (``rho`` default 0.05)."""

    def __init__(self, targets: Sequence[Target], *, constraints: Sequence[Constraint] = (),
                 rho: float = 0.05) -> None:
        super().__init__(targets, constraints=constraints)
        if not 0 <= rho < 1:
            raise InputError("rho out of range", field="rho", value=rho, allowed="0 <= rho < 1")
        self.register_buffer("rho", torch.tensor(float(rho), dtype=torch.float64))

    def _combine(self, b: torch.Tensor) -> torch.Tensor:
        weighted = self.weights * b
        return weighted.max(dim=-1).values + self.rho * weighted.sum(dim=-1)
