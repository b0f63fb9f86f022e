"""Genetic-programming backends: Operon (pyoperon) and PySR, imported only when asked for.

Both return candidate :class:`~electroforge.surrogates.expression_model.ExpressionModel`
objects ranked by R2 on a hold-out (20 % of the training rows, seeded); the caller keeps
the first one that passes its domain check. Selection on a hold-out rather than by an
information criterion, because BIC-selected Operon models were seen to carry poles
inside the recipe box.

PySR needs a Julia installation, which it otherwise downloads on import. We import it
only when a Julia executable is found: ``julia`` on ``PATH``, or the path in
``PYTHON_JULIACALL_EXE`` (juliacall's variable; ``PYTHON_JULIAPKG_OFFLINE=yes`` keeps it
from reaching the network). Without one the backend is reported unavailable.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import numpy as np

from electroforge.errors import BackendUnavailableError, InputError
from electroforge.formula import parse, to_sympy
from electroforge.surrogates.expression_model import ExpressionModel

__all__ = ["available", "fit_operon", "fit_pysr"]

OPERON_SYMBOLS = "add,sub,mul,div,exp,log,sqrt,square,constant,variable"


def available(name: str) -> bool:
    """Whether the backend can run here (without importing anything that downloads)."""
    if name == "sisso":
        return True
    if name == "operon":
        try:
            import pyoperon.sklearn  # noqa: F401
        except ImportError:
            return False
        return True
    if name == "pysr":
        return _julia() is not None and _importable("pysr")
    return False


def fit_operon(X: np.ndarray, y: np.ndarray, *, seed: int, generations: int = 300,
               population_size: int = 500, max_length: int = 30) -> tuple[list[ExpressionModel], dict]:
    """Candidates from an Operon run (multi-objective: R2 and length), best hold-out R2 first."""
    try:
        from pyoperon.sklearn import SymbolicRegressor
    except ImportError:
        raise BackendUnavailableError(
            "the 'operon' backend needs pyoperon: pip install pyoperon==0.6.2") from None
    fit, hold = _split(len(y), seed)
    regressor = SymbolicRegressor(random_state=seed, n_threads=1, generations=generations,
                                  population_size=population_size, max_length=max_length,
                                  objectives=["r2", "length"], allowed_symbols=OPERON_SYMBOLS)
    regressor.fit(X[fit], y[fit])
    names = [f"x{i}" for i in range(X.shape[1])]
    trees = [regressor.model_] + [entry["tree"] for entry in regressor.pareto_front_]
    expressions = []
    for tree in trees:
        # Operon's infix text, read by our grammar (never sympify: it evaluates Python)
        try:
            expressions.append(to_sympy(parse(regressor.get_model_string(tree, 17, names),
                                              names, what="Operon model")))
        except InputError:
            continue
    return _ranked(expressions, X, y, hold)


def fit_pysr(X: np.ndarray, y: np.ndarray, *, seed: int, niterations: int = 40,
             **options: Any) -> tuple[list[ExpressionModel], dict]:
    """Candidates from PySR's hall of fame, best hold-out R2 first (needs Julia, see module)."""
    if _julia() is None:
        raise BackendUnavailableError(
            "the 'pysr' backend needs a Julia installation (julia on PATH or "
            "PYTHON_JULIACALL_EXE); none was found, and importing pysr would try to download one")
    try:
        from pysr import PySRRegressor
    except ImportError:
        raise BackendUnavailableError("the 'pysr' backend needs pysr: pip install pysr") from None
    fit, hold = _split(len(y), seed)
    regressor = PySRRegressor(niterations=niterations, random_state=seed, deterministic=True,
                              parallelism="serial", binary_operators=["+", "-", "*", "/"],
                              unary_operators=["exp", "log", "sqrt", "square"], **options)
    regressor.fit(X[fit], y[fit], variable_names=[f"x{i}" for i in range(X.shape[1])])
    expressions = [regressor.sympy(i) for i in range(len(regressor.equations_))]
    return _ranked(expressions, X, y, hold)


def _split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    held = max(1, n // 5)
    return np.sort(order[held:]), np.sort(order[:held])


def _ranked(expressions: list, X: np.ndarray, y: np.ndarray,
            hold: np.ndarray) -> tuple[list[ExpressionModel], dict]:
    scored = []
    seen = set()
    for expression in expressions:
        model = ExpressionModel.from_expression(expression, X.shape[1])
        if model.tree in seen:
            continue
        seen.add(model.tree)
        with np.errstate(all="ignore"):
            predicted = model.predict(X[hold])
            if not np.isfinite(model.predict(X)).all():
                continue
        residual = np.sum((y[hold] - predicted) ** 2)
        total = np.sum((y[hold] - y[hold].mean()) ** 2) or 1.0
        scored.append((1.0 - residual / total, model.terms, model))
    scored.sort(key=lambda item: (-round(item[0], 6), item[1]))
    info = {"candidates": len(scored),
            "holdout_r2": [float(score) for score, _, _ in scored[:5]]}
    return [model for _, _, model in scored], info


def _julia() -> str | None:
    return os.environ.get("PYTHON_JULIACALL_EXE") or shutil.which("julia")


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
