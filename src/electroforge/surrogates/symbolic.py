"""``SymbolicSurrogate``: one closed-form equation per property, scikit-learn style.

``fit`` validates and learns (state ends in ``_``), ``predict`` evaluates, ``equations``
shows, ``to_torch`` gives a differentiable float64 module for BoTorch, ``save``/``load``
round-trip exactly through JSON, ``check_domain`` refuses an equation that is not finite,
not of the data's sign, or far outside the data's range, somewhere in the recipe box.

Backends: ``"sisso"`` (ours, :mod:`electroforge.surrogates.sisso`, always available),
``"operon"`` (pyoperon) and ``"pysr"`` (needs Julia), see
:mod:`electroforge.surrogates.backends`; ``"auto"`` takes the first available in that
order. A backend that is not installed raises
:class:`~electroforge.errors.BackendUnavailableError` saying how to get it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from electroforge.atomic import atomic_write_text
from electroforge.errors import BackendUnavailableError, InputError
from electroforge.seeds import check_seed
from electroforge.surrogates import backends
from electroforge.surrogates.derived import augment, definitions, derived_for, dimensionless_columns
from electroforge.surrogates.derived import symbols as derived_symbols
from electroforge.surrogates.expression_model import ExpressionModel
from electroforge.surrogates.sisso import LinearModel, SissoSettings, finite_hex, rank_sisso

__all__ = ["Equation", "SymbolicSurrogate", "SurrogateError"]

BACKENDS = ("auto", "sisso", "operon", "pysr")
_FORMAT = "electroforge-symbolic-surrogate"
#: 2: general expressions stored as formula trees (version 1: sympy srepr text, which
#: :meth:`SymbolicSurrogate.load` converts with a parser of its own, never sympify).
_FORMAT_VERSION = 2
_DOMAIN_POINTS = 4096
#: How far (in spans of the training outputs) an equation may reach beyond their range
#: somewhere in the space before the domain check refuses it.
_EXTRAPOLATION_SPANS = 1.0


class SurrogateError(InputError):
    """A surrogate that cannot be fitted as asked, or that fails its domain check."""


#: Significant digits of an equation's printed coefficients.
EQUATION_DIGITS = 4


@dataclass(frozen=True)
class Equation:
    """One fitted equation: the output it predicts, readable text (in the inputs and the
    dimensionless fractions defined in ``where``), the sympy expression of the inputs, and
    the output's unit."""

    output: str
    text: str
    expression: Any
    unit: str = ""
    where: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"{self.output} = {self.text}" + (f"   [{self.unit}]" if self.unit else "")
                + ("   where " + ", ".join(f"{k} = {v}" for k, v in self.where.items())
                   if self.where else ""))


class SymbolicSurrogate:
    """One symbolic equation per output column.

    Args:
        backend: "auto" (the first available of sisso, operon, pysr), "sisso", "operon"
            or "pysr".
        seed: Seed of the cross-validation folds or of the genetic programming.
        derived_features: Also offer the backend the complements of known recipe inputs
            (``100 - am_wt_pct``, ...; see :mod:`electroforge.surrogates.derived`).
        **options: Backend options: for sisso the fields of
            :class:`~electroforge.surrogates.sisso.SissoSettings` (``max_terms`` 1-4,
            ``sis_size``, ``exhaustive_terms`` and ``beam_width`` of the l0 search,
            ``operators``, ``n_folds``, ``log_target``, ``simplicity_margin``); for operon and pysr
            the keywords of :func:`~electroforge.surrogates.backends.fit_operon` and
            :func:`~electroforge.surrogates.backends.fit_pysr`.

    Example:
        >>> import numpy as np, pandas as pd
        >>> X = pd.DataFrame({"a": np.linspace(1, 2, 40), "b": np.linspace(3, 1, 40) ** 2})
        >>> model = SymbolicSurrogate(max_terms=1).fit(X, pd.DataFrame({"y": 2 * X.a * X.b + 1}))
        >>> print(model.equations()["y"])
        y = 2.0*a*b + 1.0
    """

    def __init__(self, *, backend: str = "auto", seed: int = 0, derived_features: bool = True,
                 **options: Any) -> None:
        self.backend = backend
        self.seed = seed
        self.derived_features = derived_features
        self.options = options

    # -- learning -------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, Y: pd.DataFrame | pd.Series, *, space=None) -> SymbolicSurrogate:
        """Fit one equation per column of ``Y`` on the columns of ``X``; returns self.

        With ``space``, every equation must also pass :meth:`check_domain` over it; for
        one that does not, SISSO falls back on its next best model by cross-validation
        (other target transforms and numbers of terms), then searches again with only the
        descriptors defined over the whole space (no log, sqrt or 1/x of an input that
        reaches 0 there); the first that passes is kept (``info_[name]["domain"]`` says
        which). Genetic-programming backends go down their hold-out ranking. The range
        check of :meth:`check_domain` is a preference: where every model that is finite and
        of the data's sign runs beyond the data's range somewhere (a space much wider than
        the data), the first of them is kept and ``domain`` says how far it reaches. If
        none is finite and of the data's sign, the domain error is raised.
        """
        backend = _resolve_backend(self.backend)
        settings = _settings(self.options if backend == "sisso" else {})
        if backend != "sisso":
            _check_options(backend, self.options)
        seed = check_seed(self.seed)
        inputs = _frame(X, "X")
        outputs = _frame(Y, "Y")
        if len(inputs) != len(outputs):
            raise SurrogateError("X and Y have different numbers of rows", field="Y",
                                 value=len(outputs), allowed=f"{len(inputs)} rows, as X")
        _check_values(inputs, "X")
        _check_values(outputs, "Y")
        minimum = max(10, 2 * (settings.max_terms + 1) * settings.n_folds // 2)
        if len(inputs) < minimum:
            raise SurrogateError("too few rows for the descriptor count", field="X",
                                 value=len(inputs),
                                 allowed=f"at least {minimum} rows for {settings.max_terms} "
                                 f"terms and {settings.n_folds}-fold cross-validation")
        for column in inputs.columns:
            if inputs[column].nunique() < 2:
                raise SurrogateError("constant input column: it cannot explain anything",
                                     field=column, value=inputs[column].iloc[0],
                                     allowed="varying values (drop fixed parameters first)")
        for column in outputs.columns:
            if outputs[column].nunique() < 2:
                raise SurrogateError("constant output column: nothing to fit", field=column,
                                     value=outputs[column].iloc[0], allowed="varying values")
        self.backend_ = backend
        self.feature_names_ = [str(c) for c in inputs.columns]
        self.derived_ = derived_for(self.feature_names_) if self.derived_features else []
        values = augment(inputs.to_numpy(dtype=float), self.derived_)
        self.output_names_ = [str(c) for c in outputs.columns]
        self.models_: dict[str, LinearModel | ExpressionModel] = {}
        self.info_: dict[str, dict] = {}
        self.positive_ = {}
        self.output_bounds_ = {name: (float(outputs[name].min()), float(outputs[name].max()))
                               for name in self.output_names_}
        points = self._domain_points(space) if space is not None else None
        for column in self.output_names_:
            target = outputs[column].to_numpy(dtype=float)
            self.positive_[column] = bool(np.all(target > 0))
            problem, kept = None, None
            for label, model, info in self._candidates(backend, values, target, settings, seed,
                                                       points):
                if points is None:
                    kept = model, info | {"domain": "not checked"}
                    break
                problem = self._domain_problem(column, model, points)
                if problem is not None:
                    continue
                excursion = self._excursion(column, model, points)
                if excursion is None:
                    kept = model, info | {"domain": label}
                    break
                if kept is None:  # the fallback should every other run away too
                    kept = model, info | {"domain": f"{label}; {excursion[0]}"}
            if kept is None:
                raise problem
            self.models_[column], self.info_[column] = kept
        self.training_bounds_ = {name: (float(inputs[name].min()), float(inputs[name].max()))
                                 for name in self.feature_names_}
        # the recipes themselves, for the data's domain (electroforge.space.domain)
        self.training_inputs_ = inputs[self.feature_names_].to_numpy(dtype=float).copy()
        return self

    # -- using ----------------------------------------------------------------------
    def _candidates(self, backend: str, values: np.ndarray, target: np.ndarray,
                    settings: SissoSettings, seed: int, points: np.ndarray | None):
        """(label, model, info) in order of preference for one output (SISSO: with
        descriptors defined over ``points`` when given)."""
        if backend == "sisso":
            columns = self.primary_columns
            for rank, (model, info) in enumerate(rank_sisso(values, target, settings=settings,
                                                            seed=seed, columns=columns)):
                yield ("as chosen" if rank == 0 else f"next best by CV: {info['model']}",
                       model, info)
            if points is None:
                return
            # none is defined over the whole space: search again with only the
            # descriptors that are (no log, sqrt or 1/x of what reaches 0 there)
            for model, info in rank_sisso(values, target, settings=settings, seed=seed,
                                          domain=points, columns=columns):
                info["descriptors_over_space"] = True
                yield f"descriptors defined over the space: {info['model']}", model, info
            return
        fit = backends.fit_operon if backend == "operon" else backends.fit_pysr
        ranked, info = fit(values, target, seed=seed, **self.options)
        for rank, model in enumerate(ranked):
            yield f"hold-out rank {rank + 1}", model, dict(info)

    @property
    def primary_columns(self) -> list[int]:
        """The columns (inputs, then derived) SISSO builds its features on: the
        dimensionless fractions in place of the raw recipe inputs
        (:func:`~electroforge.surrogates.derived.dimensionless_columns`)."""
        return dimensionless_columns(self.feature_names_, self.derived_)

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Predictions, one column per output, index of ``X`` kept."""
        self._check_fitted()
        values = self._inputs(X)
        with np.errstate(all="ignore"):
            columns = {name: self.models_[name].predict(values) for name in self.output_names_}
        return pd.DataFrame(columns, index=X.index)

    def equations(self) -> dict[str, Equation]:
        """Each output's equation as text (coefficients to :data:`EQUATION_DIGITS`
        significant digits; the model keeps them whole), as a sympy expression of the input
        names, and the output's unit where the property catalog knows it."""
        from electroforge.properties import PROPERTIES

        self._check_fitted()
        symbols, named = self._symbols(), self._named_symbols()
        found = {}
        for name in self.output_names_:
            model = self.models_[name]
            unit = PROPERTIES[name].unit if name in PROPERTIES else ""
            text = model.text(named, digits=EQUATION_DIGITS)
            found[name] = Equation(name, text, model.to_sympy(symbols), unit, self._where(text))
        return found

    def to_torch(self):
        """A float64 ``torch.nn.Module``: ``n x d`` inputs (feature order) -> ``n x k`` outputs."""
        self._check_fitted()
        from electroforge.surrogates.torch_module import EquationModule

        return EquationModule([self.models_[name] for name in self.output_names_],
                              self.feature_names_, self.output_names_, self.derived_)

    def check_domain(self, space) -> SymbolicSurrogate:
        """Refuse equations that are not finite, not of the data's sign, or that run away
        from the data (beyond its range widened by its span on either side) over the box.

        Evaluates every equation (and every log/sqrt argument and divisor in it) at the
        box's corners and at 4096 Sobol' points of ``space`` (its fixed parameters at
        their values). Returns self when all hold. The last check catches terms that the
        data cannot see: in an ``exp(...)`` equation of tortuosity on the line's six slurries,
        ``2e-25 * exp(100 - am_wt_pct) * exp(100 - sc_wt_pct)`` is nothing on the data and
        24 in the space's corner AM 85 %, SC 55 % (a tortuosity factor of 4e10 there).
        """
        self._check_fitted()
        points = self._domain_points(space)
        for name in self.output_names_:
            model = self.models_[name]
            problem = self._domain_problem(name, model, points)
            if problem is not None:
                raise problem
            excursion = self._excursion(name, model, points)
            if excursion is not None:
                text, point = excursion
                raise self._domain_error(name, model, point, text)
        return self

    def _domain_points(self, space) -> np.ndarray:
        from scipy.stats import qmc

        missing = [name for name in self.feature_names_ if name not in space]
        if missing:
            raise SurrogateError("the space lacks an input of the surrogate", field=missing[0],
                                 allowed=", ".join(space.names))
        corners = (np.array(list(np.ndindex(*(2,) * space.dim)), dtype=float)
                   if space.dim <= 12 else np.empty((0, space.dim)))
        cube = np.vstack([qmc.Sobol(space.dim, rng=0).random(_DOMAIN_POINTS), corners])
        points = space.from_unit_cube(cube)[self.feature_names_].to_numpy(dtype=float)
        return augment(points, self.derived_)

    def _domain_problem(self, name: str, model: LinearModel | ExpressionModel,
                        points: np.ndarray) -> SurrogateError | None:
        import sympy

        symbols = self._symbols()
        plain = list(sympy.symbols(f"x0:{len(symbols)}"))
        with np.errstate(all="ignore"):
            for domain, evaluate, argument in model.constraints():
                value = evaluate(points)
                bad = {"positive": ~(value > 0), "nonnegative": ~(value >= 0),
                       "nonzero": ~(value != 0)}[domain]
                if bad.any():
                    shown = argument.xreplace(dict(zip(plain, self._named_symbols())))
                    return self._domain_error(name, model, points[np.argmax(bad)],
                                              f"{shown} must be {domain} for the equation "
                                              "to be defined")
            prediction = model.predict(points)
        if not np.isfinite(prediction).all():
            return self._domain_error(name, model, points[np.argmax(~np.isfinite(prediction))],
                                      "the equation is not finite")
        if self.positive_[name] and not (prediction > 0).all():
            return self._domain_error(name, model, points[np.argmax(~(prediction > 0))],
                                      "the equation turns non-positive where the data were "
                                      "all positive")
        return None

    def _excursion(self, name: str, model: LinearModel | ExpressionModel,
                   points: np.ndarray) -> tuple[str, np.ndarray] | None:
        """How far the equation runs beyond the training outputs' range widened by
        :data:`_EXTRAPOLATION_SPANS` of its span, and where; None if it does not (or the
        file has no bounds)."""
        if name not in self.output_bounds_:
            return None
        with np.errstate(all="ignore"):
            prediction = model.predict(points)
        low, high = self.output_bounds_[name]
        reach = _EXTRAPOLATION_SPANS * (high - low)
        outside = (prediction < low - reach) | (prediction > high + reach)
        if not outside.any():
            return None
        worst = int(np.argmax(np.abs(prediction - 0.5 * (low + high)) * outside))
        return (f"the equation reaches {prediction[worst]:.4g}, beyond the data's range "
                f"[{low:.4g}; {high:.4g}] widened by {_EXTRAPOLATION_SPANS:g} x its span",
                points[worst])

    # -- persistence ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        return {"format": _FORMAT, "format_version": _FORMAT_VERSION, "backend": self.backend_,
                "seed": self.seed, "options": _jsonable(self.options),
                "derived": [[name, index, float(offset).hex(), float(scale).hex()]
                            for name, index, offset, scale in self.derived_],
                "feature_names": self.feature_names_, "output_names": self.output_names_,
                "positive": self.positive_, "training_bounds": self.training_bounds_,
                "output_bounds": self.output_bounds_,
                "training_inputs": [[float(v).hex() for v in row]
                                    for row in getattr(self, "training_inputs_", [])],
                "models": {name: self.models_[name].to_dict() for name in self.output_names_},
                "info": self.info_}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted surrogate as JSON (atomically); :meth:`load` reads it back exactly."""
        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SymbolicSurrogate:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
            raise SurrogateError(f"cannot read the model file ({error})", source=str(path),
                                 allowed="a JSON file written by SymbolicSurrogate.save") from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise SurrogateError("not a symbolic surrogate file", source=str(path),
                                 field="format", value=repr(data.get("format")
                                                            if isinstance(data, dict) else None),
                                 allowed=repr(_FORMAT))
        version = data.get("format_version")
        if type(version) is not int or version not in (1, _FORMAT_VERSION):
            raise SurrogateError("unknown format version", source=str(path),
                                 field="format_version", value=repr(version),
                                 allowed=f"1 or {_FORMAT_VERSION} (upgrade electroforge)")
        try:
            model = cls._from_data(data, str(path))
        except InputError as error:
            raise SurrogateError(error.problem, source=str(path), row=error.row,
                                 field=error.field, value=error.value,
                                 allowed=error.allowed) from None
        except KeyError as error:
            raise SurrogateError("the model file lacks a key", source=str(path),
                                 field=str(error.args[0]),
                                 allowed="a file written by SymbolicSurrogate.save") from None
        except (TypeError, ValueError, AttributeError, IndexError) as error:
            raise SurrogateError(f"malformed model file ({error})", source=str(path),
                                 allowed="a file written by SymbolicSurrogate.save") from None
        return model

    @classmethod
    def _from_data(cls, data: dict[str, Any], source: str) -> SymbolicSurrogate:
        def refuse(problem: str, field: str, value: Any, allowed: str) -> SurrogateError:
            return SurrogateError(problem, source=source, field=field,
                                  value=repr(value)[:60], allowed=allowed)

        backend = data["backend"]
        if not isinstance(backend, str) or backend not in BACKENDS:
            raise refuse("unknown backend", "backend", backend, ", ".join(BACKENDS))
        seed = check_seed(data["seed"])
        options = data["options"]
        if not isinstance(options, dict):
            raise refuse("options must be a table", "options", options, "{name: value}")
        if backend in ("auto", "sisso"):
            _settings(options)                      # names and values of SISSO's settings
        feature_names = _names(data["feature_names"], "feature_names", refuse)
        output_names = _names(data["output_names"], "output_names", refuse)
        derived = []
        for entry in data.get("derived", []):
            name, index, offset, scale = entry
            if type(index) is not int or not 0 <= index < len(feature_names):
                raise refuse("a derived input reads a column the model lacks", "derived",
                             index, f"an integer from 0 to {len(feature_names) - 1}")
            derived.append((str(name), index, finite_hex(offset, "derived offset"),
                            finite_hex(scale, "derived scale")))
        model = cls(backend=backend, seed=seed, derived_features=bool(derived), **options)
        model.derived_ = derived
        model.backend_ = backend
        model.feature_names_ = feature_names
        model.output_names_ = output_names
        model.positive_ = {str(k): bool(v) for k, v in dict(data["positive"]).items()}
        model.training_bounds_ = {str(k): _finite_pair(v, k, source)
                                  for k, v in dict(data["training_bounds"]).items()}
        model.output_bounds_ = {str(k): _finite_pair(v, k, source)
                                for k, v in dict(data.get("output_bounds", {})).items()}
        rows = data.get("training_inputs") or None      # files before 0.1 do not keep them
        if rows is not None:
            inputs = np.array([[finite_hex(v, "training input") for v in row] for row in rows])
            if inputs.ndim != 2 or inputs.shape[1] != len(feature_names):
                raise ValueError(f"training inputs of shape {inputs.shape} for "
                                 f"{len(feature_names)} features")
            model.training_inputs_ = inputs
        entries = data["models"]
        if not isinstance(entries, dict):
            raise ValueError("models must be a table of outputs")
        missing = [name for name in model.output_names_ if name not in entries]
        if missing:
            raise SurrogateError("no model for an output", source=source, field="models",
                                 value=missing[0], allowed="one model per output_names entry")
        n_inputs = len(model.feature_names_) + len(derived)
        model.models_ = {}
        for name in model.output_names_:
            entry = entries[name]
            if not isinstance(entry, dict):
                raise ValueError(f"the model of {name} is not a table")
            if entry.get("kind") == "expression":
                fitted = ExpressionModel.from_dict(entry, source=source)
            else:
                fitted = LinearModel.from_dict(entry)
            leaves = _leaves(fitted)
            if leaves and max(leaves) >= n_inputs:
                raise SurrogateError("the equation reads an input column the model lacks",
                                     source=source, field=f"models.{name}", value=max(leaves),
                                     allowed=f"columns 0 to {n_inputs - 1}")
            model.models_[name] = fitted
        model.info_ = data.get("info", {})
        return model

    # -- helpers ----------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise SurrogateError("the surrogate is not fitted yet", allowed="call fit(X, Y) first")

    def _inputs(self, X: pd.DataFrame) -> np.ndarray:
        frame = _frame(X, "X")
        missing = [name for name in self.feature_names_ if name not in frame.columns]
        if missing:
            raise SurrogateError("missing input column", field=missing[0],
                                 allowed=", ".join(self.feature_names_))
        _check_values(frame[self.feature_names_], "X")
        return augment(frame[self.feature_names_].to_numpy(dtype=float), self.derived_)

    def _symbols(self) -> list:
        return derived_symbols(self.feature_names_, self.derived_)

    def _named_symbols(self) -> list:
        """The inputs, then the derived columns by name (for text)."""
        return derived_symbols(self.feature_names_, self.derived_, named=True)

    def _where(self, text: str) -> dict[str, str]:
        """The definitions of the derived columns ``text`` uses."""
        import re

        return {k: v for k, v in definitions(self.feature_names_, self.derived_).items()
                if re.search(rf"\b{k}\b", text)}

    def _where_text(self, text: str) -> str:
        where = self._where(text)
        return (" where " + ", ".join(f"{k} = {v}" for k, v in where.items())) if where else ""

    def _domain_error(self, output: str, model: LinearModel | ExpressionModel, point: np.ndarray,
                      problem: str) -> SurrogateError:
        at = ", ".join(f"{n}={v:.4g}" for n, v in zip(self.feature_names_, point))
        equation = model.text(self._named_symbols(), digits=EQUATION_DIGITS)
        return SurrogateError(f"{problem} at {at}; equation {output} = {equation}"
                              + self._where_text(equation),
                              field=output, allowed="an equation finite, of the data's sign and "
                              "within its range widened by its span over the whole space (refit "
                              "with other operators or fewer terms)")


def _resolve_backend(name: str) -> str:
    if name not in BACKENDS:
        raise SurrogateError("unknown backend", field="backend", value=repr(name),
                             allowed=", ".join(BACKENDS))
    if name == "auto":
        return next(b for b in BACKENDS[1:] if backends.available(b))
    if not backends.available(name):
        hint = {"operon": "pip install pyoperon==0.6.2",
                "pysr": "install Julia and pysr (see electroforge.surrogates.backends)"}[name]
        raise BackendUnavailableError(f"the {name!r} backend is not available here ({hint}); "
                                      "backend='sisso' (ours) always is")
    return name


def _check_options(backend: str, options: dict[str, Any]) -> None:
    import inspect

    fit = backends.fit_operon if backend == "operon" else backends.fit_pysr
    known = [p for p in inspect.signature(fit).parameters if p not in ("X", "y", "seed", "options")]
    unknown = [key for key in options if key not in known]
    if unknown and not (backend == "pysr"):
        raise SurrogateError(f"unknown option of the {backend} backend", field=unknown[0],
                             allowed=", ".join(known))


def _settings(options: dict[str, Any]) -> SissoSettings:
    known = {f.name for f in fields(SissoSettings)}
    unknown = [key for key in options if key not in known]
    if unknown:
        raise SurrogateError("unknown option of the sisso backend", field=unknown[0],
                             allowed=", ".join(sorted(known)))
    settings = SissoSettings(**{k: (tuple(v) if k == "operators" else v) for k, v in options.items()})
    ranges = {"max_terms": (1, 4), "exhaustive_terms": (1, 4), "n_folds": (2, None),
              "sis_size": (1, None), "beam_width": (1, None)}
    for name, (low, high) in ranges.items():
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (
                high is not None and value > high):
            raise SurrogateError(f"{name} out of range", field=name, value=value,
                                 allowed=f"an integer from {low} to {high}" if high
                                 else f"an integer >= {low}")
    return settings


def _frame(data: Any, name: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, pd.DataFrame):
        return data
    raise SurrogateError(f"{name} must be a pandas DataFrame", field=name,
                         value=type(data).__name__, allowed="a DataFrame with named columns")


def _check_values(frame: pd.DataFrame, name: str) -> None:
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise SurrogateError("not a finite number", row=row + 1, field=str(column),
                                 value=frame[column].iloc[row],
                                 allowed=f"finite numbers in every row of {name}")


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


def _finite_pair(value: Any, name: str, source: str) -> tuple[float, float]:
    try:
        low, high = (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                     else math.nan for v in value)
    except (TypeError, ValueError, OverflowError):
        low = high = math.nan
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise SurrogateError("bounds must be two finite numbers, low <= high", source=source,
                             field=name, value=repr(value)[:60], allowed="[low, high]")
    return low, high


def _names(value: Any, field: str, refuse) -> list[str]:
    """A model file's list of column names: distinct, non-empty strings."""
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and v for v in value):
        raise refuse("not a list of column names", field, value, '["name", ...]')
    duplicate = next((v for v in value if value.count(v) > 1), None)
    if duplicate is not None:
        raise refuse("a column name appears twice", field, duplicate, "each name once")
    return list(value)


def _leaves(model: LinearModel | ExpressionModel) -> list[int]:
    if isinstance(model, LinearModel):
        return [i for d in model.descriptors for i in d.leaves()]
    return [model.n_features - 1]
