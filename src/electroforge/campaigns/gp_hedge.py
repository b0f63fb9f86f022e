"""GP-Hedge Bayesian optimization on BoTorch (Hoffman, Brochu and de Freitas, UAI 2011).

A portfolio of acquisition functions (lower confidence bound, expected improvement,
probability of improvement) each propose a candidate; one is chosen with probability
``softmax(eta * g)``; after the evaluation the GP is refitted and every acquisition is
rewarded with the new posterior mean at its own candidate.

What we do differently from scikit-optimize's ``gp_minimize(acq_func="gp_hedge")``, whose
gains are in raw objective units with no decay, so that one acquisition takes over within
a few steps: the GP works on standardized outcomes, so the rewards are in standard
deviations of the observed values whatever the objective's scale; ``eta`` is exposed; the
rewards are centred across the portfolio and scaled by their spread at each step (each
step moves a gain by at most 1); the gains decay (``decay < 1``
forgets old rewards); and every step's candidates, choice, probabilities and gains are
logged.

Inputs live in the unit cube for the GP (``Normalize`` by the bounds); outcomes are
standardized; the initial design is scrambled Sobol'.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from electroforge.errors import InputError
from electroforge.seeds import check_seed
from electroforge.threads import single_threaded

__all__ = ["HedgeStep", "OptimizeResult", "gp_hedge_minimize", "PORTFOLIO"]

PORTFOLIO = ("LCB", "EI", "PI")


@dataclass(frozen=True)
class HedgeStep:
    """One GP-Hedge iteration: every acquisition's candidate, the chosen one, and the odds."""

    candidates: dict[str, list[float]]
    chosen: str
    probabilities: dict[str, float]
    gains: dict[str, float]


@dataclass
class OptimizeResult:
    """Same fields as scikit-optimize's result, plus the hedge history."""

    x: list[float]
    fun: float
    x_iters: list[list[float]]
    func_vals: np.ndarray
    probabilities: list[dict[str, float]] = field(default_factory=list)
    steps: list[HedgeStep] = field(default_factory=list)


@single_threaded()
def gp_hedge_minimize(func: Callable[[list[float]], float],
                      bounds: Sequence[tuple[float, float]], *, n_calls: int,
                      n_initial: int | None = None, seed: int = 0, eta: float = 1.0,
                      decay: float = 0.9, acquisitions: Sequence[str] = PORTFOLIO,
                      beta: float = 2.0, num_restarts: int = 4,
                      raw_samples: int = 128, callback: Callable | None = None) -> OptimizeResult:
    """Minimize ``func`` over the box ``bounds`` in ``n_calls`` evaluations (GP-Hedge).

    Runs single-threaded (torch and BLAS) so that the same seed gives the same proposals.

    Args:
        func: Takes a list of floats (one per bound), returns a float.
        bounds: ``[(low, high), ...]``.
        n_calls: Total evaluations, initial design included.
        n_initial: Sobol' points before the GP takes over (default: max(5, 2 d), at most
            ``n_calls``).
        seed: Seeds the initial design, the acquisition optimizers and the hedge draws.
        eta: Softmax temperature of the hedge (0: uniform choice).
        decay: Gains are multiplied by this before each reward (1: no forgetting; the
            default 0.9 keeps the hedge from locking onto one acquisition for good).
        acquisitions: Any of "LCB", "EI", "PI".
        beta: Exploration weight of the confidence bound (``mu - sqrt(beta) sigma``).
        callback: Called with the result so far after every evaluation.

    Returns:
        :class:`OptimizeResult` with ``x``, ``fun``, ``x_iters``, ``func_vals``,
        ``probabilities`` (one dict per GP step) and ``steps``.

    Example:
        >>> result = gp_hedge_minimize(lambda x: (x[0] - 0.3) ** 2, [(0.0, 1.0)], n_calls=12)
        >>> abs(result.x[0] - 0.3) < 0.05
        True
    """
    seed = check_seed(seed)
    box = _check_bounds(bounds)
    d = box.shape[1]
    if isinstance(n_calls, bool) or not isinstance(n_calls, int) or n_calls < 1:
        raise InputError("n_calls must be a positive integer", field="n_calls", value=n_calls,
                         allowed="an integer >= 1")
    n_initial = min(n_calls, max(5, 2 * d)) if n_initial is None else n_initial
    if not 1 <= n_initial <= n_calls:
        raise InputError("n_initial out of range", field="n_initial", value=n_initial,
                         allowed=f"1 <= n_initial <= n_calls ({n_calls})")
    unknown = [a for a in acquisitions if a not in PORTFOLIO]
    if unknown or not acquisitions:
        raise InputError("unknown acquisition", field="acquisitions", value=repr(unknown or []),
                         allowed=", ".join(PORTFOLIO))
    if not (math.isfinite(eta) and eta >= 0) or not 0 < decay <= 1:
        raise InputError("eta must be >= 0 and 0 < decay <= 1", field="eta",
                         value=f"eta={eta}, decay={decay}", allowed="eta >= 0, 0 < decay <= 1")

    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cube = qmc.Sobol(d, scramble=True, rng=rng).random(n_initial)
    result = OptimizeResult(x=[], fun=math.inf, x_iters=[], func_vals=np.empty(0))
    X = torch.tensor(box[0] + cube * (box[1] - box[0]), dtype=torch.float64)
    y = torch.tensor([_call(func, x) for x in X.tolist()], dtype=torch.float64)
    _record(result, X, y, callback)
    gains = np.zeros(len(acquisitions))
    bounds_t = torch.tensor(box, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed)
    for step in range(n_calls - n_initial):
        with torch.random.fork_rng():
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
            model = _fit_gp(X, y, bounds_t)
            candidates = {name: _propose(name, model, y, bounds_t, beta, num_restarts,
                                         raw_samples) for name in acquisitions}
        probabilities = _softmax(eta * gains)
        chosen = int(rng.choice(len(acquisitions), p=probabilities))
        x_new = candidates[acquisitions[chosen]]
        y_new = torch.tensor([_call(func, x_new.tolist())], dtype=torch.float64)
        X = torch.cat([X, x_new.unsqueeze(0)])
        y = torch.cat([y, y_new])
        with torch.random.fork_rng():
            torch.manual_seed(seed + step)
            model = _fit_gp(X, y, bounds_t)
            with torch.no_grad():
                means = model.posterior(torch.stack(list(candidates.values()))).mean.squeeze(-1)
        # The GP models -y (BoTorch maximizes) on standardized outcomes, higher is better.
        # Rewards are centred across the portfolio and divided by their spread: a step moves
        # a gain by at most 1, by how much better its candidate looks than the others, not
        # by the level or the scale of the objective (which made scikit-optimize's hedge
        # lock onto one acquisition within a few steps).
        rewards = means.numpy()
        spread = rewards.max() - rewards.min()
        gains = decay * gains + ((rewards - rewards.mean()) / spread if spread > 1e-12 else 0.0)
        result.steps.append(HedgeStep(
            candidates={name: c.tolist() for name, c in candidates.items()},
            chosen=acquisitions[chosen],
            probabilities=dict(zip(acquisitions, map(float, probabilities))),
            gains=dict(zip(acquisitions, map(float, gains)))))
        result.probabilities.append(result.steps[-1].probabilities)
        _record(result, X, y, callback)
    return result


def _check_bounds(bounds) -> np.ndarray:
    try:
        box = np.array(bounds, dtype=float).T
    except (TypeError, ValueError):
        raise InputError("bounds must be (low, high) pairs", field="bounds", value=repr(bounds),
                         allowed="[(low, high), ...]") from None
    if box.ndim != 2 or box.shape[0] != 2 or box.shape[1] < 1:
        raise InputError("bounds must be (low, high) pairs", field="bounds", value=repr(bounds),
                         allowed="[(low, high), ...]")
    if not np.isfinite(box).all() or not (box[0] < box[1]).all():
        bad = int(np.argmax(~(box[0] < box[1]) | ~np.isfinite(box).all(axis=0)))
        raise InputError("each bound needs finite low < high", field=f"bounds[{bad}]",
                         value=f"{box[0, bad]}:{box[1, bad]}", allowed="low < high, finite")
    return box


def _call(func, x: list[float]) -> float:
    value = float(func(list(x)))
    if not math.isfinite(value):
        raise InputError("the objective returned a non-finite value", field="func",
                         value=value, allowed=f"a finite number (at x = {x})")
    return value


def _fit_gp(X: torch.Tensor, y: torch.Tensor, bounds: torch.Tensor):
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms import Normalize, Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    model = SingleTaskGP(X, -y.unsqueeze(-1), input_transform=Normalize(d=X.shape[-1],
                                                                        bounds=bounds),
                         outcome_transform=Standardize(m=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    return model


def _propose(name: str, model, y: torch.Tensor, bounds: torch.Tensor, beta: float,
             num_restarts: int, raw_samples: int) -> torch.Tensor:
    from botorch.acquisition import (
        LogExpectedImprovement, ProbabilityOfImprovement, UpperConfidenceBound)
    from botorch.optim import optimize_acqf

    best = float((-y).max())
    acquisition = {"LCB": lambda: UpperConfidenceBound(model, beta=beta),
                   "EI": lambda: LogExpectedImprovement(model, best_f=best),
                   "PI": lambda: ProbabilityOfImprovement(model, best_f=best)}[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        candidate, _ = optimize_acqf(acquisition, bounds=bounds, q=1, num_restarts=num_restarts,
                                     raw_samples=raw_samples)
    return candidate.squeeze(0).detach()


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()


def _record(result: OptimizeResult, X: torch.Tensor, y: torch.Tensor, callback) -> None:
    result.x_iters = X.tolist()
    result.func_vals = y.numpy().copy()
    best = int(np.argmin(result.func_vals))
    result.x, result.fun = result.x_iters[best], float(result.func_vals[best])
    if callback is not None:
        callback(result)
