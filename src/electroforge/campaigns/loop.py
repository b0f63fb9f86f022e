"""The closed loop: surrogate optimization and real evaluations in turn.

A surrogate fitted on a design's data predicts an optimum; where the optimum lies at the
edge of the data, it is as often an artefact of the equation's extrapolation as a
better recipe. The closed loop asks the line (or the lab) instead of trusting it: every
round

1. fits one equation per property on all the data (the starting dataset and everything
   the campaign has measured; our SISSO, :class:`~electroforge.surrogates.SymbolicSurrogate`),
2. minimizes the surrogate cost with GP-Hedge (:func:`gp_hedge_minimize`) inside the trust
   region around the data (the data's box widened by the campaign's ``trust_margin``; it
   widens as measured recipes reach its edge),
3. takes a batch of distinct candidates from that search, best predicted first, each at
   least ``min_distance`` (unit cube) from the others and from every measured recipe,
4. has them evaluated (line) or asked (lab), told, and refits.

It stops at the budget of real evaluations (the starting data do not count) or when the
measured best has not improved for ``patience`` rounds. Each round is recorded in the
store with its model (file and SHA-256), the search box and what the model predicted for
each proposal; what was measured comes from the proposals' measurements.

The recommendation is the measured recipe that the last model, fitted on everything,
predicts best: one line evaluation is one particle seed, and the lowest of many noisy
values is mostly luck (the model averages the neighbours' seeds). Verification then makes
it again with particles of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from electroforge.errors import InputError

__all__ = ["LOOP_STREAM", "LoopSettings", "all_data", "search_round", "fit_round", "loop_properties", "pick_candidates",
           "read_start_data", "rounds_without_improvement"]

#: Sobol' points of the trust region that join the search's own as candidates.
POOL_POINTS = 1024
#: The stream of :func:`~electroforge.campaigns.evaluators.particle_seed` that seeds each
#: round's surrogate search.
LOOP_STREAM = 2
_KEYS = ("data", "properties", "inputs", "max_terms", "patience", "surrogate_calls", "min_distance")


@dataclass(frozen=True)
class LoopSettings:
    """A closed-loop campaign's ``[loop]`` table.

    Args:
        data: The starting dataset (recipes and properties, .csv or .parquet; absolute
            once read from a campaign file).
        properties: The properties fitted (default: those of the objective).
        inputs: The equations' inputs (default: the searched parameters and every
            parameter the campaign fixes that varies in the data, e.g. the C-rate of a
            dataset at several rates, the equations then taken at the fixed value). A
            fixed parameter left out pools the data over its values (structural
            properties, which do not depend on the discharge rate).
        max_terms: Terms per equation (SISSO, 1-4; 4 as the demo's equations).
        patience: Rounds without a better measured cost before the loop stops.
        surrogate_calls: GP-Hedge evaluations of the surrogate per round.
        min_distance: Least distance of a candidate to another candidate and to every
            measured recipe, in the space's unit cube.
    """

    data: str
    properties: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    max_terms: int = 4
    patience: int = 2
    surrogate_calls: int = 40
    min_distance: float = 0.02
    #: the starting data's SHA-256, recorded when the campaign is created
    data_sha256: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.data, str) or not self.data.strip():
            raise InputError("the starting data are a file path", field="loop.data",
                             value=repr(self.data), allowed='a path, e.g. "line_174.parquet"')
        for key in ("properties", "inputs"):
            value = getattr(self, key)
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(p, str) and p for p in value):
                raise InputError(f"{key} are a list of column names", field=f"loop.{key}",
                                 value=repr(value), allowed='["density_g_cm3", ...]')
            object.__setattr__(self, key, tuple(value))
        for key, low, high in (("max_terms", 1, 4), ("patience", 1, 100),
                               ("surrogate_calls", 5, 2000)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InputError("out of range", field=f"loop.{key}", value=repr(value),
                                 allowed=f"an integer from {low} to {high}")
        value = self.min_distance
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                0.0 <= value <= 0.5):
            raise InputError("out of range", field="loop.min_distance", value=repr(value),
                             allowed="a number from 0 to 0.5 (a fraction of the unit cube)")
        object.__setattr__(self, "min_distance", float(value))

    @classmethod
    def from_table(cls, table: Mapping[str, Any], *, base: Path) -> LoopSettings:
        unknown = [k for k in table if k not in _KEYS]
        if unknown:
            raise InputError("unknown key", field=f"loop.{unknown[0]}", allowed=", ".join(_KEYS))
        if "data" not in table:
            raise InputError("missing key", field="loop.data",
                             allowed="the starting dataset, e.g. data = \"line_174.parquet\"")
        values = dict(table)
        if isinstance(values["data"], str) and values["data"].strip():
            values["data"] = str((base / values["data"]).resolve())
        if "data_sha256" in values:
            raise InputError("unknown key", field="loop.data_sha256",
                             allowed=", ".join(_KEYS) + " (the data's hash is recorded by "
                             "the campaign)")
        for key in ("properties", "inputs"):
            if isinstance(values.get(key, ()), list):
                values[key] = tuple(values.get(key, ()))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoopSettings:
        return cls(**{**data, "properties": tuple(data.get("properties", ())),
                      "inputs": tuple(data.get("inputs", ()))})


def loop_properties(settings: LoopSettings, objective_columns, space_names) -> list[str]:
    """The properties a round fits: the settings', else the objective's columns that are
    not recipe parameters (a derived column, e.g. an energy, through what it needs)."""
    from electroforge.objectives.recipe import DERIVED

    if settings.properties:
        return list(settings.properties)
    out: list[str] = []
    for column in objective_columns:
        if column in space_names:
            continue
        for name in DERIVED[column][0] if column in DERIVED else (column,):
            if name not in space_names and name not in out:
                out.append(name)
    return out


def read_start_data(settings: LoopSettings, space, properties: list[str]
                    ) -> tuple[pd.DataFrame, list[str]]:
    """The starting dataset checked against the campaign's space, and the equations'
    inputs (:class:`LoopSettings`). Rows the line could not make are left out; every
    free parameter must vary (else nothing can be learnt about it: fix it in
    ``[space] fix``)."""
    from dataclasses import replace

    from electroforge.datasets import SUFFIXES, read_dataset, validate_dataset
    from electroforge.paths import check_input_file

    path = settings.data
    check_input_file(path, suffixes=SUFFIXES, what="loop.data")
    if settings.data_sha256 is not None and file_sha256(path) != settings.data_sha256:
        raise InputError("the starting data changed since the campaign began", source=path,
                         field="loop.data", value=f"sha256 {file_sha256(path)[:12]}",
                         allowed=f"the file the campaign started from (sha256 "
                         f"{settings.data_sha256[:12]}): restore it, or start a new campaign")
    table = read_dataset(path)
    if "error" in table.columns:
        table = table[table["error"].fillna("").astype(str) == ""].reset_index(drop=True)
    missing = [p for p in properties if p not in table.columns]
    if missing:
        raise InputError("the starting data lack a property of the loop", source=path,
                         field=missing[0], allowed="columns " + ", ".join(
                             c for c in table.columns if c not in space.names))
    # a fixed parameter the data vary (their C-rates) is checked against its bounds
    varying = [p.name for p in space if p.is_fixed and p.low < p.high and p.name in table
               and pd.to_numeric(table[p.name], errors="coerce").nunique() > 1]
    checked = space
    for name in varying:
        checked = checked.replace(name, replace(space[name], fixed=None))
    frame = validate_dataset(table, space=checked, properties=properties, source=path,
                             allow_duplicates=True).frame
    for parameter in space.free:
        if frame[parameter.name].nunique() < 2:
            raise InputError("a free parameter does not vary in the starting data",
                             source=path, field=parameter.name,
                             value=f"{frame[parameter.name].iloc[0]:g} in every row",
                             allowed="data that vary it, or fix it in the campaign's "
                             "[space] fix")
    possible = [*space.free_names, *varying]
    inputs = list(settings.inputs) or possible
    for name in inputs:
        if name not in possible:
            raise InputError("not an input the loop can fit", field="loop.inputs",
                             value=repr(name), allowed=", ".join(possible))
    left_out = [name for name in space.free_names if name not in inputs]
    if left_out:
        raise InputError("a searched parameter must be an input", field="loop.inputs",
                         value=repr(left_out[0]), allowed="the searched parameters "
                         + ", ".join(space.free_names) + ", and optionally " +
                         (", ".join(varying) or "nothing else"))
    return frame[[*possible, *properties]], inputs


def fit_round(data: pd.DataFrame, inputs: list[str], properties: list[str], space, *,
              settings: LoopSettings, seed: int):
    """One equation per property on ``data`` (our SISSO, checked over ``space``)."""
    from electroforge.surrogates import SymbolicSurrogate

    return SymbolicSurrogate(seed=seed, max_terms=settings.max_terms).fit(
        data[inputs], data[properties], space=space)


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def pick_candidates(X: np.ndarray, costs: np.ndarray, n: int, *, measured: np.ndarray,
                    bounds, min_distance: float) -> list[int]:
    """Indices of up to ``n`` rows of ``X``, lowest ``costs`` first, each at least
    ``min_distance`` (unit cube of ``bounds``) from the others chosen and from every row of
    ``measured``; when too few are that far from the measured recipes, the nearest ones
    fill in (still distinct from each other).

    Example:
        >>> X = np.array([[0.5], [0.501], [0.9], [0.1]])
        >>> pick_candidates(X, np.array([0.0, 0.1, 0.2, 0.3]), 2, measured=np.empty((0, 1)),
        ...                 bounds=[(0.0, 1.0)], min_distance=0.05)
        [0, 2]
    """
    low, high = np.asarray(bounds, dtype=float).T
    span = np.where(high > low, high - low, 1.0)
    unit = (np.asarray(X, dtype=float) - low) / span
    known = (np.asarray(measured, dtype=float).reshape(-1, unit.shape[1]) - low) / span
    order = np.argsort(costs, kind="stable")
    chosen: list[int] = []

    def far(i: int, others: np.ndarray, limit: float) -> bool:
        return len(others) == 0 or bool(np.min(np.linalg.norm(others - unit[i], axis=1)) >= limit)

    for pass_known in (True, False):
        for i in order:
            if len(chosen) == n:
                return chosen
            if i in chosen or not far(i, unit[chosen], max(min_distance, 1e-9)):
                continue
            if pass_known and not far(i, known, min_distance):
                continue
            chosen.append(int(i))
    return chosen


def rounds_without_improvement(round_bests: list[float]) -> int:
    """Completed rounds since the measured best last improved, from each round's best
    measured cost in order (a round that measured nothing counts as no improvement).

    Example:
        >>> rounds_without_improvement([0.5, 0.4, 0.45, 0.41])
        2
    """
    best, since = np.inf, 0
    for value in round_bests:
        if value < best:
            best, since = value, 0
        else:
            since += 1
    return since


def all_data(start: pd.DataFrame, measured: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The starting data and the campaign's measurements (every one must hold every
    fitted column: a lab's tell that left one out is refused, not dropped)."""
    frames = [start[columns]]
    if not measured.empty:
        for column in columns:
            if column not in measured.columns or measured[column].isna().any():
                rows = (measured if column not in measured.columns
                        else measured[measured[column].isna()])
                raise InputError("a measurement lacks a property the loop fits",
                                 field=column, value=f"measurement "
                                 f"{int(rows['measurement_id'].iloc[0])}",
                                 allowed="every property of loop.properties told with each "
                                 "measurement")
        frames.append(measured[columns])
    return pd.concat(frames, ignore_index=True).reset_index(drop=True)


def search_round(problem, box, n: int, *, loop: LoopSettings, seed: int,
                 measured: np.ndarray, settings=None,
                 linear_constraints=()) -> tuple[list[list[float]], pd.DataFrame, dict]:
    """GP-Hedge (``settings``: the campaign's :class:`~electroforge.campaigns.hedge.
    HedgeSettings`) on the surrogate cost of ``problem`` over ``box``; returns ``n``
    distinct candidates (:func:`pick_candidates`), their predictions and the search's
    best."""
    from dataclasses import replace

    from electroforge.campaigns.gp_hedge import gp_hedge_minimize
    from electroforge.campaigns.hedge import HedgeSettings

    settings = settings or HedgeSettings()
    n_calls = max(loop.surrogate_calls, 2 * n)
    if settings.n_initial is not None and settings.n_initial > n_calls:
        settings = replace(settings, n_initial=n_calls)
    result = gp_hedge_minimize(problem, box, n_calls=n_calls, seed=seed, settings=settings,
                               linear_constraints=list(linear_constraints),
                               recommend="observed")   # the equations have no noise
    # the candidates come from the search's points and a dense Sobol' sample of the box
    # (the surrogate costs nothing to evaluate), best predicted first
    X = np.vstack([np.asarray(result.x_iters, dtype=float),
                   _sobol(box, POOL_POINTS, seed, linear_constraints)])
    costs = np.concatenate([np.asarray(result.func_vals, dtype=float),
                            problem.predict(X[len(result.x_iters):])["cost"].to_numpy()])
    chosen = pick_candidates(X, costs, n, measured=measured,
                             bounds=problem.bounds, min_distance=loop.min_distance)
    if len(chosen) < n:
        raise InputError("the search found fewer distinct candidates than the batch",
                         field="batch_size", value=n, allowed=f"<= {len(chosen)}, or more "
                         "loop.surrogate_calls")
    points = [list(map(float, X[i])) for i in chosen]
    best = {"recipe": dict(zip(problem.names, map(float, result.x))),
            "cost": float(result.fun)}
    return points, problem.predict(np.asarray(points)), best


def _sobol(box, n: int, seed: int, linear_constraints=()) -> np.ndarray:
    """``n`` scrambled Sobol' points of ``box`` that meet the linear constraints (BoTorch's
    ``(indices, coefficients, rhs)``: ``sum(coefficients * x[indices]) >= rhs``)."""
    from scipy.stats import qmc

    low, high = np.asarray(box, dtype=float).T
    X = low + qmc.Sobol(len(low), rng=seed).random(n) * (high - low)
    for indices, coefficients, rhs in linear_constraints:
        values = X[:, np.asarray(indices, dtype=int)] @ np.asarray(coefficients, dtype=float)
        X = X[values >= float(rhs) - 1e-9]
    return X
