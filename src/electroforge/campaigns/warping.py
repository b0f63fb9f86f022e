"""Outcome warping for the GP: a monotone map of the objective before standardization.

A GP with a stationary kernel models an objective whose values span orders of magnitude
(a Rosenbrock valley under walls 10^6 high, a cost that is 1 + penalty when infeasible)
badly: the walls set the output scale and the valley, where the optimum is, looks flat.
The usual cure is to model ``T(y)`` for a monotone ``T`` (Snelson, Rasmussen and
Ghahramani 2004, warped GPs; HEBO, Cowen-Rivers et al. 2022, power transforms;
Salinas et al. 2020, quantile/rank warping). The kinds here:

- ``none``: ``T(y) = y``.
- ``log``: ``T(y) = log(y - min(y) + c)``, the offset ``c = offset * (max(y) - min(y))``.
- ``boxcox``: ``T(y) = ((y - min(y) + c)^lam - 1) / lam``; ``lam`` the maximum-likelihood
  Box-Cox exponent of the shifted values (scipy.stats.boxcox), ``c`` as for ``log``.
- ``rank``: ``T(y)`` the normal score of the rank, ``Phi^-1((rank - 1/2) / n)``,
  piecewise-linear between the observed values and extrapolated with the end slopes.

``auto`` chooses among ``none``, ``log`` (two offsets) and ``boxcox`` by the GP's marginal
likelihood *of the untransformed values*: the fitted GP's log density of the standardized
``T(y)`` plus the log-Jacobian ``sum log T'(y_i)`` minus ``n log(std T(y))`` (a warped GP's
evidence, Snelson et al. 2004, Eq. 6), so that the kinds compete on the same data. Rank
warping has no smooth Jacobian and is used only when asked for.

Every kind is decreasing-free (``T`` increases), so the minimizer and the ranking of
recipes are kept, and a Gaussian posterior of ``T(f)`` maps back to a posterior *median*
and quantiles of ``f`` by ``T^-1``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from electroforge.errors import InputError

__all__ = ["OutcomeWarp", "WARPS", "warp_candidates"]

#: The kinds a user may ask for (``auto`` chooses among the smooth ones).
WARPS = ("auto", "none", "log", "boxcox", "rank")
#: Offsets (as a share of the observed range) ``auto`` tries for the log warp.
LOG_OFFSETS = (0.01, 0.1)
BOXCOX_OFFSET = 0.1


@dataclass(frozen=True)
class OutcomeWarp:
    """A monotone increasing map ``T`` of observed values (see the module doc).

    ``kind``, ``lam`` and ``offset`` (a share of the observed range) are what a state
    records; :meth:`fitted` pins the data-dependent parts (the minimum, the range, the rank
    table) to the values observed.

    Example:
        >>> warp = OutcomeWarp("log", offset=0.1).fitted([1.0, 11.0, 101.0])
        >>> np.round(warp.forward(np.array([1.0, 101.0])), 4).tolist()
        [2.3026, 4.7005]
        >>> float(np.round(warp.inverse(warp.forward(np.array([7.0])))[0], 10))
        7.0
    """

    kind: str = "none"
    lam: float = 1.0
    offset: float = 0.1
    low: float = 0.0        # min(y) when fitted
    span: float = 1.0       # max(y) - min(y) when fitted (1 if all equal)
    table_y: tuple[float, ...] = ()
    table_z: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in WARPS or self.kind == "auto":
            raise InputError("unknown outcome warp", field="warp", value=repr(self.kind),
                             allowed=", ".join(WARPS))

    # -- fitting ----------------------------------------------------------------------------
    def fitted(self, y) -> OutcomeWarp:
        """This kind pinned to the observed values ``y`` (the Box-Cox exponent fitted when
        ``lam`` is None-like NaN)."""
        from dataclasses import replace

        y = np.asarray(y, dtype=float)
        low = float(y.min())
        span = float(y.max() - low) or 1.0
        if self.kind == "rank":
            values = np.unique(y)
            if len(values) < 2:
                return replace(self, low=low, span=span, table_y=(), table_z=())
            from scipy.stats import norm, rankdata

            ranks = rankdata(y)                 # ties averaged
            scores = norm.ppf((ranks - 0.5) / len(y))
            z = np.array([scores[y == v].mean() for v in values])
            return replace(self, low=low, span=span, table_y=tuple(map(float, values)),
                           table_z=tuple(map(float, z)))
        warp = replace(self, low=low, span=span)
        if self.kind == "boxcox" and math.isnan(self.lam) and np.ptp(y) == 0:
            warp = replace(warp, lam=1.0)       # nothing to fit on equal values
        elif self.kind == "boxcox" and math.isnan(self.lam):
            from scipy.stats import boxcox

            lam = float(boxcox(warp._shifted(y))[1])
            warp = replace(warp, lam=float(np.clip(lam, -2.0, 2.0)))
        return warp

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k in ("kind", "lam", "offset")}

    # -- the map ----------------------------------------------------------------------------
    def _shifted(self, y: np.ndarray) -> np.ndarray:
        return np.maximum(y - self.low + self.offset * self.span, 1e-12 * self.span)

    def forward(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        if self.kind == "none":
            return y.copy()
        if self.kind == "rank":
            if not self.table_y:
                return y - self.low
            return self._interpolate(y, self.table_y, self.table_z)
        s = self._shifted(y)
        lam = 0.0 if self.kind == "log" else self.lam
        return np.log(s) if abs(lam) < 1e-12 else (s ** lam - 1.0) / lam

    def inverse(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        if self.kind == "none":
            return z.copy()
        if self.kind == "rank":
            if not self.table_y:
                return z + self.low
            return self._interpolate(z, self.table_z, self.table_y)
        lam = 0.0 if self.kind == "log" else self.lam
        with np.errstate(over="ignore", divide="ignore"):
            if abs(lam) < 1e-12:
                s = np.exp(np.minimum(z, 700.0))
            else:
                s = np.minimum(np.maximum(lam * z + 1.0, 1e-300) ** (1.0 / lam), 1e300)
        return s + self.low - self.offset * self.span

    def derivative(self, y: np.ndarray) -> np.ndarray:
        """``T'(y)`` (for ``rank``, the slope of the piecewise-linear map)."""
        y = np.asarray(y, dtype=float)
        if self.kind == "none":
            return np.ones_like(y)
        if self.kind == "rank":
            h = 1e-6 * self.span
            return (self.forward(y + h) - self.forward(y - h)) / (2 * h)
        lam = 0.0 if self.kind == "log" else self.lam
        return self._shifted(y) ** (lam - 1.0)

    @property
    def label(self) -> str:
        """``kind`` with its parameters, as the state's evidence table names it."""
        if self.kind in ("none", "rank"):
            return self.kind
        if self.kind == "log":
            return f"log(c={self.offset:g})"
        return f"boxcox(lam={self.lam:.3g}, c={self.offset:g})"

    def log_jacobian(self, y: np.ndarray) -> float:
        """``sum log T'(y_i)`` (not defined for ``rank``)."""
        y = np.asarray(y, dtype=float)
        if self.kind == "none":
            return 0.0
        if self.kind == "rank":
            raise ValueError("the rank warp has no smooth Jacobian")
        lam = 0.0 if self.kind == "log" else self.lam
        return float((lam - 1.0) * np.log(self._shifted(y)).sum())

    @staticmethod
    def _interpolate(v: np.ndarray, xs: tuple, ys: tuple) -> np.ndarray:
        if not xs:                       # all values equal: a shift (forward: to 0)
            return v.copy()
        xs, ys = np.asarray(xs), np.asarray(ys)
        out = np.interp(v, xs, ys)
        low_slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
        high_slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
        out = np.where(v < xs[0], ys[0] + (v - xs[0]) * low_slope, out)
        return np.where(v > xs[-1], ys[-1] + (v - xs[-1]) * high_slope, out)


def warp_candidates(kind: str) -> list[OutcomeWarp]:
    """The warps a setting stands for: one, or ``auto``'s competitors."""
    if kind != "auto":
        return [OutcomeWarp(kind, lam=math.nan if kind == "boxcox" else 1.0)]
    return ([OutcomeWarp("none")] + [OutcomeWarp("log", offset=c) for c in LOG_OFFSETS]
            + [OutcomeWarp("boxcox", lam=math.nan, offset=BOXCOX_OFFSET)])


def warp_from_dict(data: dict) -> OutcomeWarp:
    return OutcomeWarp(str(data["kind"]), lam=float(data["lam"]), offset=float(data["offset"]))
