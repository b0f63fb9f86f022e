"""``gp_hedge_minimize``: GP-Hedge with the call shape of scikit-optimize's ``gp_minimize``.

A loop over the ask/tell optimizer :class:`~electroforge.campaigns.hedge.GPHedge` (the
method and how it differs from scikit-optimize's hedge are described there).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from electroforge.campaigns.hedge import PORTFOLIO, GPHedge, HedgeSettings, HedgeStep
from electroforge.errors import InputError
from electroforge.threads import single_threaded

__all__ = ["HedgeStep", "OptimizeResult", "gp_hedge_minimize", "PORTFOLIO"]


RULES = {"posterior": "best posterior mean among evaluated points",
         "observed": "best observation"}


@dataclass
class OptimizeResult:
    """Same fields as scikit-optimize's result, plus the hedge history.

    ``x`` and ``fun`` are what ``rule`` names: by default the evaluated point of best
    posterior mean and the posterior median of the objective there (with noise the best
    observation is the luckiest draw), with its 90 % ``interval``; ``x_observed`` and
    ``fun_observed`` are the best observation. ``stopped`` says why the run ended before
    ``n_calls`` (the stopping rule), else None.
    """

    x: list[float]
    fun: float
    x_iters: list[list[float]]
    func_vals: np.ndarray
    probabilities: list[dict[str, float]] = field(default_factory=list)
    steps: list[HedgeStep] = field(default_factory=list)
    optimizer: GPHedge | None = None
    rule: str = RULES["observed"]
    interval: tuple[float, float] | None = None
    x_observed: list[float] = field(default_factory=list)
    fun_observed: float = math.inf
    stopped: str | None = None


@single_threaded()
def gp_hedge_minimize(func: Callable[[list[float]], float],
                      bounds: Sequence[tuple[float, float]], *, n_calls: int,
                      n_initial: int | None = None, seed: int = 0, batch_size: int = 1,
                      callback: Callable | None = None, greedy_last: bool = True,
                      recommend: str = "posterior", settings: HedgeSettings | None = None,
                      **options) -> OptimizeResult:
    """Minimize ``func`` over the box ``bounds`` in ``n_calls`` evaluations (GP-Hedge).

    Runs single-threaded (torch and BLAS) so that the same seed gives the same proposals.

    Args:
        func: Takes a list of floats (one per bound), returns a float.
        bounds: ``[(low, high), ...]``.
        n_calls: Total evaluations, initial design included.
        n_initial: Sobol' points before the GP takes over (default: max(5, 2 d), at most
            ``n_calls``).
        seed: Seeds the initial design, the acquisition optimizers and the hedge draws.
        batch_size: Points proposed together (``q``), each batch proposed with the earlier
            ones of the batch pending, then all evaluated.
        callback: Called with the result so far after every batch.
        recommend: ``"posterior"`` (default): ``result.x`` is the evaluated point of best
            posterior mean (:meth:`GPHedge.recommend`); ``"observed"``: the best
            observation, as scikit-optimize.
        greedy_last: The last call minimizes the GP's posterior mean instead of a hedge
            decision (exploring can no longer pay off; simple regret is what is left).
        settings: GP-Hedge's options as one
            :class:`~electroforge.campaigns.hedge.HedgeSettings` (a campaign's).
        **options: ``eta``, ``decay``, ``acquisitions``, ``beta``, ``num_restarts``,
            ``raw_samples`` of :class:`~electroforge.campaigns.hedge.GPHedge` (over
            ``settings``), and its ``linear_constraints``.

    The run ends early when the settings' stopping rule fires (``stop_improvement``: the
    expected improvement stayed below it for ``stop_decisions`` decisions); then
    ``result.stopped`` says so.

    Returns:
        :class:`OptimizeResult` with ``x``, ``fun`` (what ``result.rule`` names),
        ``interval``, ``x_observed``, ``fun_observed``, ``x_iters``, ``func_vals``,
        ``probabilities`` (one dict per GP decision), ``steps``, ``stopped`` and the
        ``optimizer``.

    Example:
        >>> result = gp_hedge_minimize(lambda x: (x[0] - 0.3) ** 2, [(0.0, 1.0)], n_calls=12)
        >>> abs(result.x[0] - 0.3) < 0.05
        True
    """
    if isinstance(n_calls, bool) or not isinstance(n_calls, int) or n_calls < 1:
        raise InputError("n_calls must be a positive integer", field="n_calls", value=n_calls,
                         allowed="an integer >= 1")
    if recommend not in RULES:
        raise InputError("unknown recommendation rule", field="recommend", value=recommend,
                         allowed=", ".join(RULES))
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError("batch_size must be a positive integer", field="batch_size",
                         value=batch_size, allowed="an integer >= 1")
    if n_initial is not None:
        options["n_initial"] = n_initial
    optimizer = GPHedge(bounds, seed=seed, settings=settings, **options)
    n_initial = optimizer.settings.n_initial
    if n_initial is None:
        optimizer.n_initial = min(optimizer.n_initial, n_calls)
    elif not 1 <= n_initial <= n_calls:
        raise InputError("n_initial out of range", field="n_initial", value=n_initial,
                         allowed=f"1 <= n_initial <= n_calls ({n_calls})")
    result = OptimizeResult(x=[], fun=math.inf, x_iters=[], func_vals=np.empty(0),
                            optimizer=optimizer)
    while len(optimizer.y) < n_calls:
        remaining = n_calls - len(optimizer.y)
        if len(optimizer.y) < optimizer.n_initial:
            points = optimizer.ask(min(remaining, optimizer.n_initial - len(optimizer.y)))
        else:
            count = min(remaining, batch_size)
            points = optimizer.ask(count, greedy=greedy_last and count == remaining)
        values = [_call(func, x) for x in points]
        optimizer.tell(points, values)
        result.stopped = optimizer.stop_reason
        final = len(optimizer.y) >= n_calls or result.stopped is not None
        _record(result, optimizer, callback, recommend if final else "observed")
        if result.stopped is not None:
            break
    return result


def _call(func, x: list[float]) -> float:
    value = float(func(list(x)))
    if not math.isfinite(value):
        raise InputError("the objective returned a non-finite value", field="func",
                         value=value, allowed=f"a finite number (at x = {x})")
    return value


def _record(result: OptimizeResult, optimizer: GPHedge, callback, rule: str) -> None:
    result.x_iters = [list(x) for x in optimizer.X]
    result.func_vals = np.array(optimizer.y)
    result.x_observed, result.fun_observed = optimizer.best()
    if rule == "posterior":
        chosen = optimizer.recommend()
        result.x, result.fun, result.rule = chosen["x"], chosen["fun"], chosen["rule"]
        result.interval = (None if chosen["low"] is None
                           else (chosen["low"], chosen["high"]))
    else:
        result.x, result.fun = list(result.x_observed), result.fun_observed
        result.rule, result.interval = RULES["observed"], None
    result.steps = list(optimizer.steps)
    result.probabilities = [step.probabilities for step in result.steps]
    if callback is not None:
        callback(result)
