"""Our SISSO: sure-independence screening and sparsifying operator, in numpy.

Why our own: the reference's SISSO is a Fortran program (not on PyPI), PySR needs Julia
(not installable here) and the Python SISSO ports on PyPI wrap that Fortran binary. The
method is small (Ouyang et al., Phys. Rev. Materials 2, 083802, 2018; the reference's
Eq. 1, ``y = sum_i c_i d_i``):

1. Feature space: each input through {x, x^2, x^3, sqrt x, log x, exp x, 1/x} (where the
   training data allow the operator), then products and ratios of two of those built on
   different inputs. Features that are not finite, constant, or duplicates (|corr| >
   0.99999 with a simpler one) are dropped.
2. For n = 1, 2, ..., max_terms: screen the ``sis_size`` features most correlated with the
   residual of the best (n-1)-term model (SIS), add them to the subspace (which always
   holds the single-input features too), and find the best n-term least-squares model
   over every n-subset of it (the l0 "SO" step, solved in one batch from the Gram matrix).
   Above ``exhaustive_terms`` (3) the subsets are too many (4 of ~130: 11 million, 300 s
   per property here), so the l0 step searches a beam instead: the ``beam_width`` best
   (n-1)-subsets of the previous step, each extended by every feature of the subspace.
3. The number of terms and the target transform are chosen by K-fold cross-validation of
   the whole procedure, scored in y's units, with the one-standard-error rule: the
   simplest model whose CV error is within one standard error (over the folds) of the
   best's (or within 2 % of it) wins. Transforms, when y > 0: y itself; log y (``y = exp(sum c_i d_i)``,
   positive everywhere); and log y *fitted in y's units*: least squares on log y weighted
   by y (the Gauss-Newton step of ``min sum (exp(f) - y)^2`` from ``f = log y``) for the
   screening and the l0 search, then the coefficients refined by nonlinear least squares
   on y. Plain log y fits relative errors, so a property spanning decades (conductivity
   across the percolation threshold: 0.1 to 180 S/m) is fitted best where it is smallest
   and worst where it matters; the weighted fit keeps the positivity of the log form
   with the accuracy in y of a linear one.

Everything is deterministic for a given seed (which only shuffles the CV folds).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from electroforge.surrogates.expressions import UNARY, Descriptor, binary, feature, from_dict, unary

__all__ = ["LinearModel", "SissoSettings", "feature_space", "fit_sisso", "rank_sisso",
           "refit_sisso"]

_COMPLEXITY = {"id": 1, "sq": 2, "cube": 2, "sqrt": 2, "log": 2, "exp": 2, "inv": 2}
_DUPLICATE_CORR = 0.99999
_EXP_LIMIT = 50.0  # exp of inputs beyond this spans more than 20 decades: skipped


@dataclass(frozen=True)
class SissoSettings:
    """Options of :func:`fit_sisso` (all keyword options of the ``sisso`` backend)."""

    max_terms: int = 4
    sis_size: int = 30
    exhaustive_terms: int = 3     # l0 over every subset up to this size, a beam above it
    beam_width: int = 256
    operators: tuple[str, ...] = tuple(UNARY)
    n_folds: int = 5
    log_target: str = "auto"      # "auto": y, log y, log y fitted in y; "never"; "always"
    simplicity_margin: float = 0.02


@dataclass(frozen=True)
class LinearModel:
    """``y = intercept + sum(c_i d_i)`` (or ``exp`` of that when ``log_target``; ``in_y``:
    a log-target model whose coefficients were fitted to y, not log y)."""

    descriptors: tuple[Descriptor, ...]
    coefficients: tuple[float, ...]
    intercept: float
    log_target: bool
    in_y: bool = False

    def predict(self, X: Any) -> Any:
        value = self.intercept
        for c, d in zip(self.coefficients, self.descriptors):
            value = value + c * d.evaluate(X)
        if isinstance(value, float):
            value = value + 0.0 * X[:, 0]
        if self.log_target:
            return np.exp(value) if isinstance(X, np.ndarray) else value.exp()
        return value

    def linear_sympy(self, symbols: list) -> Any:
        """The linear part ``intercept + sum(c_i d_i)`` (log y for a log-target model)."""
        import sympy

        # an intercept at round-off level (an exact law through the origin) is no term
        tiny = abs(self.intercept) < 1e-12 * max([1.0, *map(abs, self.coefficients)])
        return sympy.Float(0.0 if tiny else self.intercept) + sum(
            sympy.Float(c) * d.to_sympy(symbols) for c, d in zip(self.coefficients, self.descriptors))

    def to_sympy(self, symbols: list) -> Any:
        import sympy

        expr = self.linear_sympy(symbols)
        # Unevaluated, so that exp(a + b log x) reads as fitted rather than as e^a x^b.
        return sympy.exp(expr, evaluate=False) if self.log_target else expr

    def text(self, symbols: list, digits: int = 6) -> str:
        """Readable equation with ``digits`` significant digits."""
        import sympy

        linear = str(sympy.N(self.linear_sympy(symbols), digits))
        return f"exp({linear})" if self.log_target else linear

    def constraints(self) -> list[tuple[str, Any, Any]]:
        """(domain, evaluator, sub-expression over x0.. symbols) for every log/sqrt argument and
        divisor in the descriptors."""
        import sympy

        plain = list(sympy.symbols(f"x0:{1 + max(max(d.leaves()) for d in self.descriptors)}"))
        return [(domain, argument.evaluate, argument.to_sympy(plain))
                for d in self.descriptors for domain, argument in d.constraints()]

    def to_dict(self) -> dict[str, Any]:
        return {"descriptors": [d.to_dict() for d in self.descriptors],
                "coefficients": [float(c).hex() for c in self.coefficients],
                "intercept": float(self.intercept).hex(), "log_target": self.log_target,
                "in_y": self.in_y}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearModel:
        """Inverse of :meth:`to_dict`; ``ValueError`` for a malformed or non-finite entry."""
        descriptors = tuple(from_dict(d) for d in data["descriptors"])
        coefficients = tuple(finite_hex(c, "coefficient") for c in data["coefficients"])
        if len(coefficients) != len(descriptors) or not descriptors:
            raise ValueError(f"{len(coefficients)} coefficients for {len(descriptors)} "
                             "descriptors (one each, at least one)")
        return cls(descriptors, coefficients, finite_hex(data["intercept"], "intercept"),
                   bool(data["log_target"]), bool(data.get("in_y", False)))


def finite_hex(text: Any, what: str = "number") -> float:
    """A float written by ``float.hex`` in a model file; ``ValueError`` unless finite."""
    try:
        value = float.fromhex(text) if isinstance(text, str) else float("nan")
    except (ValueError, OverflowError):
        value = float("nan")
    if not np.isfinite(value):
        raise ValueError(f"{what} {text!r} is not a finite number in hex form (float.hex)")
    return value


def feature_space(X: np.ndarray, operators: tuple[str, ...], domain: np.ndarray | None = None,
                  columns: list[int] | None = None) -> tuple[list[Descriptor], np.ndarray]:
    """Candidate descriptors and their values on ``X`` (``n x m``), simplest first.

    log and 1/x are applied where their argument stays positive (or one-signed), sqrt where
    it stays non-negative, over the data, and also over the points of ``domain`` (``k x m``,
    the same columns) when given: an equation must then be defined over a whole space, not
    just at the data. ``columns``: the columns the primary features are built on (default
    all; :func:`~electroforge.surrogates.derived.dimensionless_columns` leaves out the raw
    recipe inputs that have fractions).
    """
    where = X if domain is None else np.vstack([X, domain])
    first: list[tuple[int, Descriptor, np.ndarray]] = []
    signs: list[bool] = []
    for j in (range(X.shape[1]) if columns is None else columns):
        x = where[:, j]
        for op in operators:
            if (op == "log" and not x.min() > 0) or (op == "sqrt" and not x.min() >= 0):
                continue
            if op == "inv" and not (x.min() > 0 or x.max() < 0):
                continue
            if op == "exp" and np.abs(x).max() > _EXP_LIMIT:
                continue
            descriptor = unary(op, feature(j))
            first.append((_COMPLEXITY[op], descriptor, descriptor.evaluate(X)))
            with np.errstate(all="ignore"):
                signs.append(_one_signed(descriptor.evaluate(where)))
    candidates = list(first)
    for ((ca, a, va), sa), ((cb, b, vb), sb) in itertools.combinations(zip(first, signs), 2):
        if a.leaves() & b.leaves():
            continue
        candidates.append((ca + cb + 1, binary("mul", a, b), va * vb))
        if sb:  # no division by something that changes sign in the data (or the domain)
            candidates.append((ca + cb + 1, binary("div", a, b), va / vb))
        if sa:
            candidates.append((ca + cb + 1, binary("div", b, a), vb / va))
    candidates.sort(key=lambda item: item[0])
    values = np.column_stack([item[2] for item in candidates])
    with np.errstate(all="ignore"):
        keep = np.isfinite(values).all(axis=0) & (np.abs(values).max(axis=0) < 1e150)
        spread = values.std(axis=0)
        keep &= spread > 1e-12 * (np.abs(values).mean(axis=0) + 1e-300)
    descriptors = [item[1] for item, k in zip(candidates, keep) if k]
    values = values[:, keep]
    z = _standardize(values)
    kept: list[int] = []
    for i in range(z.shape[1]):
        if kept and np.max(np.abs(z[:, kept].T @ z[:, i])) / len(z) > _DUPLICATE_CORR:
            continue
        kept.append(i)
    return [descriptors[i] for i in kept], values[:, kept]


def _single_input(descriptors: list[Descriptor]) -> list[int]:
    return [i for i, d in enumerate(descriptors) if len(d.leaves()) == 1]


def _one_signed(values: np.ndarray) -> bool:
    return bool(values.min() > 0 or values.max() < 0)


_TRANSFORM_LABELS = {"y": "", "log": "log ", "log_in_y": "log (fitted in y) "}


def fit_sisso(X: np.ndarray, y: np.ndarray, *, settings: SissoSettings = SissoSettings(),
              seed: int = 0, domain: np.ndarray | None = None,
              columns: list[int] | None = None) -> tuple[LinearModel, dict[str, Any]]:
    """The SISSO model of ``y`` on ``X`` chosen by cross-validation, and what was tried
    (``domain``, ``columns``: see :func:`feature_space`)."""
    return next(rank_sisso(X, y, settings=settings, seed=seed, domain=domain,
                           columns=columns))


def rank_sisso(X: np.ndarray, y: np.ndarray, *, settings: SissoSettings = SissoSettings(),
               seed: int = 0, domain: np.ndarray | None = None,
               columns: list[int] | None = None
               ) -> Iterator[tuple[LinearModel, dict[str, Any]]]:
    """SISSO models of ``y`` in order of preference, each with what was tried.

    First the one cross-validation chooses (the simplest within the margin of the best
    CV error), then every other (transform, number of terms) by CV error: the next best
    to fall back on when a model must also pass a check the data cannot show, such as
    staying finite over a whole space. The cross-validation runs once; each model is
    fitted on all of ``X`` when it is asked for.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    descriptors, values = feature_space(X, settings.operators, domain, columns)
    base = _single_input(descriptors)
    folds = np.array_split(np.random.default_rng(seed).permutation(len(y)), settings.n_folds)
    scores: dict[tuple[str, int], float] = {}
    standard_errors: dict[tuple[str, int], float] = {}
    for transform in _transforms(y, settings.log_target):
        errors = np.zeros((settings.max_terms, len(folds)))
        for f, fold in enumerate(folds):
            train = np.setdiff1d(np.arange(len(y)), fold)
            models = _sisso_path(values[train], _target(y[train], transform), settings, base,
                                 weights=_weights(y[train], transform))
            for k, chosen in enumerate(models):
                model = _fit_terms(values[train][:, chosen], y[train], transform)
                errors[k, f] = np.sum((model(values[fold][:, chosen]) - y[fold]) ** 2)
        sizes = np.array([len(fold) for fold in folds])
        for k in range(settings.max_terms):
            scores[(transform, k + 1)] = math.sqrt(errors[k].sum() / len(y))
            fold_rmse = np.sqrt(errors[k] / sizes)
            standard_errors[(transform, k + 1)] = (
                float(fold_rmse.std(ddof=1) / math.sqrt(len(folds))) if len(folds) > 1 else 0.0)
    # The one-standard-error rule: the simplest model whose CV error is within one standard
    # error (over the folds) of the best's, or within the simplicity margin; errors at
    # round-off level (exact data) count as equal.
    best_key = min(scores, key=scores.get)
    best = scores[best_key]
    good_enough = max(best + standard_errors[best_key],
                      best * (1 + settings.simplicity_margin), 1e-9 * float(np.std(y)))
    chosen_key = min((key for key, score in scores.items() if score <= good_enough),
                     key=lambda key: (key[1], scores[key]))
    cv_rmse = {_label(key): value for key, value in scores.items()}
    cv_se = {_label(key): value for key, value in standard_errors.items()}
    others = sorted((key for key in scores if key != chosen_key), key=scores.get)  # stable
    paths: dict[str, list[list[int]]] = {}      # one path on all rows gives every size
    for transform, terms in [chosen_key] + others:
        if transform not in paths:
            paths[transform] = _sisso_path(values, _target(y, transform), settings, base,
                                           weights=_weights(y, transform))
        model = _linear_model(descriptors, values, paths[transform][terms - 1], y, transform)
        yield model, {"feature_space_size": len(descriptors), "cv_rmse": dict(cv_rmse),
                      "cv_se": dict(cv_se), "model": _label((transform, terms))}


def _label(key: tuple[str, int]) -> str:
    return f"{_TRANSFORM_LABELS[key[0]]}{key[1]} terms"


def _transforms(y: np.ndarray, mode: str) -> tuple[str, ...]:
    positive = bool(np.all(y > 0))
    if mode == "never" or not positive:
        return ("y",)
    return ("log", "log_in_y") if mode == "always" else ("y", "log", "log_in_y")


def _target(y: np.ndarray, transform: str) -> np.ndarray:
    return y if transform == "y" else np.log(y)


def _weights(y: np.ndarray, transform: str) -> np.ndarray | None:
    """Row weights of the linearized fit: ``exp(f) - y ~ y (f - log y)`` near ``f = log y``."""
    return y / y.max() if transform == "log_in_y" else None


def _coefficients(values: np.ndarray, y: np.ndarray, transform: str) -> tuple[list[float], float]:
    """Coefficients and intercept of chosen descriptor values under a transform."""
    coefficients, intercept = _ols(values, _target(y, transform), _weights(y, transform))
    if transform == "log_in_y":
        coefficients, intercept = _refine_in_y(values, y, coefficients, intercept)
    return coefficients, intercept


def _fit_terms(values: np.ndarray, y: np.ndarray, transform: str) -> Any:
    """The predictor of y fitted on chosen descriptor values."""
    coefficients, intercept = _coefficients(values, y, transform)
    c = np.asarray(coefficients)
    if transform == "y":
        return lambda v: intercept + v @ c
    return lambda v: np.exp(np.clip(intercept + v @ c, -700, 700))


def _refine_in_y(values: np.ndarray, y: np.ndarray, coefficients: list[float],
                 intercept: float) -> tuple[list[float], float]:
    """Least squares of ``exp(intercept + values @ c) - y`` from the linearized start."""
    from scipy.optimize import least_squares

    design = np.column_stack([np.ones(len(y)), values])
    scale = np.abs(design).max(axis=0)
    scale[scale == 0] = 1.0
    scaled = design / scale
    start = np.r_[intercept, coefficients] * scale

    def residual(p):
        return np.exp(np.clip(scaled @ p, -700, 700)) - y

    def jacobian(p):
        return np.exp(np.clip(scaled @ p, -700, 700))[:, None] * scaled

    with np.errstate(all="ignore"):
        found = least_squares(residual, start, jac=jacobian, method="lm", max_nfev=200)
    if not (np.isfinite(found.x).all() and found.cost <= 0.5 * np.sum(residual(start) ** 2)):
        found.x = start
    solution = found.x / scale
    return [float(v) for v in solution[1:]], float(solution[0])


def _sisso_path(values: np.ndarray, target: np.ndarray, settings: SissoSettings,
                base: list[int], weights: np.ndarray | None = None) -> list[list[int]]:
    """Best descriptor subsets with 1..max_terms terms (indices into ``values``).

    ``base`` (the single-input descriptors) is always in the subspace: screening by
    correlation with a residual can otherwise drop a plain input that a sum needs.
    With ``weights``, every least squares is weighted (rows scaled by the weights and the
    weighted intercept projected out, which for unit weights is plain centring).
    """
    z, residual = _weighted_centring(values, target, weights)
    centred = residual
    subspace: list[int] = list(base)
    best_sets: list[list[int]] = []
    beam = np.empty((0, 0), dtype=np.int64)
    for terms in range(1, settings.max_terms + 1):
        score = np.abs(z.T @ residual)
        score[subspace] = -1.0
        score[~np.isfinite(score)] = -1.0
        fresh = [int(i) for i in np.argsort(-score, kind="stable")[:settings.sis_size] if score[i] >= 0]
        subspace += fresh
        if terms <= settings.exhaustive_terms:
            combos = _all_subsets(len(subspace), terms)
        else:
            combos = _extended(beam, len(subspace))
        beam = _best_subsets(z[:, subspace], centred, combos, settings.beam_width)
        best = [subspace[i] for i in beam[0]]
        best_sets.append(best)
        solution, *_ = np.linalg.lstsq(z[:, best], centred, rcond=None)
        residual = centred - z[:, best] @ solution
    return best_sets


def _weighted_centring(values: np.ndarray, target: np.ndarray,
                       weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Columns and target with rows scaled by ``weights`` and the (weighted) intercept
    direction projected out; columns scaled to unit root-mean-square."""
    w = np.ones(len(target)) if weights is None else weights
    q = w / np.linalg.norm(w)
    z = values * w[:, None]
    z = z - np.outer(q, q @ z)
    t = target * w
    t = t - q * (q @ t)
    scale = np.sqrt(np.mean(z * z, axis=0))
    scale[scale == 0] = 1.0
    return z / scale, t


@functools.lru_cache(maxsize=16)
def _all_subsets(m: int, k: int) -> np.ndarray:
    """Every k-subset of range(m), one per row (cached, read-only: the re-splits of a
    validation ask for the same sizes hundreds of times)."""
    k = min(k, m)
    flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(m), k)),
                       dtype=np.int64, count=math.comb(m, k) * k)
    flat.flags.writeable = False
    return flat.reshape(-1, k)


def _extended(beam: np.ndarray, m: int) -> np.ndarray:
    """Every subset of the beam with one more of the ``m`` columns (sorted, no repeats)."""
    rows = np.repeat(beam, m, axis=0)
    added = np.tile(np.arange(m), len(beam))[:, None]
    grown = np.sort(np.hstack([rows, added]), axis=1)
    grown = grown[(np.diff(grown, axis=1) > 0).all(axis=1)]
    return np.unique(grown, axis=0)


def _best_subsets(z: np.ndarray, y: np.ndarray, combos: np.ndarray, keep: int) -> np.ndarray:
    """The l0 step: of the candidate column subsets ``combos``, the ``keep`` whose least
    squares fit ``y`` best, best first (ties: the earlier subset)."""
    k = combos.shape[1]
    gram = z.T @ z
    proj = z.T @ y
    gains = np.empty(len(combos))
    for start in range(0, len(combos), 200_000):
        idx = combos[start:start + 200_000]
        g = gram[idx[:, :, None], idx[:, None, :]]
        g = g + np.eye(k) * (1e-10 * len(y))
        b = proj[idx]
        coef = np.linalg.solve(g, b[..., None])[..., 0]
        gains[start:start + len(idx)] = np.sum(coef * b, axis=1)
    gains[~np.isfinite(gains)] = -np.inf
    order = np.argsort(-gains, kind="stable")[:keep]
    return combos[order]


def _standardize(values: np.ndarray) -> np.ndarray:
    centred = values - values.mean(axis=0)
    scale = centred.std(axis=0)
    scale[scale == 0] = 1.0
    return centred / scale


def _ols(values: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None
         ) -> tuple[list[float], float]:
    design = np.column_stack([np.ones(len(target)), values])
    scale = np.abs(design).max(axis=0)
    scale[scale == 0] = 1.0
    w = np.ones(len(target)) if weights is None else weights
    solution, *_ = np.linalg.lstsq(design / scale * w[:, None], target * w, rcond=None)
    solution = solution / scale
    intercept = float(solution[0])
    if abs(intercept) <= 1e-10 * float(np.std(target)):
        intercept = 0.0  # round-off of an exact fit through the origin, not a term
    return [float(c) for c in solution[1:]], intercept


def refit_sisso(X: np.ndarray, y: np.ndarray, *, terms: int, log_target: bool,
                in_y: bool = False, settings: SissoSettings = SissoSettings(),
                domain: np.ndarray | None = None, columns: list[int] | None = None
                ) -> LinearModel:
    """SISSO with the number of terms and target transform fixed (no cross-validation):
    the re-fit used to measure how a model's accuracy varies over re-splits (``domain``
    and ``columns`` as in :func:`feature_space`)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    descriptors, values = feature_space(X, settings.operators, domain, columns)
    transform = "log_in_y" if in_y else ("log" if log_target else "y")
    sized = SissoSettings(**{**settings.__dict__, "max_terms": terms})
    chosen = _sisso_path(values, _target(y, transform), sized, _single_input(descriptors),
                         weights=_weights(y, transform))[terms - 1]
    return _linear_model(descriptors, values, chosen, y, transform)


def _linear_model(descriptors: list[Descriptor], values: np.ndarray, chosen: list[int],
                  y: np.ndarray, transform: str) -> LinearModel:
    coefficients, intercept = _coefficients(values[:, chosen], y, transform)
    return LinearModel(tuple(descriptors[i] for i in chosen), tuple(coefficients), intercept,
                       transform != "y", transform == "log_in_y")
