"""Where a surrogate's data are: each parameter's measured range, the distance of a recipe
to the nearest measured recipe, and the trust region a search keeps to.

A surrogate fitted on a slurry-major design knows six slurries; an optimum it predicts at
the space's bound, beyond every slurry, is an extrapolation, however good its cross-
validation. :class:`DataDomain` says so per parameter (the value and the data's range)
and as a whole: the distance to the nearest recipe of the data in the space's unit cube,
against the distance that 95 % of the points inside the data's own box stay within
(:attr:`DataDomain.gap_limit`: a recipe farther than that sits in a hole no data covers).
:meth:`DataDomain.trust_bounds` is the box a search keeps to: the data's box widened by a
margin, a fraction of each parameter's range in the space, clipped to the space.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from electroforge.errors import InputError

__all__ = ["DEFAULT_TRUST_MARGIN", "DataDomain", "check_trust_margin", "domain_text"]

#: The trust region's margin around the data's box, a fraction of each parameter's range.
DEFAULT_TRUST_MARGIN = 0.1
#: Points inside the data's box that set :attr:`DataDomain.gap_limit`, and their quantile.
_GAP_POINTS = 1024
_GAP_QUANTILE = 0.95


def check_trust_margin(value: Any, *, field: str = "trust_margin") -> float | None:
    """A margin (a number from 0 to 1) or None (the whole space)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            0.0 <= float(value) <= 1.0):
        raise InputError("the trust region's margin is a fraction of each range", field=field,
                         value=repr(value), allowed="a number from 0 (the data's box) to 1, "
                         "or none for the whole space")
    return float(value)


@dataclass(frozen=True)
class DataDomain:
    """The recipes a model was fitted on, over the searched parameters.

    Args:
        names: The searched parameters.
        points: The data's recipes, ``n x d`` in the parameters' units (``n >= 1``).
        bounds: The space's ``(low, high)`` of each parameter.
    """

    names: tuple[str, ...]
    points: np.ndarray
    bounds: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        points = np.atleast_2d(np.asarray(self.points, dtype=float))
        if points.shape[1] != len(self.names) or len(points) == 0 or not np.isfinite(
                points).all():
            raise InputError("the data's recipes must be finite, one column per parameter",
                             field="training_inputs", value=f"shape {points.shape}",
                             allowed=f"n x {len(self.names)} finite numbers")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "bounds", tuple((float(lo), float(hi))
                                                 for lo, hi in self.bounds))

    @classmethod
    def of_model(cls, model: Any, names: Sequence[str],
                 bounds: Sequence[tuple[float, float]]) -> DataDomain | None:
        """The domain of a fitted surrogate's training recipes (None if its file does not
        keep them, or it lacks one of the searched parameters)."""
        inputs = getattr(model, "training_inputs_", None)
        features = list(getattr(model, "feature_names_", []))
        if inputs is None or not all(n in features for n in names):
            return None
        columns = [features.index(n) for n in names]
        return cls(tuple(names), np.asarray(inputs, dtype=float)[:, columns], tuple(bounds))

    # -- geometry ---------------------------------------------------------------------
    @property
    def low(self) -> np.ndarray:
        return self.points.min(axis=0)

    @property
    def high(self) -> np.ndarray:
        return self.points.max(axis=0)

    def _unit(self, X: np.ndarray) -> np.ndarray:
        lo, hi = np.array(self.bounds).T
        return (np.atleast_2d(X) - lo) / np.where(hi > lo, hi - lo, 1.0)

    def distance(self, X) -> np.ndarray:
        """Distance of each recipe to the nearest recipe of the data, in the unit cube."""
        from scipy.spatial import cKDTree

        return cKDTree(self._unit(self.points)).query(self._unit(np.asarray(X, float)))[0]

    @cached_property
    def gap_limit(self) -> float:
        """The distance from the data that 95 % of the points inside the data's box stay
        within (computed on first use: a trust box does not need it)."""
        from scipy.stats import qmc

        lo, hi = self.low, self.high
        cube = qmc.Sobol(len(self.names), rng=0).random(_GAP_POINTS)
        inside = lo + cube * (hi - lo)
        return float(np.quantile(self.distance(inside), _GAP_QUANTILE))

    def trust_bounds(self, margin: float) -> list[tuple[float, float]]:
        """The data's box widened by ``margin`` of each parameter's range, within the space."""
        margin = check_trust_margin(margin)
        out = []
        for (lo, hi), d_lo, d_hi in zip(self.bounds, self.low, self.high):
            reach = margin * (hi - lo)
            out.append((max(lo, float(d_lo) - reach), min(hi, float(d_hi) + reach)))
        return out

    # -- verdicts ---------------------------------------------------------------------
    def check(self, recipe: Mapping[str, float]) -> dict[str, Any]:
        """Whether a recipe is inside the data: the parameters outside the data's range
        (value and range) and the distance to the nearest recipe of the data against
        :attr:`gap_limit`."""
        x = np.array([float(recipe[n]) for n in self.names])
        outside = [{"name": n, "value": float(v), "low": float(lo), "high": float(hi)}
                   for n, v, lo, hi in zip(self.names, x, self.low, self.high)
                   if v < lo - 1e-9 * max(1.0, abs(lo)) or v > hi + 1e-9 * max(1.0, abs(hi))]
        distance = float(self.distance(x)[0])
        return {"inside": not outside and distance <= self.gap_limit, "outside": outside,
                "distance": distance, "gap_limit": self.gap_limit}


def domain_text(verdict: Mapping[str, Any]) -> str:
    """One line for people: inside the data, or where and how far outside."""
    parts = [f"{o['name']} {o['value']:.4g} beyond the data's {o['low']:.4g}-{o['high']:.4g}"
             for o in verdict["outside"]]
    if verdict["distance"] > verdict["gap_limit"]:
        parts.append(f"{verdict['distance']:.3f} from the nearest recipe of the data (95 % of "
                     f"the data's box is within {verdict['gap_limit']:.3f})")
    if not parts:
        return (f"inside the data (nearest recipe of the data {verdict['distance']:.3f} away, "
                f"in the unit cube)")
    return "OUTSIDE the data: " + "; ".join(parts) + " - an extrapolation of the model"
