"""Sobol' sensitivity indices (SALib) of surrogates, objectives or any function of recipes.

First-order ``S1`` (the share of the output's variance a parameter explains alone),
total-order ``ST`` (alone and in every interaction) and second-order ``S2`` (a pair's
interaction), each with the half-width of its 95 % bootstrap interval, from a Saltelli
design of ``n (2 D + 2)`` recipes (:func:`electroforge.design.saltelli`) analysed with
``SALib.analyze.sobol``. The infiltration paper used 14 000 samples.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from electroforge.errors import ElectroforgeWarning, InputError
from electroforge.space import Space

__all__ = ["problem_indices", "sobol_indices", "sensitivity_plot"]

_RESAMPLES = 100


def sobol_indices(func: Callable[[pd.DataFrame], Any] | Any, space: Space, *, n: int = 4096,
                  seed: int = 0, second_order: bool = True) -> pd.DataFrame:
    """Sobol' indices of every output of ``func`` over the free parameters of ``space``.

    Args:
        func: A fitted surrogate (anything with ``predict(recipes) -> DataFrame``), or a
            callable taking a DataFrame of recipes (one column per parameter of ``space``)
            and returning a Series, a DataFrame or an array of one or more outputs per row.
        space: Bounds and fixed values.
        n: Base sample size (a power of two); ``n (2 D + 2)`` evaluations.
        seed: Seeds the design and the bootstrap intervals.
        second_order: Also estimate ``S2`` (in ``result.attrs["second_order"]``).

    Returns:
        One row per (output, parameter): ``S1``, ``S1_conf``, ``ST``, ``ST_conf``;
        ``pd.DataFrame(result.attrs["second_order"])``: rows (output, parameter, other)
        with ``S2`` and ``S2_conf``.

    Example:
        >>> import numpy as np
        >>> space = Space.from_bounds({"a": (0, 1), "b": (0, 1)})
        >>> table = sobol_indices(lambda r: 4 * r.a + r.b, space, n=1024, second_order=False)
        >>> table["S1"].round(2).tolist()             # variances 16/12 and 1/12
        [0.94, 0.06]
    """
    from SALib.analyze import sobol as salib_analyze

    from electroforge.design import saltelli

    recipes = saltelli(space, n, seed=seed, second_order=second_order)
    outputs = _evaluate(func, recipes)
    problem = {"num_vars": space.dim, "names": list(space.free_names),
               "bounds": [[p.low, p.high] for p in space.free]}
    rows, pairs = [], []
    varying = [name for name in outputs.columns
               if np.ptp(outputs[name].to_numpy(dtype=float)) != 0
               or not np.all(np.isfinite(outputs[name].to_numpy(dtype=float)))]
    for name in outputs.columns:
        values = outputs[name].to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            bad = int(np.argmax(~np.isfinite(values)))
            raise InputError("the function returned a non-finite value", field=str(name),
                             value=values[bad], allowed="finite outputs at "
                             + ", ".join(f"{k}={v:.4g}" for k, v in
                                         recipes.iloc[bad][list(space.free_names)].items()))
        if np.ptp(values) == 0:
            if not varying:
                raise InputError("the output does not vary over the space: no variance to "
                                 "share", field=str(name), value=values[0],
                                 allowed="a varying output")
            # one constant output among others (a property the fixed parameters pin):
            # no parameter moves it, its indices are 0
            warnings.warn(f"{name} does not vary over the space ({values[0]:.6g}): its "
                          "Sobol' indices are 0", ElectroforgeWarning, stacklevel=2)
            zero = np.zeros(space.dim)
            result = {"S1": zero, "S1_conf": zero, "ST": zero, "ST_conf": zero,
                      "S2": np.zeros((space.dim, space.dim)),
                      "S2_conf": np.zeros((space.dim, space.dim))}
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = salib_analyze.analyze(problem, values, calc_second_order=second_order,
                                               num_resamples=_RESAMPLES, conf_level=0.95,
                                               seed=seed)
        for i, parameter in enumerate(space.free_names):
            rows.append({"output": str(name), "parameter": parameter,
                         "S1": float(result["S1"][i]), "S1_conf": float(result["S1_conf"][i]),
                         "ST": float(result["ST"][i]), "ST_conf": float(result["ST_conf"][i])})
        if second_order:
            for i, j in zip(*np.triu_indices(space.dim, k=1)):
                pairs.append({"output": str(name), "parameter": space.free_names[i],
                              "other": space.free_names[j], "S2": float(result["S2"][i, j]),
                              "S2_conf": float(result["S2_conf"][i, j])})
    table = pd.DataFrame(rows)
    table.attrs["second_order"] = pd.DataFrame(
        pairs, columns=["output", "parameter", "other", "S2", "S2_conf"]).to_dict("list")
    table.attrs["n"] = n
    table.attrs["evaluations"] = len(recipes)
    return table


def _evaluate(func, recipes: pd.DataFrame) -> pd.DataFrame:
    predict = getattr(func, "predict", None)
    result = predict(recipes) if callable(predict) else func(recipes)
    if isinstance(result, pd.Series):
        return result.to_frame(result.name if result.name is not None else "y")
    if isinstance(result, pd.DataFrame):
        frame = result
    else:
        array = np.asarray(result, dtype=float)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise InputError("the function must return one value or one row per recipe",
                             field="func", value=f"shape {array.shape}",
                             allowed=f"({len(recipes)},) or ({len(recipes)}, outputs)")
        frame = pd.DataFrame(array, columns=["y"] if array.shape[1] == 1
                             else [f"y{i}" for i in range(array.shape[1])])
    if len(frame) != len(recipes):
        raise InputError("the function returned the wrong number of rows", field="func",
                         value=len(frame), allowed=f"{len(recipes)}, one per recipe")
    return frame.reset_index(drop=True)


def sensitivity_plot(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Bar charts of S1 and ST with their 95 % intervals, one panel per output."""
    from matplotlib.figure import Figure

    from electroforge.atomic import atomic_path

    outputs = list(dict.fromkeys(table["output"]))
    columns = min(len(outputs), 3)
    rows = -(-len(outputs) // columns)
    fig = Figure(figsize=(3.8 * columns, 3.0 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax, output in zip(axes, outputs):
        part = table[table["output"] == output]
        x = np.arange(len(part))
        ax.bar(x - 0.2, part["S1"], 0.4, yerr=part["S1_conf"], color="#4c72b0", label="S1",
               capsize=2)
        ax.bar(x + 0.2, part["ST"], 0.4, yerr=part["ST_conf"], color="#dd8452", label="ST",
               capsize=2)
        ax.set_xticks(x, part["parameter"], rotation=20, fontsize=8)
        ax.set_ylim(0, max(1.0, float((part["ST"] + part["ST_conf"]).max()) * 1.05))
        ax.set_title(output, fontsize=9)
        ax.axhline(0, color="0.5", linewidth=0.8)
    axes[0].legend(fontsize=8)
    for ax in axes[len(outputs):]:
        ax.set_visible(False)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, format="png")
    return path


def problem_indices(problem, *, n: int, seed: int = 0, second_order: bool = True) -> pd.DataFrame:
    """:func:`sobol_indices` of every predicted property and of the cost of a
    :class:`~electroforge.objectives.recipe.RecipeProblem`, over its searched parameters."""
    space = Space(tuple(problem.space[name] for name in problem.names))
    columns = list(problem.outputs) + ["cost"]
    return sobol_indices(lambda r: problem.predict(r[problem.names].to_numpy())[columns],
                         space, n=n, seed=seed, second_order=second_order)
