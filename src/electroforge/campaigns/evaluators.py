"""Evaluators: what turns a campaign's proposed recipes into measured properties.

One protocol, ``evaluate(recipes) -> DataFrame``, for every kind a campaign can use: the
fitted surrogate (:class:`SurrogateEvaluator`), the virtual line
(:class:`LineEvaluator`) and the lab (:class:`LabEvaluator`: the lab answers through
ask/tell, so it evaluates nothing itself). The neural surrogates to come plug in the same
way.

``recipes`` has a ``proposal_id`` column and the campaign's searched parameters; the
result has ``proposal_id``, the recipe and one column per property. A line evaluation
draws its own particle seed (:func:`particle_seed`, also in the result as
``particle_seed``), so two evaluations of one recipe, a verification's replicates among
them, are independent electrodes, and the same campaign seed and proposal give the same
electrode again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from electroforge.errors import InputError
from electroforge.objectives.recipe import RecipeProblem
from electroforge.seeds import check_seed

__all__ = ["EVALUATION_STREAM", "Evaluator", "LabEvaluator", "LineEvaluator",
           "SurrogateEvaluator", "VERIFICATION_STREAM", "make_evaluator", "particle_seed",
           "verify_on_line"]

#: Streams of :func:`particle_seed`: one per use, so no verification replicate reuses the
#: particles of an evaluation.
EVALUATION_STREAM = 0
VERIFICATION_STREAM = 1
#: Up to this many recipes the line runs in this process rather than start workers.
IN_PROCESS_RECIPES = 3


def particle_seed(campaign_seed: int, stream: int, *index: int) -> int:
    """The particle seed of one evaluation: ``campaign_seed`` spawned by ``(stream, *index)``
    with numpy's ``SeedSequence`` (independent of every other evaluation's).

    Example:
        >>> particle_seed(0, EVALUATION_STREAM, 1) == particle_seed(0, EVALUATION_STREAM, 1)
        True
        >>> len({particle_seed(0, EVALUATION_STREAM, i) for i in range(100)})
        100
    """
    sequence = np.random.SeedSequence(check_seed(campaign_seed),
                                      spawn_key=(int(stream), *map(int, index)))
    return int(sequence.generate_state(1, np.uint32)[0])


class Evaluator(Protocol):
    """Turns recipes into properties (see the module doc)."""

    kind: str

    def evaluate(self, recipes: pd.DataFrame) -> pd.DataFrame: ...


class SurrogateEvaluator:
    """The campaign's fitted model: properties predicted, instantly and without noise."""

    kind = "surrogate"

    def __init__(self, problem: RecipeProblem) -> None:
        self.problem = problem

    def evaluate(self, recipes: pd.DataFrame) -> pd.DataFrame:
        names = self.problem.names
        table = recipes.reset_index(drop=True)
        predicted = self.problem.predict(table[names].to_numpy(dtype=float))
        return pd.concat([table[["proposal_id"]], predicted], axis=1)


class LineEvaluator:
    """The virtual line, each evaluation with particles of its own.

    Args:
        problem: The campaign's problem (its space completes the recipes: a parameter the
            campaign fixes takes its value, one the line needs and the space lacks its
            space's middle).
        campaign_seed: Spawns the particle seed of every evaluation.
        grid: The line's grid (None: its default, 0.5 um voxels).
        stream: :data:`EVALUATION_STREAM` or :data:`VERIFICATION_STREAM`.
        workers: Line worker processes (None: up to :data:`IN_PROCESS_RECIPES` recipes in
            this process, more on the line's default cluster).
        calendering, calendering_model: The line's roll (see :func:`electroforge.line.run`).
    """

    kind = "line"

    def __init__(self, problem: RecipeProblem, campaign_seed: int, *, grid: int | None = None,
                 stream: int = EVALUATION_STREAM, workers: int | None = None,
                 calendering: str = "dem", calendering_model: str | None = None) -> None:
        self.problem = problem
        self.calendering, self.calendering_model = calendering, calendering_model
        self.campaign_seed = check_seed(campaign_seed)
        self.grid = grid
        self.stream = stream
        self.workers = workers

    def seeds(self, recipes: pd.DataFrame) -> list[int]:
        """One particle seed per row, from its ``proposal_id`` (and ``replicate`` if any)."""
        ids = recipes["proposal_id"].astype(int).tolist()
        replicates = (recipes["replicate"].astype(int).tolist() if "replicate" in recipes
                      else [None] * len(ids))
        return [particle_seed(self.campaign_seed, self.stream, i, *([] if r is None else [r]))
                for i, r in zip(ids, replicates)]

    def evaluate(self, recipes: pd.DataFrame) -> pd.DataFrame:
        from electroforge.line import run as line_run

        table = recipes.reset_index(drop=True)
        names = self.problem.names
        seeds = self.seeds(table)
        full = self.problem.recipes(table[names].to_numpy(dtype=float))
        missing = {p.name: (p.low + p.high) / 2 for p in self.problem.space
                   if p.name not in full}
        # starting worker processes costs about one recipe: worth it from four recipes on
        workers = self.workers if self.workers is not None else (
            0 if len(full) <= IN_PROCESS_RECIPES else None)
        props = line_run(full.assign(**missing), grid=self.grid, seed=seeds,
                         space=self.problem.space, progress=False, workers=workers,
                         calendering=self.calendering, calendering_model=self.calendering_model)
        failed = props.get("error", pd.Series([""] * len(props))).fillna("").astype(str) != ""
        if failed.any():
            raise InputError("the virtual line failed on a proposed recipe", field="evaluator",
                             value=props.loc[failed].iloc[0]["error"],
                             allowed="recipes the line can simulate")
        measured = props.drop(columns=[*names, "error"], errors="ignore")
        return pd.concat([table.drop(columns=["replicate"], errors="ignore"),
                          measured.assign(particle_seed=seeds)], axis=1)


class LabEvaluator:
    """The lab: recipes go out on an ask sheet and come back through ``tell``."""

    kind = "lab"

    def evaluate(self, recipes: pd.DataFrame) -> pd.DataFrame:
        raise InputError("a lab campaign is evaluated by the lab", field="evaluator",
                         value="lab", allowed="ask for a sheet, then tell its results")


def make_evaluator(kind: str, problem: RecipeProblem, *, seed: int = 0,
                   grid: int | None = None, stream: int = EVALUATION_STREAM,
                   workers: int | None = None, calendering: str = "dem",
                   calendering_model: str | None = None) -> Evaluator:
    """The evaluator of a campaign's ``[evaluator] kind``."""
    if kind == "surrogate":
        return SurrogateEvaluator(problem)
    if kind == "line":
        return LineEvaluator(problem, seed, grid=grid, stream=stream, workers=workers,
                             calendering=calendering, calendering_model=calendering_model)
    if kind == "lab":
        return LabEvaluator()
    raise InputError("unknown evaluator", field="evaluator.kind", value=kind,
                     allowed="surrogate, line, lab")


def verify_on_line(problem: RecipeProblem, best: dict, *, seed: int, key: int, n_seeds: int,
                   grid: int | None = None, workers: int | None = None) -> dict:
    """Make ``best`` (``recipe``, ``fixed``, ``properties``, ``cost``: what was predicted)
    again on the virtual line with ``n_seeds`` particle seeds of its own
    (:data:`VERIFICATION_STREAM`, spawned by ``key``); the predicted and measured values
    side by side, measured per seed (the objective's properties first, then everything
    else the line measured)."""
    verifier = LineEvaluator(problem, seed, grid=grid, stream=VERIFICATION_STREAM,
                             workers=workers)
    measured = verifier.evaluate(replicated(best["recipe"], key, n_seeds))
    seeds = [int(s) for s in measured["particle_seed"]]
    costs, feasible = problem.cost_of_table(measured)
    columns = [c for c in problem.objective.columns if c not in problem.names
               and c in measured.columns]
    columns += [c for c in measured.columns if c not in {*columns, *problem.names,
                                                         *problem.fixed, "proposal_id",
                                                         "particle_seed"}
                and pd.api.types.is_numeric_dtype(measured[c])]
    return {"recipe": dict(best["recipe"]), "fixed": dict(best["fixed"]), "grid": grid,
            "seeds": seeds,
            "predicted": {c: best["properties"][c] for c in columns if c in best["properties"]},
            "predicted_cost": best["cost"],
            "measured": {c: [float(v) for v in measured[c]] for c in columns},
            "measured_cost": [float(c) for c in costs],
            "measured_feasible": [bool(f) for f in feasible]}


def replicated(recipe: dict[str, float], proposal_id: int, n: int) -> pd.DataFrame:
    """``n`` rows of one recipe, ``replicate`` 0..n-1, for a verification."""
    rows = [{"proposal_id": proposal_id, "replicate": k, **recipe} for k in range(n)]
    return pd.DataFrame(rows)


def verification_rows(verification: dict) -> list[tuple[str, float | None, float, float]]:
    """(property or "cost", predicted or None, measured mean, sd over the seeds) of a
    verification, for its tables."""
    rows = [(name, verification["predicted"].get(name), values)
            for name, values in verification["measured"].items()]
    rows.append(("cost", verification["predicted_cost"], verification["measured_cost"]))
    return [(name, predicted, *spread(values)) for name, predicted, values in rows]


def spread(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample sd (0 for one value) of replicate measurements."""
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0
