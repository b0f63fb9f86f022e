"""GP-Hedge as an ask/tell optimizer (Hoffman, Brochu and de Freitas, UAI 2011).

A portfolio of acquisition functions (lower confidence bound, expected improvement,
probability of improvement) each propose a candidate; one is chosen with probability
``softmax(eta * g)``; once the chosen recipe is evaluated the GP is refitted and every
acquisition is rewarded with the new posterior mean at its own candidate.

What we do differently from scikit-optimize's ``gp_minimize(acq_func="gp_hedge")``, whose
gains are in raw objective units with no decay, so that one acquisition takes over within
a few steps: the GP works on standardized outcomes; the rewards are centred across the
portfolio and divided by their spread at each step (a step moves a gain by at most 1,
by how much better its candidate looks than the others, whatever the objective's level
or scale); ``eta`` is exposed; the gains decay (``decay < 1`` forgets old rewards); and
every decision's candidates, choice, probabilities and gains are logged.

:class:`GPHedge` is the ask/tell form, for labs and persistent campaigns:

- ``ask(n)`` proposes ``n`` recipes at once. Points asked and not yet told are *pending*:
  with pending points the portfolio switches to BoTorch's Monte-Carlo acquisitions
  (``qUpperConfidenceBound``, ``qLogExpectedImprovement``, ``qProbabilityOfImprovement``)
  with ``X_pending``, so a batch spreads out instead of proposing one recipe ``n`` times.
- ``tell(X, y)`` records results, of proposals or of recipes made outside the engine.
- :meth:`GPHedge.state` is plain JSON data and :meth:`GPHedge.from_state` resumes from it
  exactly: every decision draws its randomness from ``(seed, decision number)``, not from
  a generator's hidden state.

Inputs live in the unit cube for the GP (``Normalize`` by the bounds); the initial design
is scrambled Sobol' (the first ``n_initial`` points asked, fewer if results are told first).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from electroforge.errors import InputError
from electroforge.seeds import check_seed

__all__ = ["GPHedge", "HedgeSettings", "HedgeStep", "PORTFOLIO"]

PORTFOLIO = ("LCB", "EI", "PI")
_STATE_FORMAT = "electroforge-gp-hedge"
_MAX_REJECTIONS = 10_000


@dataclass(frozen=True)
class HedgeSettings:
    """GP-Hedge's options, validated once: what :class:`GPHedge`,
    :func:`~electroforge.campaigns.gp_hedge.gp_hedge_minimize`, a campaign's
    ``[optimizer]`` table and a saved optimizer state share (see :class:`GPHedge` for what
    each means).

    Example:
        >>> HedgeSettings(eta=2).decay
        0.5
        >>> HedgeSettings.from_dict({"eta": -1})
        Traceback (most recent call last):
        ...
        electroforge.errors.InputError: field 'eta': value -1: must be a finite number >= 0; allowed: eta >= 0
    """

    n_initial: int | None = None
    eta: float = 1.0
    decay: float = 0.5
    acquisitions: tuple[str, ...] = PORTFOLIO
    beta: float = 2.0
    xi: float = 0.01
    num_restarts: int = 4
    raw_samples: int = 128

    def __post_init__(self) -> None:
        n = self.n_initial
        if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral)
                              or n < 1):
            raise InputError("n_initial must be a positive integer", field="n_initial",
                             value=n, allowed="an integer >= 1")
        if n is not None:
            object.__setattr__(self, "n_initial", int(n))
        if isinstance(self.acquisitions, str):
            raise InputError("acquisitions are a list", field="acquisitions",
                             value=repr(self.acquisitions), allowed=repr(list(PORTFOLIO)))
        object.__setattr__(self, "acquisitions", tuple(self.acquisitions))
        unknown = [a for a in self.acquisitions if a not in PORTFOLIO]
        if unknown or not self.acquisitions:
            raise InputError("unknown acquisition", field="acquisitions",
                             value=repr(unknown or []), allowed=", ".join(PORTFOLIO))
        for name, low, high, allowed in (("eta", 0.0, math.inf, "eta >= 0"),
                                         ("beta", 0.0, math.inf, "beta >= 0"),
                                         ("xi", 0.0, math.inf, "xi >= 0")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and low <= value <= high):
                raise InputError(f"must be a finite number >= {low:g}", field=name,
                                 value=value, allowed=allowed)
            object.__setattr__(self, name, float(value))
        decay = self.decay
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 < decay <= 1:
            raise InputError("decay must be in (0, 1]", field="decay", value=decay,
                             allowed="0 < decay <= 1")
        object.__setattr__(self, "decay", float(decay))
        for name in ("num_restarts", "raw_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise InputError("must be a positive integer", field=name, value=value,
                                 allowed="an integer >= 1")
            object.__setattr__(self, name, int(value))

    @classmethod
    def from_dict(cls, data: Any, *, keys: Sequence[str] | None = None,
                  prefix: str = "") -> HedgeSettings:
        """From a table (a campaign's ``[optimizer]``, a saved state): unknown keys (or
        keys outside ``keys``) are refused, fields named ``prefix.key``."""
        from dataclasses import fields

        allowed = list(keys) if keys is not None else [f.name for f in fields(cls)]
        if not isinstance(data, dict):
            raise InputError("must be a table", field=prefix or "settings", value=repr(data),
                             allowed=", ".join(allowed))
        unknown = [k for k in data if k not in allowed]
        if unknown:
            raise InputError("unknown key", field=f"{prefix}.{unknown[0]}" if prefix
                             else unknown[0], allowed=", ".join(allowed))
        try:
            return cls(**data)
        except InputError as error:
            if not prefix:
                raise
            raise InputError(error.problem, field=f"{prefix}.{error.field}",
                             value=error.value, allowed=error.allowed) from None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "acquisitions": list(self.acquisitions)}


@dataclass(frozen=True)
class HedgeStep:
    """One GP-Hedge decision: every acquisition's candidate, the chosen one, the odds it
    was chosen with, the rewards it earned once evaluated and the gains after them."""

    candidates: dict[str, list[float]]
    chosen: str
    probabilities: dict[str, float]
    gains: dict[str, float]
    rewards: dict[str, float]
    n_observations: int


class GPHedge:
    """Ask/tell GP-Hedge minimizer over a box (see the module doc).

    Args:
        bounds: ``[(low, high), ...]``.
        seed: Seeds the initial design, the acquisition optimizers and the hedge draws.
        settings: The options below as one :class:`HedgeSettings` (keywords override it).
        n_initial: Sobol' points before the GP takes over (default ``max(5, 2 d)``).
        eta: Softmax temperature of the hedge (0: uniform choice).
        decay: Gains are multiplied by this before each reward (1: no forgetting). The
            default 0.5 bounds every gain by about twice a step's reward, so the odds never
            exceed ``exp(2 eta)`` to one: with 0.9 the hedge locked onto PI, whose candidate
            always sits next to the incumbent and so always earns the best posterior mean,
            and crawled (benchmarks/optimizer_regret.py: Branin worst regret 0.18 -> 0.03,
            Hartmann-6 median 0.014 -> 0.003).
        acquisitions: Any of "LCB", "EI", "PI".
        beta: Exploration weight of the confidence bound (``mu - sqrt(beta) sigma``).
        xi: Improvement EI and PI ask for, in standard deviations of the observed values.
        linear_constraints: ``(indices, coefficients, rhs)`` meaning
            ``sum coefficients * x[indices] >= rhs`` (BoTorch's ``inequality_constraints``,
            in the bounds' units): every point asked satisfies them.
        num_restarts, raw_samples: Passed to BoTorch's ``optimize_acqf`` (whose raw samples
            include points around the best observations: on Branin this halved the median
            regret, the last digits of an optimum being found next to the incumbent).

    Example:
        >>> opt = GPHedge([(0.0, 1.0)], n_initial=4, seed=1)
        >>> for _ in range(8):
        ...     [x] = opt.ask()
        ...     opt.tell([x], [(x[0] - 0.3) ** 2])
        >>> abs(opt.best()[0][0] - 0.3) < 0.05
        True
    """

    def __init__(self, bounds: Sequence[tuple[float, float]], *, seed: int = 0,
                 settings: HedgeSettings | None = None,
                 linear_constraints: Sequence[tuple[Sequence[int], Sequence[float], float]] = (),
                 **options: Any) -> None:
        from dataclasses import replace

        self.seed = check_seed(seed)
        self.box = check_bounds(bounds)
        settings = settings or HedgeSettings()
        if options:
            HedgeSettings.from_dict(options)     # names an unknown key or a bad value
            settings = replace(settings, **options)
        self.settings = settings
        d = self.box.shape[1]
        self.n_initial = max(5, 2 * d) if settings.n_initial is None else settings.n_initial
        self.acquisitions = settings.acquisitions
        self.eta, self.decay, self.beta = settings.eta, settings.decay, settings.beta
        self.xi = settings.xi
        self.num_restarts, self.raw_samples = settings.num_restarts, settings.raw_samples
        self.linear_constraints = [(list(map(int, i)), list(map(float, c)), float(r))
                                   for i, c, r in linear_constraints]
        for indices, coefficients, _ in self.linear_constraints:
            if len(indices) != len(coefficients) or not indices or \
                    not all(0 <= i < self.box.shape[1] for i in indices):
                raise InputError("a linear constraint needs one coefficient per index, each "
                                 "index a dimension", field="linear_constraints",
                                 value=repr((indices, coefficients)),
                                 allowed=f"indices in 0..{self.box.shape[1] - 1}")
        self.X: list[list[float]] = []
        self.y: list[float] = []
        self.gains = np.zeros(len(self.acquisitions))
        self.steps: list[HedgeStep] = []
        self._pending: list[dict[str, Any]] = []   # asked, not told: {"x", "decision"?}
        self._n_sobol = 0                            # Sobol' points handed out so far
        self._n_decisions = 0
        # GP hyperparameters of the last fit and how many observations it saw: the next fit
        # starts from them, and a decision right after a reward reuses them unchanged.
        self._hyper: dict[str, Any] | None = None

    # -- public ---------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.box.shape[1]

    @property
    def pending(self) -> list[list[float]]:
        """Points asked and not told yet."""
        return [list(p["x"]) for p in self._pending]

    def ask(self, n: int = 1, *, greedy: bool = False) -> list[list[float]]:
        """Propose ``n`` points (recorded as pending until told).

        ``greedy=True`` makes the last of the ``n`` the minimizer of the GP's posterior
        mean instead of a hedge decision (no acquisition is rewarded for it): the right
        last evaluation of a budget, which no later one can profit from exploring for
        (on Branin it cut the median regret by a third, benchmarks/optimizer_regret.py).
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InputError("ask needs a positive count", field="n", value=n,
                             allowed="an integer >= 1")
        from electroforge.threads import single_threaded

        points = []
        with single_threaded():
            for i in range(n):
                if len(self.y) + len(self._pending) < self.n_initial or len(self.y) < 2:
                    entry = {"x": self._sobol_point()}
                elif greedy and i == n - 1:
                    entry = {"x": self._greedy()}
                else:
                    entry = self._decide()
                self._pending.append(entry)
                points.append(list(entry["x"]))
        return points

    def tell(self, X: Sequence[Sequence[float]], y: Sequence[float]) -> None:
        """Record results; pending proposals among ``X`` are rewarded (the GP is refitted)."""
        X = [list(map(float, x)) for x in X]
        y = [float(v) for v in y]
        if len(X) != len(y):
            raise InputError("X and y differ in length", field="y", value=len(y),
                             allowed=f"{len(X)} values, one per point")
        for x, value in zip(X, y):
            if len(x) != self.dim or not all(math.isfinite(v) for v in x):
                raise InputError("a point of the wrong size or not finite", field="X",
                                 value=repr(x), allowed=f"{self.dim} finite coordinates")
            if not math.isfinite(value):
                raise InputError("a non-finite result", field="y", value=value,
                                 allowed=f"a finite number (at x = {x})")
        told_decisions = []
        for x, value in zip(X, y):
            self.X.append(x)
            self.y.append(value)
            match = next((i for i, p in enumerate(self._pending)
                          if np.allclose(p["x"], x, rtol=0, atol=1e-12)), None)
            if match is not None:
                entry = self._pending.pop(match)
                if "decision" in entry:
                    told_decisions.append(entry["decision"])
        if told_decisions:
            from electroforge.threads import single_threaded

            with single_threaded():
                self._reward(told_decisions)

    def best(self) -> tuple[list[float], float]:
        """The best point told so far and its value."""
        if not self.y:
            raise InputError("nothing told yet", field="y", allowed="tell results first")
        i = int(np.argmin(self.y))
        return list(self.X[i]), self.y[i]

    @property
    def probabilities(self) -> dict[str, float]:
        """The odds the next decision will be drawn with."""
        return dict(zip(self.acquisitions, map(float, _softmax(self.eta * self.gains))))

    # -- persistence ----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything needed to resume, as JSON-ready data (floats exact via ``repr``)."""
        return {"format": _STATE_FORMAT, "version": 1,
                "settings": {"bounds": self.box.T.tolist(), "seed": self.seed,
                             **self.settings.to_dict(), "n_initial": self.n_initial,
                             "linear_constraints": self.linear_constraints},
                "X": self.X, "y": self.y, "gains": self.gains.tolist(),
                "steps": [asdict(s) for s in self.steps], "pending": self._pending,
                "n_sobol": self._n_sobol, "n_decisions": self._n_decisions,
                "hyperparameters": self._hyper}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> GPHedge:
        if not isinstance(state, dict) or state.get("format") != _STATE_FORMAT:
            raise InputError("not a GP-Hedge state", field="format",
                             value=repr(state.get("format") if isinstance(state, dict) else state),
                             allowed=repr(_STATE_FORMAT))
        settings = dict(state["settings"])
        opt = cls(settings.pop("bounds"), seed=settings.pop("seed"),
                  linear_constraints=settings.pop("linear_constraints", ()),
                  settings=HedgeSettings.from_dict(settings, prefix="settings"))
        opt.X = [list(map(float, x)) for x in state["X"]]
        opt.y = [float(v) for v in state["y"]]
        opt.gains = np.array(state["gains"], dtype=float)
        opt.steps = [HedgeStep(**s) for s in state["steps"]]
        opt._pending = [dict(p) for p in state["pending"]]
        opt._n_sobol = int(state["n_sobol"])
        opt._n_decisions = int(state["n_decisions"])
        opt._hyper = state.get("hyperparameters")
        return opt

    # -- internals ------------------------------------------------------------------------
    def _sobol_point(self) -> list[float]:
        """The next point of the scrambled Sobol' sequence that meets the constraints."""
        from scipy.stats import qmc

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # not a power of two: fine for a start
            engine = qmc.Sobol(self.dim, scramble=True, rng=np.random.default_rng(self.seed))
            if self._n_sobol:
                engine.fast_forward(self._n_sobol)
            for _ in range(_MAX_REJECTIONS):
                point = self.box[0] + engine.random(1)[0] * (self.box[1] - self.box[0])
                self._n_sobol += 1
                if self.feasible(point):
                    return point.tolist()
        raise InputError("the linear constraints leave (almost) no room in the box",
                         field="linear_constraints", value=repr(self.linear_constraints),
                         allowed=f"constraints met by at least 1 in {_MAX_REJECTIONS} "
                         "points of the box")

    def feasible(self, x) -> bool:
        """Whether ``x`` meets every linear constraint (to 1e-6 of the terms' size: the
        acquisition optimizer lands on a boundary to about 1e-9)."""
        return all(sum(c * x[i] for i, c in zip(indices, coefficients))
                   >= rhs - 1e-6 * max(1.0, abs(rhs), *(abs(c * x[i]) for i, c in
                                                        zip(indices, coefficients)))
                   for indices, coefficients, rhs in self.linear_constraints)

    def _decide(self) -> dict[str, Any]:
        index = self._n_decisions
        self._n_decisions += 1
        X, y = self._tensors()
        pending = (torch.tensor([p["x"] for p in self._pending], dtype=torch.float64)
                   if self._pending else None)
        with torch.random.fork_rng():
            torch.manual_seed(_stream(self.seed, index, 0))
            model = self._model()
            candidates = {name: self._propose(name, model, y, pending).tolist()
                          for name in self.acquisitions}
        probabilities = _softmax(self.eta * self.gains)
        rng = np.random.default_rng([self.seed, index])
        chosen = self.acquisitions[int(rng.choice(len(self.acquisitions), p=probabilities))]
        decision = {"index": index, "candidates": candidates, "chosen": chosen,
                    "probabilities": dict(zip(self.acquisitions, map(float, probabilities)))}
        return {"x": candidates[chosen], "decision": decision}

    def _greedy(self) -> list[float]:
        """The minimizer of the posterior mean (pending points ignored)."""
        index = self._n_decisions
        self._n_decisions += 1
        with torch.random.fork_rng():
            torch.manual_seed(_stream(self.seed, index, 0))
            model = self._model()
            return self._propose("mean", model, None, None).tolist()

    def _model(self):
        """The GP on all observations: fitted from the last hyperparameters, or rebuilt with
        them unchanged if they were fitted on exactly these observations."""
        X, y = self._tensors()
        reuse = self._hyper is not None and self._hyper["n"] == len(self.y)
        start = self._hyper["parameters"] if self._hyper is not None else None
        model = fit_gp(X, y, self._bounds(), start=start, fit=not reuse)
        if not reuse:
            self._hyper = {"n": len(self.y), "parameters": {
                name: value.detach().tolist() for name, value in model.named_parameters()}}
        return model

    def _reward(self, decisions: list[dict[str, Any]]) -> None:
        with torch.random.fork_rng():
            torch.manual_seed(_stream(self.seed, decisions[0]["index"], 1))
            model = self._model()
        for decision in sorted(decisions, key=lambda d: d["index"]):
            points = torch.tensor([decision["candidates"][a] for a in self.acquisitions],
                                  dtype=torch.float64)
            with torch.no_grad():
                # The GP models -y (BoTorch maximizes) on standardized outcomes: higher is
                # better. Centred, divided by the spread: a reward is in [-1, 1].
                means = model.posterior(points).mean.squeeze(-1).numpy()
            spread = means.max() - means.min()
            rewards = (means - means.mean()) / spread if spread > 1e-12 else np.zeros_like(means)
            self.gains = self.decay * self.gains + rewards
            self.steps.append(HedgeStep(
                candidates=decision["candidates"], chosen=decision["chosen"],
                probabilities=decision["probabilities"],
                gains=dict(zip(self.acquisitions, map(float, self.gains))),
                rewards=dict(zip(self.acquisitions, map(float, rewards))),
                n_observations=len(self.y)))

    def _propose(self, name: str, model, y: torch.Tensor, pending) -> torch.Tensor:
        from botorch.acquisition import (
            LogExpectedImprovement, ProbabilityOfImprovement, UpperConfidenceBound,
            qLogExpectedImprovement, qProbabilityOfImprovement, qUpperConfidenceBound)
        from botorch.optim import optimize_acqf

        # EI and PI ask for an improvement of xi standard deviations of the observations
        # (Hoffman et al. 2011 and scikit-optimize use 0.01): with xi = 0, PI's candidate
        # sits next to the incumbent and crawls.
        if name == "mean":
            from botorch.acquisition import PosteriorMean

            acquisition = PosteriorMean(model)
        else:
            best = float((-y).max() + self.xi * y.std()) if len(y) > 1 else float((-y).max())
            if pending is None:
                acquisition = {"LCB": lambda: UpperConfidenceBound(model, beta=self.beta),
                               "EI": lambda: LogExpectedImprovement(model, best_f=best),
                               "PI": lambda: ProbabilityOfImprovement(model, best_f=best)}[name]()
            else:
                acquisition = {
                    "LCB": lambda: qUpperConfidenceBound(model, beta=self.beta,
                                                         X_pending=pending),
                    "EI": lambda: qLogExpectedImprovement(model, best_f=best, X_pending=pending),
                    "PI": lambda: qProbabilityOfImprovement(model, best_f=best,
                                                            X_pending=pending)}[name]()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            constraints = [(torch.tensor(i), torch.tensor(c, dtype=torch.float64), r)
                           for i, c, r in self.linear_constraints] or None
            candidate, _ = optimize_acqf(acquisition, bounds=self._bounds(), q=1,
                                         num_restarts=self.num_restarts,
                                         raw_samples=self.raw_samples,
                                         inequality_constraints=constraints,
                                         options={"sample_around_best": constraints is None})
        return candidate.squeeze(0).detach()

    def _tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.tensor(self.X, dtype=torch.float64),
                torch.tensor(self.y, dtype=torch.float64))

    def _bounds(self) -> torch.Tensor:
        return torch.tensor(self.box, dtype=torch.float64)


def check_bounds(bounds) -> np.ndarray:
    """``[(low, high), ...]`` as a ``2 x d`` array, or a clear error."""
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


def fit_gp(X: torch.Tensor, y: torch.Tensor, bounds: torch.Tensor, *,
           start: dict[str, list] | None = None, fit: bool = True):
    """SingleTaskGP of ``-y`` (BoTorch maximizes) on unit-cube inputs, standardized outcomes.

    ``start``: hyperparameters (``named_parameters`` as lists) to start from, or to keep
    as they are with ``fit=False``.
    """
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms import Normalize, Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    model = SingleTaskGP(X, -y.unsqueeze(-1),
                         input_transform=Normalize(d=X.shape[-1], bounds=bounds),
                         outcome_transform=Standardize(m=1))
    if start is not None:
        model.load_state_dict({name: torch.tensor(value, dtype=torch.float64)
                               for name, value in start.items()}, strict=False)
    if fit:
        # From a warm start the marginal likelihood is flat near its optimum: stopping at a
        # relative change of 1e-7 instead of scipy's 2e-9 halves the L-BFGS steps and moves
        # the optimum's value by ~1e-5 (measured at 300 observations).
        options = {"optimizer_kwargs": {"options": {"ftol": 1e-7}}} if start else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model), **options)
    model.eval()
    return model


def _stream(seed: int, index: int, purpose: int) -> int:
    """A torch seed for one (decision, purpose): independent of how the run was resumed."""
    return int(np.random.default_rng([seed, index, purpose]).integers(2**31 - 1))


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()
