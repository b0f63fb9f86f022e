"""Validation like the reference's Table 1: test-set RMSE% and R2 of one 80/20 split, and the
95 % confidence interval of R2 over 75 random 80/20 re-splits.

The re-splits also calibrate a prediction interval per output, in the output's units: the
2.5 % and 97.5 % quantiles of the held-out residuals pooled over every re-split (each
recipe held out about 15 times, by a model that did not see it: split-conformal
calibration repeated over re-splits). Where the output is positive and spans more than a
decade (conductivity), the residuals are taken in log y and the interval is a factor;
elsewhere they are differences. :func:`interval` applies it to a prediction; the coverage
on fresh data is near 95 % when the data are exchangeable (tests/surrogates).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from electroforge.seeds import check_seed, spawn
from electroforge.surrogates.derived import augment
from electroforge.surrogates.metrics import r2_score, rmse_pct
from electroforge.surrogates.sisso import LinearModel, refit_sisso
from electroforge.surrogates.symbolic import SymbolicSurrogate, _settings

__all__ = ["SurrogateValidation", "interval", "validate_surrogate", "validate_symbolic"]

#: Nominal coverage of the prediction intervals.
INTERVAL_LEVEL = 0.95
#: A positive output spanning more than this ratio gets a multiplicative interval.
_DECADE = 10.0


@dataclass(frozen=True)
class SurrogateValidation:
    """Accuracy of one output's equation."""

    output: str
    rmse_pct: float
    r2: float
    r2_ci95: tuple[float, float]
    n_train: int
    n_test: int
    y_test: np.ndarray
    y_pred: np.ndarray
    #: (low, high) residual quantiles of the held-out re-splits: added to the prediction
    #: ("additive") or exponentiated and multiplied ("multiplicative"); None without re-splits
    interval_95: tuple[float, float] | None = None
    interval_kind: str = "additive"

def validate_symbolic(X: pd.DataFrame, Y: pd.DataFrame, *, backend: str = "auto", seed: int = 0,
                      n_splits: int = 75, test_fraction: float = 0.2, space=None,
                      **options) -> tuple[SymbolicSurrogate, list[SurrogateValidation]]:
    """Fit on an 80 % split, score on the rest, then re-split ``n_splits`` times.

    For SISSO the re-splits refit each equation with its number of terms and target
    transform fixed (the full SISSO search without the cross-validation), as a
    confidence interval of a chosen model class requires; other backends rerun their
    whole search per re-split (slower: lower ``n_splits`` for them). Returns the
    surrogate fitted on the first training split and one :class:`SurrogateValidation`
    per output. With ``space``, the fit is the domain-checked one of
    :meth:`SymbolicSurrogate.fit` (what ``electroforge fit`` saves).
    """
    train, test, resplits = _splits(len(X), seed, n_splits, test_fraction)
    surrogate = SymbolicSurrogate(backend=backend, seed=seed, **options).fit(
        X.iloc[train], Y.iloc[train], space=space)
    settings = _settings(options if surrogate.backend_ == "sisso" else {})
    # the re-fits search the same feature space as the fit: derived inputs included
    values = augment(X[surrogate.feature_names_].to_numpy(dtype=float), surrogate.derived_)
    points = surrogate._domain_points(space) if space is not None else None
    scores = {name: [] for name in surrogate.output_names_}
    held_out = {name: ([], []) for name in surrogate.output_names_}
    for name in surrogate.output_names_:
        truth = Y[name].to_numpy(dtype=float)
        model = surrogate.models_[name]
        # ... and over the space's points, if the fit had to restrict itself to them
        domain = points if surrogate.info_[name].get("descriptors_over_space") else None
        for kept, held in resplits:
            if isinstance(model, LinearModel):
                refit = refit_sisso(values[kept], truth[kept], terms=len(model.descriptors),
                                    log_target=model.log_target, in_y=model.in_y,
                                    settings=settings, domain=domain,
                                    columns=surrogate.primary_columns)
                predicted_held = refit.predict(values[held])
            else:  # genetic programming: the whole search again on the re-split
                again = SymbolicSurrogate(backend=backend, seed=seed, **options).fit(
                    X.iloc[kept], Y[[name]].iloc[kept])
                predicted_held = again.predict(X.iloc[held])[name].to_numpy()
            with np.errstate(all="ignore"):
                scores[name].append(r2_score(truth[held], predicted_held))
            held_out[name][0].append(truth[held])
            held_out[name][1].append(np.asarray(predicted_held, dtype=float))
    return surrogate, _results(surrogate, X, Y, train, test, scores, held_out)


def validate_surrogate(make, X: pd.DataFrame, Y: pd.DataFrame, *, seed: int = 0,
                       n_splits: int = 75, test_fraction: float = 0.2,
                       space=None) -> tuple[object, list[SurrogateValidation]]:
    """The same Table-1 validation for any surrogate built by ``make()`` (GP, MLP, ...):
    every re-split refits the whole model."""
    train, test, resplits = _splits(len(X), seed, n_splits, test_fraction)
    surrogate = make().fit(X.iloc[train], Y.iloc[train], space=space)
    scores = {name: [] for name in Y.columns}
    held_out = {name: ([], []) for name in Y.columns}
    for kept, held in resplits:
        again = make().fit(X.iloc[kept], Y.iloc[kept]).predict(X.iloc[held])
        for name in Y.columns:
            truth = Y[name].to_numpy(dtype=float)[held]
            scores[name].append(r2_score(truth, again[name].to_numpy()))
            held_out[name][0].append(truth)
            held_out[name][1].append(again[name].to_numpy(dtype=float))
    return surrogate, _results(surrogate, X, Y, train, test, scores, held_out)


def _splits(n: int, seed: int, n_splits: int, test_fraction: float):
    """The first (train, test) split and ``n_splits`` further (kept, held) re-splits."""
    n_test = max(1, round(test_fraction * n))
    first, *others = spawn(check_seed(seed), 1 + n_splits)
    order = first.permutation(n)
    resplits = []
    for rng in others:
        split = rng.permutation(n)
        resplits.append((split[n_test:], split[:n_test]))
    return order[n_test:], order[:n_test], resplits


def _results(surrogate, X, Y, train, test, scores, held_out) -> list[SurrogateValidation]:
    predicted = surrogate.predict(X.iloc[test])
    results = []
    for name, r2s in scores.items():
        low, high = np.percentile(r2s, [2.5, 97.5]) if r2s else (np.nan, np.nan)
        y_test, y_pred = Y[name].to_numpy(dtype=float)[test], predicted[name].to_numpy()
        truth, guess = held_out[name]
        bounds, kind = (_calibrate(np.concatenate(truth), np.concatenate(guess),
                                   Y[name].to_numpy(dtype=float)) if truth else (None, "additive"))
        results.append(SurrogateValidation(name, rmse_pct(y_test, y_pred), r2_score(y_test, y_pred),
                                           (float(low), float(high)), len(train), len(test),
                                           y_test, y_pred, bounds, kind))
    return results


def _calibrate(truth: np.ndarray, predicted: np.ndarray, y: np.ndarray
               ) -> tuple[tuple[float, float] | None, str]:
    """Residual quantiles of the held-out predictions (see the module doc)."""
    multiplicative = bool((y > 0).all() and y.max() > _DECADE * y.min())
    with np.errstate(all="ignore"):
        residual = (np.log(truth) - np.log(predicted)) if multiplicative else truth - predicted
    residual = residual[np.isfinite(residual)]
    if len(residual) < 20:
        return None, "additive"
    tail = (1 - INTERVAL_LEVEL) / 2
    low, high = np.quantile(residual, [tail, 1 - tail], method="higher")
    return (float(low), float(high)), "multiplicative" if multiplicative else "additive"


def interval(predicted, bounds, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The prediction interval around ``predicted`` from a validation's ``interval_95`` and
    ``interval_kind``, in the output's units.

    Example:
        >>> [float(v) for v in interval(2.0, (-0.5, 0.25), "additive")]
        [1.5, 2.25]
        >>> [round(float(v), 3) for v in interval(2.0, (-0.1, 0.1), "multiplicative")]
        [1.81, 2.21]
    """
    predicted = np.asarray(predicted, dtype=float)
    low, high = bounds
    if kind == "multiplicative":
        return predicted * np.exp(low), predicted * np.exp(high)
    return predicted + low, predicted + high


def validation_path(model_path) -> Path:
    """The sidecar of a model file that keeps its validation table (``M.validation.json``)."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".validation.json")


def save_validation(results: list[SurrogateValidation], model_path, *,
                    reference: dict | None = None, dataset: str | None = None) -> Path:
    """Write the Table-1 rows beside the model, with the dataset it was fitted on
    (reports read them back)."""
    import json

    from electroforge.atomic import atomic_write_text

    rows = [{"output": r.output, "rmse_pct": r.rmse_pct, "r2": r.r2,
             "r2_ci95": list(r.r2_ci95), "n_train": r.n_train, "n_test": r.n_test,
             "reference": list((reference or {}).get(r.output, ())) or None,
             "interval_95": list(r.interval_95) if r.interval_95 is not None else None,
             "interval_kind": r.interval_kind, "dataset": dataset} for r in results]
    path = validation_path(model_path)
    atomic_write_text(path, json.dumps(rows, indent=1) + "\n")
    return path


def load_validation(model_path) -> list[dict] | None:
    """The rows written by :func:`save_validation`, or None if there are none."""
    import json

    path = validation_path(model_path)
    if not path.is_file():
        return None
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return None
    # a sidecar edited by hand is only a report's table: keep it if it has the table's form
    if not (isinstance(rows, list) and all(isinstance(r, dict) for r in rows)):
        return None
    for row in rows:        # an interval not of its form is dropped, never half-used
        bounds = row.get("interval_95")
        if not (isinstance(bounds, list) and len(bounds) == 2
                and all(isinstance(b, (int, float)) and not isinstance(b, bool)
                        and np.isfinite(b) for b in bounds) and bounds[0] <= bounds[1]
                and row.get("interval_kind") in ("additive", "multiplicative")):
            row["interval_95"] = None
    return rows
