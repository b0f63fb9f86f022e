"""A persistent campaign: ask/tell, simulated runs, status, recommendations, export.

Every operation opens the workspace's :class:`~electroforge.campaigns.store.Store`, holds
the campaign's lock while it changes anything, and commits each step in one transaction
with the package version: proposals with the optimizer state after an ask, measurements
with the optimizer state after a tell. A run killed between the two finds its proposals
pending and evaluates them first when it resumes.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from electroforge.campaigns.definition import (DEFAULT_VERIFY_SEEDS, MAX_VERIFY_SEEDS,
                                               CampaignDefinition)
from electroforge.campaigns.evaluators import (Evaluator, make_evaluator, spread,
                                               verification_rows, verify_on_line)
from electroforge.campaigns.hedge import GPHedge
from electroforge.campaigns.store import Store, utc_now
from electroforge.datasets.validation import cell_to_float
from electroforge.errors import InputError
from electroforge.objectives.recipe import RecipeProblem
from electroforge.space.domain import DataDomain, domain_text

__all__ = ["Campaign"]

_MATCH_TOLERANCE = 1e-6     # of each parameter's range: a told recipe is the proposal
_ID_TOLERANCE = 5e-3        # ... and a recipe told with its proposal_id, rounded by the lab
_BOOKKEEPING = {"proposal_id", "batch", "measurement_id", "cost", "feasible"}


#: A property's measurement standard deviation: the column ``<property>_sd``.
SD_SUFFIX = "_sd"


def _deviations(table: pd.DataFrame, properties: list[str], source: str
                ) -> dict[str, np.ndarray]:
    """Per property with a ``<property>_sd`` column, its standard deviations (NaN: not
    given), checked."""
    out = {}
    for name in properties:
        column = name + SD_SUFFIX
        if column not in table.columns:
            continue
        values = np.full(len(table), np.nan)
        for i, cell in enumerate(table[column], start=1):
            if _missing(cell):
                continue
            value = cell_to_float(cell)
            if not (math.isfinite(value) and value > 0):
                raise InputError("a standard deviation is a finite number > 0", source=source,
                                 row=i, field=column, value=repr(cell),
                                 allowed=f"> 0, in {name}'s unit (blank: unknown)")
            values[i - 1] = value
        out[name] = values
    return out


def _row_deviations(deviations: dict[str, np.ndarray], i: int) -> dict[str, float]:
    """Row ``i``'s (from 1) standard deviations, by column name, where given."""
    return {name + SD_SUFFIX: float(sd[i - 1]) for name, sd in deviations.items()
            if math.isfinite(sd[i - 1])}


def _cost_variances(cost_of_table, frame: pd.DataFrame, deviations: dict[str, np.ndarray]
                    ) -> list[float | None] | None:
    """The cost's variance per row by the delta method, ``sum_k (dC/dp_k)^2 sd_k^2`` over
    the properties with a standard deviation (central differences of the cost); None for
    rows without any, None for all where no column gives one."""
    given = np.zeros(len(frame), dtype=bool)
    variance = np.zeros(len(frame))
    for name, sd in deviations.items():
        known = np.isfinite(sd)
        if not known.any():
            continue
        given |= known
        value = frame[name].to_numpy(dtype=float)
        step = 1e-4 * np.maximum(np.abs(value), np.where(known, sd, 0.0)) + 1e-12
        up, down = frame.copy(), frame.copy()
        up[name], down[name] = value + step, value - step
        slope = (cost_of_table(up)[0] - cost_of_table(down)[0]) / (2 * step)
        variance += np.where(known, slope**2 * np.nan_to_num(sd) ** 2, 0.0)
    if not given.any():
        return None
    return [float(v) if g else None for v, g in zip(variance, given)]


def _version() -> str:
    from electroforge import __version__

    return __version__


class Campaign:
    """One named campaign of a workspace's store."""

    def __init__(self, store: Store, name: str, *, evaluator: Evaluator | None = None) -> None:
        """``evaluator`` replaces the definition's (any object with ``kind`` and
        ``evaluate(recipes) -> DataFrame``: a planted function, a neural surrogate)."""
        self.store = store
        self.name = name
        self._evaluator = evaluator
        self._calendering_model: str | None = None      # resolved once: hashes files
        stored = store.definition(name)
        try:
            self.definition = CampaignDefinition.from_dict(
                _stored_paths(stored, store, absolute=True))
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise store.damaged(f"the definition of campaign {name!r}",
                                f"{type(error).__name__}: {error}") from None
        where = f"campaign {name!r}" + (f" (model {self.definition.model})"
                                        if self.definition.model else "")
        self._check_calendering_model(where)
        try:
            self.problem = _problem(self.definition)
        except InputError as error:
            if error.source is not None:
                raise
            raise error.with_source(where) from None
        self._check_searched_box(where)

    def _check_calendering_model(self, where: str) -> None:
        """A neural-roll campaign's calendering model must be the file it started with."""
        pinned = self.definition.calendering_model_sha256
        if self.definition.calendering != "neural" or pinned is None:
            return
        from electroforge.campaigns.loop import file_sha256

        path = self.calendering_model_path()
        if not Path(path).is_file() or file_sha256(path) != pinned:
            own = self.definition.calendering_model is not None
            raise InputError("the calendering model is not the file the campaign started "
                             "with" + ("" if own else ": no model shipped with this "
                                       "electroforge is"), source=where,
                             field="evaluator.calendering_model",
                             value=str(path) if own else "the shipped models",
                             allowed=f"the file of sha256 {pinned[:12]}... "
                             "(or a new campaign)")

    def _check_searched_box(self, where: str) -> None:
        """The parameters searched now must be those the campaign started with: a model
        file replaced by one of other inputs would otherwise read stored recipes wrongly."""
        import numpy as np

        started = np.asarray(self.optimizer().box, dtype=float).T
        now = np.asarray(search_bounds(self.definition, self.problem), dtype=float)
        if started.shape != now.shape or not np.allclose(started, now, rtol=1e-12, atol=0):
            raise InputError("the campaign now searches other parameters than it started with "
                             "(was its model file replaced?)", source=where,
                             field="searched", value=", ".join(self.problem.names),
                             allowed=f"{started.shape[0]} parameters with the bounds "
                             + ", ".join(f"[{lo:g}, {hi:g}]" for lo, hi in started)
                             + " (a model over the same inputs, or a new campaign)")

    # -- creation -------------------------------------------------------------------------
    @staticmethod
    def prepare(definition: CampaignDefinition) -> GPHedge:
        """The optimizer a new campaign starts with; builds its problem (model, objective,
        space) first, so that a definition that cannot run is refused before any record."""
        definition.check_line_grid()
        problem = _problem(definition)
        return GPHedge(search_bounds(definition, problem), seed=definition.seed,
                       linear_constraints=_linear_constraints(definition, problem),
                       settings=definition.optimizer)

    @classmethod
    def create(cls, store: Store, definition: CampaignDefinition, *,
               evaluator: Evaluator | None = None) -> Campaign:
        """Record a new campaign (its problem is built first, so that it is usable)."""
        if definition.loop is not None and definition.loop.data_sha256 is None:
            # the starting data are pinned: a file edited later is refused, not re-read
            from dataclasses import replace

            from electroforge.campaigns.loop import file_sha256
            from electroforge.datasets import SUFFIXES
            from electroforge.paths import check_input_file

            check_input_file(definition.loop.data, suffixes=SUFFIXES, what="loop.data")
            definition = replace(definition, loop=replace(
                definition.loop, data_sha256=file_sha256(definition.loop.data)))
        if definition.calendering == "neural" and definition.calendering_model_sha256 is None:
            # the roll's model is pinned too: a file replaced later is refused
            from dataclasses import replace

            from electroforge.campaigns.loop import file_sha256
            from electroforge.surrogates.fields.calendering import shipped_model_path

            definition = replace(definition, calendering_model_sha256=file_sha256(
                definition.calendering_model or shipped_model_path()))
        optimizer = cls.prepare(definition)
        if definition.name in store.campaign_names():
            raise InputError("a campaign of this name exists", source=str(store.path),
                             field="name", value=repr(definition.name),
                             allowed="a new name (campaign status NAME shows the existing one)")
        store.insert_campaign(definition.name,
                              _stored_paths(definition.to_dict(), store, absolute=False),
                              definition.seed, optimizer.state(), _version())
        return cls(store, definition.name, evaluator=evaluator)

    # -- state ----------------------------------------------------------------------------
    def optimizer(self) -> GPHedge:
        state = self.store.optimizer_state(self.name)
        try:
            optimizer = GPHedge.from_state(state)
            optimizer.probabilities        # the gains must make odds: read them once here
            return optimizer
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            raise self.store.damaged(f"the optimizer state of campaign {self.name!r}",
                                     f"{type(error).__name__}: {error}") from None

    def proposals(self, status: str | None = None) -> pd.DataFrame:
        rows = self.store.rows("proposals", self.name, *(("AND status = ?", (status,))
                                                          if status else ()))
        return _proposal_frame(rows, self.problem, self.store)

    def measurements(self) -> pd.DataFrame:
        rows = self.store.rows("measurements", self.name)
        records = [{"measurement_id": r["id"], "proposal_id": r["proposal_id"],
                    "source": r["source"], "created_at": r["created_at"],
                    **_table_json(self.store, r["recipe"], f"measurement {r['id']}"),
                    **_table_json(self.store, r["properties"], f"measurement {r['id']}"),
                    "cost": _stored_cost(self.store, r["cost"], r["id"])}
                   for r in rows]
        return pd.DataFrame.from_records(records)

    @property
    def n_measured(self) -> int:
        return self.store.count("measurements", self.name)

    # -- ask / tell -----------------------------------------------------------------------
    def ask(self, n: int, *, sheet: Callable[[pd.DataFrame], Any] | None = None
            ) -> pd.DataFrame:
        """Propose ``n`` recipes, recorded as pending; returns them with their ids.

        ``sheet``, if given, is called with the proposals inside the recording transaction
        (to write them for the lab): if it raises, nothing is recorded."""
        with self.store.lock(self.name):
            return self._ask(n, sheet=sheet)

    def _ask(self, n: int, *, sheet: Callable[[pd.DataFrame], Any] | None = None
             ) -> pd.DataFrame:
        pending = len(self.proposals("pending"))
        left = self.definition.budget - self.n_measured - pending
        if n > left:
            raise InputError("the budget does not allow that many proposals", field="--n",
                             value=n, allowed=f"<= {max(left, 0)} (budget "
                             f"{self.definition.budget}, {self.n_measured} measured, "
                             f"{pending} pending)")
        optimizer = self.optimizer()
        round_content = None
        if self.definition.loop is not None:
            state = self.loop_state()
            if state["stopped"] not in (None, "budget"):
                raise InputError("the closed loop has stopped: " + state["stopped"],
                                 field="loop.patience", value=state["patience"],
                                 allowed="a recommendation (campaign status / report), or a "
                                 "new campaign with more patience")
            points, round_content = self._loop_points(n)
        else:
            # The budget's last recipe exploits the GP (no later recipe learns from
            # exploring).
            points = optimizer.ask(n, greedy=n == left)
        with self.store.transaction() as db:
            batch, ids = self.store.insert_proposals(
                db, self.name, [dict(zip(self.problem.names, x)) for x in points], _version())
            if round_content is not None:
                self.store.insert_round(db, self.name, round_content | {
                    "batch": batch, "proposal_ids": ids}, _version())
            self._save_state(db, optimizer)
            frame = self.proposals()
            frame = frame[frame["proposal_id"].isin(ids)].reset_index(drop=True)
            if sheet is not None:
                sheet(frame)
        return frame

    def tell(self, table: pd.DataFrame, *, source: str = "results", external: bool = False
             ) -> int:
        """Record measured properties of proposed recipes (or, with ``external``, of recipes
        made outside the proposals). Everything is checked before anything is recorded.

        A column ``<property>_sd`` gives a property's measurement standard deviation (same
        unit; blank: unknown): the cost's noise variance follows by the delta method, and
        GP-Hedge takes it as known (``tell(..., variances=)``) instead of inferring it."""
        with self.store.lock(self.name):
            return self._tell(table, source=source, external=external)

    def _tell(self, table: pd.DataFrame, *, source: str, external: bool,
              kind: str = "lab") -> int:
        if table.empty:
            raise InputError("no rows to record", source=source, allowed="one row per recipe")
        names = self.problem.names
        properties = [c for c in self.problem.objective.columns
                      if c not in self.problem.space.names]
        for column in names + properties:
            if column not in table.columns:
                raise InputError("missing column", source=source, field=column,
                                 allowed="columns " + ", ".join(
                                     ["proposal_id"] + names + properties)
                                 + f" (found: {', '.join(map(str, table.columns)) or 'none'})")
        deviations = _deviations(table, properties, source)
        others = self._other_columns(table, properties, deviations)
        pending = self.proposals("pending")
        by_id = pending.set_index("proposal_id")
        claimed: dict[int, int] = {}
        measured = self.measurements()
        X, records = [], []
        for i, row in enumerate(table.itertuples(index=False, name=None), start=1):
            row = dict(zip(table.columns, row))
            for column in names + properties:
                value = cell_to_float(row[column])
                if not math.isfinite(value):
                    raise InputError("not a finite number", source=source, row=i, field=column,
                                     value=repr(row[column]), allowed="a finite number")
            recipe = {n: cell_to_float(row[n]) for n in names}
            for n in names:
                p = self.problem.space[n]
                if not p.low <= recipe[n] <= p.high:
                    raise InputError("outside the campaign's space", source=source, row=i,
                                     field=n, value=recipe[n],
                                     allowed=f"{p.low:g} <= {n} <= {p.high:g}")
            self._check_fixed(row, source, i)
            if kind != "surrogate":
                _check_physical(row, properties + others, source, i)
            given = _proposal_id(row.get("proposal_id"), source, i)
            row["proposal_id"] = given
            if given is not None and given in claimed:
                # before matching: a repeated id with other values is a repeat, not a mismatch
                raise InputError("the same proposal appears twice", source=source, row=i,
                                 field="proposal_id", value=given,
                                 allowed=f"each once (first in row {claimed[given]})")
            proposal = self._match(row, recipe, pending, by_id, source, i, claimed)
            if proposal is None and not external:
                raise InputError("not a pending proposal of this campaign", source=source,
                                 row=i, field="recipe", value=_text(recipe),
                                 allowed="a proposed recipe (proposal_id column or its exact "
                                 "values), or --external for recipes made outside the proposals")
            if proposal is None:
                self._warn_if_near_pending(recipe, pending, source, i)
                recipe.update(self._known_recipe(recipe, measured))   # a replicate
            if proposal is not None:
                if proposal in claimed:
                    raise InputError("the same proposal appears twice", source=source, row=i,
                                     field="proposal_id", value=proposal,
                                     allowed=f"each once (first in row {claimed[proposal]})")
                claimed[proposal] = i
                x = list(by_id.loc[proposal, names].astype(float))
            else:
                x = [recipe[n] for n in names]
            X.append(x)
            extras = {c: float(row[c]) for c in others
                      if pd.notna(row[c]) and math.isfinite(float(row[c]))} | _row_deviations(
                deviations, i)
            records.append((proposal, dict(zip(names, x)),
                            {c: cell_to_float(row[c]) for c in properties} | extras))
        self._check_new_measurements(records, source)
        frame = pd.DataFrame([{**r, **p} for _, r, p in records])
        try:
            costs, _ = self.problem.cost_of_table(frame)
            variances = _cost_variances(self.problem.cost_of_table, frame, deviations)
        except InputError as error:
            raise (error.with_source(source) if error.source is None else error) from None
        for i, cost in enumerate(costs, start=1):
            if not math.isfinite(float(cost)):
                raise InputError("the row's properties give a cost that is not finite",
                                 source=source, row=i, field="cost", value=float(cost),
                                 allowed="properties of a physical size (the objective "
                                 "overflowed)")
        optimizer = self.optimizer()
        optimizer.tell(X, [float(c) for c in costs], variances=variances)
        with self.store.transaction() as db:
            for (proposal, recipe, props), cost in zip(records, costs):
                self.store.insert_measurement(
                    db, self.name, proposal, recipe, props, cost,
                    kind if proposal is not None else "external", _version())
            self._save_state(db, optimizer)
        return len(records)

    def _other_columns(self, table: pd.DataFrame, properties: list[str],
                       deviations: dict[str, np.ndarray]) -> list[str]:
        """The table's further numeric columns, kept with each measurement (the line's
        further properties, a lab's extra measurements; not the standard deviations)."""
        known = {*self.problem.names, *properties, *self.problem.fixed, *_BOOKKEEPING}
        return [c for c in table.columns if c not in known
                and c[:-len(SD_SUFFIX)] not in deviations
                and pd.api.types.is_numeric_dtype(table[c])]

    def _warn_if_near_pending(self, recipe: dict, pending: pd.DataFrame, source: str,
                              i: int) -> None:
        """An external recipe within the lab's rounding of a pending proposal is most likely
        that proposal: recorded twice otherwise (the proposal stays pending)."""
        import warnings

        from electroforge.errors import ElectroforgeWarning

        for candidate in pending.itertuples(index=False):
            if self._same_recipe(candidate, recipe, _ID_TOLERANCE):
                warnings.warn(f"{source}: row {i}: the recipe {_text(recipe)} is within rounding "
                              f"of pending proposal {candidate.proposal_id}: recorded as an "
                              "external recipe; give its proposal_id if it is that proposal",
                              ElectroforgeWarning, stacklevel=2)
                return

    def _check_new_measurements(self, records: list, source: str) -> None:
        """Recipes attached with --external count against the budget. A recipe measured
        again is a replicate: the optimizer pools a recipe's replicates and takes its noise
        from them (``[optimizer] noise``)."""
        external = [i for i, (proposal, _, _) in enumerate(records, start=1)
                    if proposal is None]
        if not external:
            return
        left = self.definition.budget - self.n_measured
        if len(records) > left:
            raise InputError("the budget does not allow that many measurements", source=source,
                             field="recipe", value=f"{len(records)} rows",
                             allowed=f"<= {max(left, 0)} (budget {self.definition.budget}, "
                             f"{self.n_measured} measured)")

    def _check_fixed(self, row: dict, source: str, i: int) -> None:
        """A column of a parameter the campaign holds fixed must hold that value."""
        for name, fixed in self.problem.fixed.items():
            if name not in row or _missing(row[name]):
                continue
            value = cell_to_float(row[name])
            if not (math.isfinite(value) and abs(value - fixed) <= 1e-9 * max(1.0, abs(fixed))):
                raise InputError("the campaign holds this parameter fixed", source=source,
                                 row=i, field=name, value=repr(row[name]),
                                 allowed=f"{fixed:g} (or leave the column out)")

    def _match(self, row: dict, recipe: dict, pending: pd.DataFrame, by_id: pd.DataFrame,
               source: str, i: int, claimed: dict[int, int]) -> int | None:
        if row.get("proposal_id") is not None:
            proposal = row["proposal_id"]
            if proposal not in by_id.index:
                told = proposal in set(self.proposals()["proposal_id"])
                raise InputError("this proposal was already told" if told else
                                 "no pending proposal has this id", source=source, row=i,
                                 field="proposal_id", value=proposal,
                                 allowed="ids of pending proposals: " + (", ".join(
                                     map(str, pending["proposal_id"])) or "none"))
            made = by_id.loc[proposal]
            for n in self.problem.names:
                width = self.problem.space[n].high - self.problem.space[n].low
                if abs(float(made[n]) - recipe[n]) > _ID_TOLERANCE * width:
                    raise InputError("the recipe differs from the proposal", source=source,
                                     row=i, field=n, value=recipe[n],
                                     allowed=f"{float(made[n]):.6g} as proposed (attach a "
                                     "different recipe with --external)")
            return proposal
        for candidate in pending.itertuples(index=False):
            if (self._same_recipe(candidate, recipe, _MATCH_TOLERANCE)
                    and int(candidate.proposal_id) not in claimed):
                return int(candidate.proposal_id)
        return None

    def _known_recipe(self, recipe: dict, measured: pd.DataFrame) -> dict:
        """The stored values of a measured recipe ``recipe`` repeats (within
        ``_MATCH_TOLERANCE`` of each range: a lab's rounding), so that the optimizer pools
        the replicates; else ``{}``."""
        for row in measured.itertuples(index=False):
            if self._same_recipe(row, recipe, _MATCH_TOLERANCE):
                return {n: float(getattr(row, n)) for n in self.problem.names}
        return {}

    def _same_recipe(self, row: Any, recipe: dict, tolerance: float) -> bool:
        """``row`` (a proposal or measurement) is ``recipe`` within ``tolerance`` of each
        searched parameter's range."""
        return all(abs(getattr(row, n) - recipe[n]) <= tolerance * self.problem.space[n].span
                   for n in self.problem.names)

    def _save_state(self, db, optimizer: GPHedge) -> None:
        self.store.save_optimizer_state(db, self.name, optimizer.state())

    # -- simulated runs -------------------------------------------------------------------
    def run(self, iterations: int | None = None, *, kind: str = "manual",
            scheduled_for: str | None = None,
            progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Advance a surrogate or line campaign by ``iterations`` batches (default: the
        definition's ``iterations``, else to the budget); ends with a recommendation."""
        if self.definition.evaluator == "lab":
            raise InputError("a lab campaign advances by ask and tell, not run", field="campaign",
                             value=self.name, allowed="campaign ask / campaign tell")
        progress = progress or (lambda text: print(text, file=sys.stderr, flush=True))
        with self.store.lock(self.name):
            run_id = self._start_run(kind, scheduled_for)
            try:
                pending = self.proposals("pending")
                if len(pending):
                    progress(f"evaluating {len(pending)} pending proposals of an interrupted run")
                    self._tell(self._evaluate(pending), source="evaluator", external=False,
                               kind=self.definition.evaluator)
                iterations = iterations or self.definition.iterations or math.inf
                planned = min(iterations, math.ceil((self.definition.budget - self.n_measured)
                                                    / self.definition.batch_size))
                every = max(1, planned // 10)
                done = 0
                while (done < iterations and self.n_measured < self.definition.budget
                       and not self._loop_stopped(progress)
                       and not self._hedge_stopped(progress)):
                    n = min(self.definition.batch_size, self.definition.budget - self.n_measured)
                    asked = self._ask(n)
                    self._tell(self._evaluate(asked), source="evaluator", external=False,
                               kind=self.definition.evaluator)
                    done += 1
                    if self.definition.loop is not None:
                        progress(round_line(self.rounds()[-1])
                                 + f"; best measured {self.best()['cost']:.5f}")
                    elif done % every == 0 or self.n_measured >= self.definition.budget:
                        progress(f"  {self.n_measured:>4}/{self.definition.budget}  best cost "
                                 f"{self.best()['cost']:.5f}")
                if ((self.n_measured >= self.definition.budget or self._loop_stopped()
                     or self._hedge_stopped()) and self.definition.verification_seeds):
                    try:
                        self._verify(self.definition.verification_seeds, progress=progress)
                    except InputError as error:     # the recommendation still stands
                        progress(f"the verification on the line failed, recommending "
                                 f"without it: {error}")
                recommendation = self._recommend()
                self._finish_run(run_id, "done")
            except BaseException:
                self._finish_run(run_id, "failed")
                raise
        return recommendation

    def _loop_stopped(self, progress: Callable[[str], None] | None = None) -> bool:
        """A closed loop whose measured best has not improved for ``patience`` rounds."""
        state = self.loop_state()
        if state is None or state["stopped"] in (None, "budget"):
            return False
        if progress is not None:
            progress(f"  the closed loop stops: {state['stopped']} (patience "
                     f"{state['patience']})")
        return True

    def _hedge_stopped(self, progress: Callable[[str], None] | None = None) -> bool:
        """The optimizer's stopping rule fired (``[optimizer] stop_improvement``)."""
        reason = self.optimizer().stop_reason
        if reason is not None and progress is not None:
            progress(f"  the campaign stops: {reason}")
        return reason is not None

    def scheduled_run(self, fire_time: str) -> dict[str, Any] | None:
        """The run of one cron fire time: a surrogate or line campaign advances; a lab
        campaign gets a dated recommendation of its best measured recipe (None while
        nothing is measured). A campaign its stopping rule has stopped evaluates nothing:
        the run is recorded as ``stopped`` and None returned."""
        if self.optimizer().stop_reason is not None:
            with self.store.lock(self.name):
                self._finish_run(self._start_run("scheduled", fire_time), "stopped")
            return None
        if self.definition.evaluator != "lab":
            return self.run(kind="scheduled", scheduled_for=fire_time)
        with self.store.lock(self.name):
            run_id = self._start_run("scheduled", fire_time)
            recommendation = self._recommend() if self.n_measured else None
            self._finish_run(run_id, "done")
        return recommendation

    @property
    def evaluator(self) -> Evaluator:
        """The campaign's evaluator (:mod:`electroforge.campaigns.evaluators`)."""
        if self._evaluator is not None:
            return self._evaluator
        return make_evaluator(self.definition.evaluator, self.problem,
                              seed=self.definition.seed, grid=self.definition.grid,
                              calendering=self.definition.calendering,
                              calendering_model=(self.calendering_model_path()
                                                 if self.definition.calendering == "neural"
                                                 else None))

    def calendering_model_path(self) -> str:
        """The file of a neural roll: the campaign's own, or the shipped model it pinned
        when it started (a campaign keeps its model when a later electroforge ships another
        default; one made before models were pinned ran the direct model, then the only
        one shipped), else the default one (which the pin check then refuses)."""
        if self._calendering_model is None:
            self._calendering_model = self._resolved_calendering_model()
        return self._calendering_model

    def _resolved_calendering_model(self) -> str:
        if self.definition.calendering_model:
            return self.definition.calendering_model
        from electroforge.campaigns.loop import file_sha256
        from electroforge.surrogates.fields.calendering import (shipped_model_files,
                                                                shipped_model_path)

        pinned = self.definition.calendering_model_sha256
        if pinned is None:
            return str(shipped_model_path("direct"))
        for path in shipped_model_files():          # today's, then the retired defaults
            if path.is_file() and file_sha256(path) == pinned:
                return str(path)
        return str(shipped_model_path())

    def _evaluate(self, proposals: pd.DataFrame) -> pd.DataFrame:
        return self.evaluator.evaluate(proposals[["proposal_id"] + self.problem.names])

    def _start_run(self, kind: str, scheduled_for: str | None) -> int:
        return self.store.start_run(self.name, kind, scheduled_for)

    def _finish_run(self, run_id: int, status: str) -> None:
        self.store.finish_run(run_id, status)

    # -- closed loop ----------------------------------------------------------------------
    def _loop_data(self) -> tuple[pd.DataFrame, int, list[str]]:
        """All the loop's data (starting rows, then measured), the starting rows' count and
        the fitted properties."""
        from electroforge.campaigns.loop import all_data, loop_properties, read_start_data

        settings = self.definition.loop
        properties = loop_properties(settings, self.problem.objective.columns,
                                     self.problem.space.names)
        start, inputs = read_start_data(settings, self.problem.space, properties)
        measured = self.measurements()
        for name in inputs:
            if name not in self.problem.names and not measured.empty:
                measured[name] = self.problem.space[name].fixed    # made at the fixed value
        data = all_data(start, measured, [*inputs, *properties])
        return data, len(start), properties

    def _loop_model(self, data: pd.DataFrame, properties: list[str], path):
        """Fit the equations on ``data``, save them to ``path``; the model and the problem
        of optimizing through it."""
        from electroforge.campaigns.loop import fit_round

        inputs = [c for c in data.columns if c not in properties]
        model = fit_round(data, inputs, properties, self.problem.space,
                          settings=self.definition.loop, seed=self.definition.seed)
        model.save(path)
        return model, RecipeProblem(model, self.problem.spec, self.problem.space)

    def _loop_points(self, n: int) -> tuple[list[list[float]], dict[str, Any]]:
        """One round of the closed loop: fit on everything, search the surrogate in the
        trust region, ``n`` candidates; what the round's record holds."""
        from electroforge.campaigns.evaluators import particle_seed
        from electroforge.campaigns.loop import LOOP_STREAM, file_sha256, search_round

        k = len(self.store.rounds(self.name)) + 1
        data, n_start, properties = self._loop_data()
        path = self.store.workspace / self.name / "models" / f"round_{k:03d}.json"
        model, problem = self._loop_model(data, properties, path)
        X = data[self.problem.names].to_numpy(dtype=float)
        box = (self.problem.bounds if self.definition.trust_margin is None else
               DataDomain(tuple(self.problem.names), X, tuple(self.problem.bounds))
               .trust_bounds(self.definition.trust_margin))
        points, predicted, surrogate_best = search_round(
            problem, box, n, loop=self.definition.loop,
            seed=particle_seed(self.definition.seed, LOOP_STREAM, k),
            measured=np.vstack([X, self.proposals("pending")[self.problem.names]
                                .to_numpy(dtype=float).reshape(-1, X.shape[1])]),
            settings=self.definition.optimizer,
            linear_constraints=_linear_constraints(self.definition, problem))
        columns = [c for c in predicted.columns if c not in self.problem.names
                   and c not in problem.fixed and c != "feasible"]
        return points, {
            "round": k, "created_at": utc_now(), "model": self.store.stored_path(path),
            "model_sha256": file_sha256(path), "n_data": len(data), "n_start": n_start,
            "properties": properties,
            "equations": {name: str(eq) for name, eq in model.equations().items()},
            "search_box": {name: list(b) for name, b in zip(self.problem.names, box)},
            "trust_margin": self.definition.trust_margin, "surrogate_best": surrogate_best,
            "predicted": [{c: float(row[c]) for c in columns}
                          for _, row in predicted.iterrows()]}

    def rounds(self) -> list[dict[str, Any]]:
        """The closed loop's rounds, oldest first, each proposal's prediction beside its
        measurement (``measured``: the properties and ``cost``, None while pending)."""
        measured = self.measurements()
        by_proposal = ({} if measured.empty else
                       {int(r["proposal_id"]): r for _, r in measured.iterrows()
                        if pd.notna(r["proposal_id"])})
        out = []
        for content in self.store.rounds(self.name):
            rows = []
            for proposal, predicted in zip(content.get("proposal_ids", []),
                                           content["predicted"]):
                row = by_proposal.get(int(proposal))
                rows.append({"proposal_id": int(proposal), "predicted": predicted,
                             "measured": None if row is None else
                             {c: float(row[c]) for c in predicted if c in row and pd.notna(row[c])}})
            out.append(content | {"proposals": rows})
        return out

    def loop_state(self) -> dict[str, Any] | None:
        """Where a closed loop stands: rounds done, rounds since the measured best last
        improved, and whether it has stopped (patience spent or budget reached)."""
        from electroforge.campaigns.loop import rounds_without_improvement

        if self.definition.loop is None:
            return None
        rounds = self.rounds()
        done = [r for r in rounds if all(p["measured"] is not None for p in r["proposals"])]
        bests = [min(p["measured"]["cost"] for p in r["proposals"]) for r in done]
        since = rounds_without_improvement(bests)
        patience = self.definition.loop.patience
        reason = ("budget" if self.n_measured >= self.definition.budget else
                  f"no better measured cost in {since} rounds" if since >= patience else None)
        return {"rounds": len(rounds), "completed": len(done), "since_improvement": since,
                "patience": patience, "stopped": reason}

    def _loop_pick(self) -> dict[str, Any] | None:
        """The measured recipe the model fitted on everything predicts best (module doc of
        :mod:`electroforge.campaigns.loop`), with that prediction."""
        measured = self.measurements()
        if measured.empty:
            return None
        from electroforge.campaigns.loop import file_sha256

        data, _, properties = self._loop_data()
        path = (self.store.workspace / self.name / "models"
                / f"final_{self.n_measured:04d}.json")
        _, problem = self._loop_model(data, properties, path)
        predicted = problem.predict(measured[self.problem.names].to_numpy(dtype=float))
        i = int(predicted["cost"].to_numpy().argmin())
        row = measured.iloc[i]
        best = self._best_of_row(row)
        columns = [c for c in predicted.columns if c not in self.problem.names
                   and c not in problem.fixed and c != "feasible"]
        return best | {"predicted": {c: float(predicted[c].iloc[i]) for c in columns
                                     if c != "cost"},
                       "predicted_cost": float(predicted["cost"].iloc[i]),
                       "model": self.store.stored_path(path), "model_sha256": file_sha256(path)}

    # -- results --------------------------------------------------------------------------
    def best(self) -> dict[str, Any] | None:
        """The measured recipe of lowest cost (infeasible recipes cost more than 1 + their
        cost, so a feasible one wins whenever there is one)."""
        table = self.measurements()
        if table.empty:
            return None
        return self._best_of_row(table.loc[table["cost"].idxmin()])

    def _posterior_best(self) -> dict[str, Any] | None:
        optimizer = self.optimizer()
        table = self.measurements()
        if len(optimizer.y) < 2 or table.empty:
            return self.best()
        chosen = optimizer.recommend()
        recipe = dict(zip(self.problem.names, chosen["x"]))
        rows = table[[self._same_recipe(row, recipe, _MATCH_TOLERANCE)
                      for row in table.itertuples()]]
        if rows.empty:           # not a measured recipe (cannot happen): the best measured
            return self.best()
        posterior = {k: chosen[k] for k in ("fun", "low", "high", "level", "observed",
                                            "replicates", "rule")}
        return self._best_of_row(rows.iloc[-1]) | {"posterior": posterior}

    def _best_of_row(self, row: pd.Series) -> dict[str, Any]:
        return {"recipe": {n: float(row[n]) for n in self.problem.names},
                "fixed": dict(self.problem.fixed),
                "properties": {c: float(row[c]) for c in row.index if c not in (
                    {"measurement_id", "proposal_id", "source", "created_at", "cost"}
                    | set(self.problem.names)) and pd.notna(row[c])},
                "cost": float(row["cost"]), "measurement_id": int(row["measurement_id"])}

    def recommended(self) -> dict[str, Any] | None:
        """What the campaign recommends: for a line or lab campaign (noisy measurements)
        the measured recipe of best GP posterior mean (:meth:`GPHedge.recommend`, with its
        interval under ``"posterior"``); for a surrogate campaign (no noise) its best
        measured recipe; for a closed loop the measured recipe its last model predicts
        best (:meth:`_loop_pick`)."""
        if self.definition.loop is None:
            return self._posterior_best() if self.definition.evaluator != "surrogate" \
                else self.best()
        cached = getattr(self, "_pick", None)
        if cached is None or cached[0] != self.n_measured:
            self._pick = cached = (self.n_measured, self._loop_pick())
        return cached[1]

    def verify(self, n_seeds: int | None = None, *, workers: int | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Make the best recipe again on the virtual line with ``n_seeds`` particle seeds of
        its own (default: the definition's ``verify_seeds``, else 3) and record what was
        predicted beside what was measured. A verification already made of the same
        recipe with as many seeds is returned as it is."""
        n = self.definition.verification_seeds or DEFAULT_VERIFY_SEEDS \
            if n_seeds is None else n_seeds
        with self.store.lock(self.name):
            return self._verify(n, workers=workers, progress=progress)

    def verify_in_lab(self, table: pd.DataFrame, *, source: str = "replicates"
                      ) -> dict[str, Any]:
        """Record the lab's replicates of the recommended recipe (one row each: the recipe
        and the objective's properties) as its verification, beside what the campaign
        measured once; checked before anything is recorded."""
        if self.definition.evaluator != "lab":
            raise InputError("replicates are recorded for a lab campaign", field="campaign",
                             value=self.name, allowed="campaign verify NAME --seeds N (made "
                             "again on the virtual line)")
        with self.store.lock(self.name):
            best = self.recommended()
            if best is None:
                raise InputError("nothing measured yet: nothing to verify", field="campaign",
                                 value=self.name, allowed="tell results first")
            measured = self._replicates(table, best, source)
            costs, feasible = self.problem.cost_of_table(measured)
            columns = [c for c in measured.columns if c not in {*self.problem.names,
                                                                 *self.problem.fixed}]
            content = {"campaign": self.name, "created_at": utc_now(), "version": _version(),
                       "measurement_id": best["measurement_id"], "predicted_by": "lab",
                       "made_by": "lab", "source": source, "recipe": dict(best["recipe"]),
                       "fixed": dict(best["fixed"]), "grid": None,
                       "seeds": list(range(1, len(measured) + 1)),
                       "predicted": {c: best["properties"][c] for c in columns
                                     if c in best["properties"]},
                       "predicted_cost": best["cost"],
                       "measured": {c: [float(v) for v in measured[c]] for c in columns},
                       "measured_cost": [float(c) for c in costs],
                       "measured_feasible": [bool(f) for f in feasible]}
            self.store.add_verification(self.name, best["measurement_id"], content, _version())
            return content

    def _replicates(self, table: pd.DataFrame, best: dict, source: str) -> pd.DataFrame:
        """The replicate rows of ``best``'s recipe: its parameters (within the lab's
        rounding) and the objective's properties, finite and physical."""
        names = self.problem.names
        properties = [c for c in self.problem.objective.columns if c not in self.problem.space]
        if table.empty:
            raise InputError("no replicate rows", source=source,
                             allowed="one row per replicate of the recommended recipe")
        for column in names + properties:
            if column not in table.columns:
                raise InputError("missing column", source=source, field=column,
                                 allowed="columns " + ", ".join(names + properties))
        deviations = _deviations(table, properties, source)
        others = self._other_columns(table, properties, deviations)
        rows = []
        for i, row in enumerate(table.to_dict("records"), start=1):
            for column in names + properties:
                value = cell_to_float(row[column])
                if not math.isfinite(value):
                    raise InputError("not a finite number", source=source, row=i, field=column,
                                     value=repr(row[column]), allowed="a finite number")
            for n in names:
                width = self.problem.space[n].span
                if abs(cell_to_float(row[n]) - best["recipe"][n]) > _ID_TOLERANCE * width:
                    raise InputError("not the recommended recipe", source=source, row=i,
                                     field=n, value=row[n],
                                     allowed=f"{best['recipe'][n]:.6g} (the recommendation)")
            self._check_fixed(row, source, i)
            _check_physical(row, properties + others, source, i)
            rows.append({**best["recipe"], **{c: cell_to_float(row[c]) for c in properties},
                         **{c: float(row[c]) for c in others if pd.notna(row[c])},
                         **_row_deviations(deviations, i)})
        return pd.DataFrame(rows)

    def verifications(self) -> list[dict[str, Any]]:
        """Every verification of the campaign, oldest first."""
        return self.store.verifications(self.name)

    def _verify(self, n_seeds: int, *, workers: int | None = None,
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        if self.definition.evaluator == "lab":
            raise InputError("a lab campaign is not verified on the line", field="campaign",
                             value=self.name, allowed="make the recommended recipe again in "
                             "the lab and record the replicates: campaign verify NAME "
                             "--results replicates.csv")
        if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or not (
                1 <= n_seeds <= MAX_VERIFY_SEEDS):
            raise InputError("the number of verification seeds", field="seeds",
                             value=repr(n_seeds), allowed=f"an integer from 1 to "
                             f"{MAX_VERIFY_SEEDS} (3 or more for a spread)")
        best = self.recommended()
        if best is None:
            raise InputError("nothing measured yet: nothing to verify", field="campaign",
                             value=self.name, allowed="run the campaign or tell results first")
        done = [v for v in self.store.verifications(self.name, best["measurement_id"])
                if len(v["seeds"]) == n_seeds and v.get("made_by", "line") == "line"]
        if done:
            return done[-1]
        if progress is not None:
            progress(f"verifying the recommended recipe on the virtual line ({n_seeds} "
                     f"particle seeds of its own)")
        predicted_by = self.definition.evaluator
        if self.definition.loop is not None:    # the loop's last model predicts it
            best = best | {"properties": best["predicted"], "cost": best["predicted_cost"]}
            predicted_by = "loop"
        content = {"campaign": self.name, "created_at": utc_now(), "version": _version(),
                   "measurement_id": best["measurement_id"],
                   "predicted_by": predicted_by} | verify_on_line(
            self.problem, best, seed=self.definition.seed, key=best["measurement_id"],
            n_seeds=n_seeds, grid=self.definition.grid, workers=workers)
        self.store.add_verification(self.name, best["measurement_id"], content, _version())
        if progress is not None:
            mean, sd = spread(content["measured_cost"])
            progress(f"  cost predicted {best['cost']:.4f}, measured {mean:.4f} +- {sd:.4f} "
                     f"(sd over {n_seeds} seeds)")
        return content

    def recommend(self) -> dict[str, Any]:
        with self.store.lock(self.name):
            return self._recommend()

    def _recommend(self) -> dict[str, Any]:
        best = self.recommended()
        if best is None:
            raise InputError("nothing measured yet: no recommendation", field="campaign",
                             value=self.name, allowed="run the campaign or tell results first")
        created = utc_now()
        verified = self.store.verifications(self.name, best["measurement_id"])
        if verified:
            best = best | {"verification": verified[-1]}
        domain = data_domain(self.definition, self.problem)
        if domain is not None:
            best = best | {"domain": domain.check(best["recipe"])}
        if self.definition.loop is not None:
            best = best | {"loop": self.loop_state()}
        content = {"campaign": self.name, "created_at": created, **best,
                   "n_measured": self.n_measured, "budget": self.definition.budget,
                   "objective": self.problem.rate_note, "seed": self.definition.seed,
                   "version": _version()}
        folder = self.store.workspace / self.name / "recommendations"
        path = folder / f"{created.replace(':', '').replace('+0000', 'Z')}.md"
        from electroforge.atomic import atomic_write_text

        atomic_write_text(path, _markdown(content, self.problem))
        self.store.insert_recommendation(self.name, created, json.dumps(content),
                                         self.store.stored_path(path))
        content["path"] = str(path)
        return content

    def status(self) -> dict[str, Any]:
        runs = self.store.rows("runs", self.name)
        recommendations = self.store.rows("recommendations", self.name)
        optimizer = self.optimizer()
        return {"name": self.name, "evaluator": self.definition.evaluator,
                "created_at": self.store.campaign_row(self.name)["created_at"],
                "budget": self.definition.budget, "measured": self.n_measured,
                "pending": len(self.proposals("pending")), "best": self.best(),
                "hedge": optimizer.probabilities if optimizer.steps else None,
                "stopping": self._stopping(optimizer),
                "schedule": self.definition.schedule,
                "last_run": dict(runs[-1]) if runs else None,
                "last_recommendation": (str(self.store.resolve_path(recommendations[-1]["path"]))
                                        if recommendations else None),
                "objective": self.problem.rate_note, "searched": self.problem.names,
                "fixed": self.problem.fixed, "constraints": list(self.definition.constraints),
                "loop": self.loop_state()}

    def _stopping(self, optimizer: GPHedge) -> dict[str, Any] | None:
        settings = optimizer.settings
        if settings.stop_improvement is None:
            return None
        return {"threshold": settings.stop_improvement, "decisions": settings.stop_decisions,
                "expected_improvement": optimizer.expected_improvement,
                "stopped": optimizer.stop_reason}

    def export(self) -> pd.DataFrame:
        """Proposals and measurements, one row each, recipe and property columns spread."""
        proposals = self.proposals().assign(kind="proposal")
        measurements = self.measurements().assign(kind="measurement")
        table = pd.concat([proposals, measurements], ignore_index=True, sort=False)
        for column in ("proposal_id", "batch", "measurement_id"):
            if column in table:
                table[column] = table[column].astype("Int64")
        return table


def _problem(definition: CampaignDefinition) -> RecipeProblem:
    if definition.loop is not None:
        return _loop_problem(definition)
    model = None
    if definition.model is not None:
        from electroforge.surrogates import load_surrogate

        model = load_surrogate(definition.model, properties=True)
    if definition.evaluator != "surrogate" and model is not None:
        # the model only lends its training data's ranges as scaling bounds
        bounds = getattr(model, "output_bounds_", {})
        spec = definition.objective
        targets = tuple(t if t.scaled or t.name not in bounds else t.with_bounds(*bounds[t.name])
                        for t in spec.targets)
        from dataclasses import replace

        return RecipeProblem(None, replace(spec, targets=targets), definition.space)
    return RecipeProblem(model, definition.objective, definition.space)


def _loop_problem(definition: CampaignDefinition) -> RecipeProblem:
    """A closed loop's problem: costs of measured rows, each target scaled over its range
    in the starting data (fixed for the whole loop, so that every round's costs compare)."""
    from dataclasses import replace

    from electroforge.campaigns.loop import loop_properties, read_start_data

    from electroforge.objectives.recipe import DERIVED

    spec, space = definition.objective, definition.space
    if spec.c_rate == "context" and spec.c_rate_value is not None and "c_rate" in space:
        space = space.fix({"c_rate": spec.c_rate_value})    # as the problem will hold it
    properties = loop_properties(definition.loop, spec.columns, space.names)
    for column in spec.columns:
        needed = DERIVED[column][0] if column in DERIVED else (column,)
        missing = [n for n in needed if n not in properties and n not in space.names]
        if missing:
            raise InputError("the loop does not fit a property the objective needs",
                             field="loop.properties", value=repr(list(properties)),
                             allowed=f"a list with {missing[0]} (for {column})")
    start, _ = read_start_data(definition.loop, space, properties)
    for column, (needed, function) in DERIVED.items():     # e.g. the specific power
        if column in spec.columns and column not in start and all(n in start for n in needed):
            start[column] = function(*(start[n].to_numpy() for n in needed))
    targets = tuple(t.with_bounds_from(start) if not t.scaled and t.name in start.columns
                    else t for t in spec.targets)
    return RecipeProblem(None, replace(spec, targets=targets), definition.space)


def data_domain(definition: CampaignDefinition, problem: RecipeProblem) -> DataDomain | None:
    """The domain of the surrogate's data (None for line and lab campaigns, or a model file
    that does not keep its training recipes)."""
    if definition.evaluator != "surrogate" or problem.module is None:
        return None
    return DataDomain.of_model(problem.model, problem.names, problem.bounds)


def search_bounds(definition: CampaignDefinition, problem: RecipeProblem
                  ) -> list[tuple[float, float]]:
    """The box the campaign's optimizer searches: the trust region around the surrogate's
    data (``[space] trust_margin``), else the space's bounds."""
    domain = data_domain(definition, problem)
    if domain is None or definition.trust_margin is None:
        return list(problem.bounds)
    box = domain.trust_bounds(definition.trust_margin)
    for name, (low, high) in zip(problem.names, box):
        if not low < high:
            raise InputError("the trust region around the model's data leaves no room",
                             field="space.trust_margin", value=definition.trust_margin,
                             allowed=f"a wider margin, or none (the whole space): {name} "
                             f"would be searched over [{low:g}, {high:g}] (its data "
                             "beyond the space's bounds, or all at one value)")
    return box


def _stored_paths(data: dict[str, Any], store: Store, *, absolute: bool) -> dict[str, Any]:
    """The definition with its model paths (the property model's, the calendering
    model's) as stored (relative to the workspace when the file lies inside it, else
    absolute: never relative to the working directory) or as used (``absolute``)."""
    out = dict(data)
    for key in ("model", "calendering_model"):
        if out.get(key):
            out[key] = (str(store.resolve_path(out[key])) if absolute
                        else store.stored_path(out[key]))
    return out


def _linear_constraints(definition: CampaignDefinition, problem: RecipeProblem) -> list:
    from electroforge.space.constraints import LinearConstraint

    return [LinearConstraint.parse(text, problem.space.names).botorch(problem.names,
                                                                      problem.fixed)
            for text in definition.constraints]


def _stored_cost(store: Store, cost: Any, measurement: int) -> float:
    if isinstance(cost, bool) or not isinstance(cost, (int, float)) or math.isnan(cost):
        raise store.damaged(f"measurement {measurement}", f"cost {cost!r} is not a number")
    return float(cost)


def _table_json(store: Store, text: Any, what: str) -> dict[str, float]:
    """A recipe or properties record of the store: a table of numbers."""
    value = store.load_json(text, what)
    if not isinstance(value, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()):
        raise store.damaged(what, "not a table of numbers")
    return value


def _proposal_frame(rows, problem: RecipeProblem, store: Store) -> pd.DataFrame:
    records = [{"proposal_id": r["id"], "batch": r["batch"], "status": r["status"],
                "source": r["source"], "created_at": r["created_at"],
                **_table_json(store, r["recipe"], f"proposal {r['id']}")}
               for r in rows]
    frame = pd.DataFrame.from_records(
        records, columns=["proposal_id", "batch", "status", "source", "created_at",
                          *problem.names])
    for name, value in problem.fixed.items():
        frame[name] = value
    return frame


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        not isinstance(value, str) and bool(pd.isna(value)))


def _proposal_id(value: Any, source: str, row: int) -> int | None:
    """A ``proposal_id`` cell: empty (None) or a whole number >= 1."""
    if _missing(value):
        return None
    number = cell_to_float(value)
    if not (math.isfinite(number) and number == int(number) and number >= 1):
        raise InputError("a proposal id is a whole number", source=source, row=row,
                         field="proposal_id", value=repr(value),
                         allowed="the integer proposal_id of the ask sheet")
    return int(number)


def _check_physical(row: dict, columns: list[str], source: str, i: int) -> None:
    """Measured properties must lie in their physical range (the property catalog)."""
    from electroforge.properties import PROPERTIES

    for column in columns:
        if column in PROPERTIES and not _missing(row.get(column)):
            value = cell_to_float(row[column])
            allowed = PROPERTIES[column].out_of_range(value) if math.isfinite(value) else None
            if allowed:
                raise InputError("not a physical value", source=source, row=i, field=column,
                                 value=value, allowed=allowed)


def _text(recipe: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in recipe.items())


def _markdown(content: dict[str, Any], problem: RecipeProblem) -> str:
    lines = [f"# Recommendation: {content['campaign']}", "",
             f"{content['created_at']} - {content['n_measured']} of {content['budget']} "
             f"evaluations - electroforge {content['version']}, seed {content['seed']}", "",
             f"Objective: {content['objective']}", "", "| parameter | value | unit |",
             "|---|---|---|"]
    for name, value in {**content["recipe"], **content["fixed"]}.items():
        lines.append(f"| {name} | {value:.4g} | {problem.space[name].unit} |")
    lines += ["", "| property | value |", "|---|---|"]
    lines += [f"| {name} | {value:.4g} |" for name, value in content["properties"].items()]
    lines += ["", f"Cost: {content['cost']:.5f}"
              + (" (its last measurement)" if "posterior" in content else ""), ""]
    if "posterior" in content:
        lines += [posterior_line(content["posterior"]), ""]
    if "loop" in content:
        lines += loop_lines(content), ""
    if "domain" in content:
        lines += [f"Data of the model: {domain_text(content['domain'])}.", ""]
    if "verification" in content:
        lines += verification_lines(content["verification"])
    return "\n".join(lines)


def posterior_line(posterior: dict[str, Any]) -> str:
    """How the recipe was chosen when measurements are noisy."""
    return (f"Chosen as the {posterior['rule']} (not the luckiest single measurement): "
            f"GP posterior median cost {posterior['fun']:.5f}, {posterior['level']:.0%} "
            f"interval {posterior['low']:.5f} to {posterior['high']:.5f}; measured "
            f"{posterior['replicates']} time(s), mean cost {posterior['observed']:.5f}.")


def loop_lines(content: dict[str, Any]) -> str:
    """One paragraph: how a closed loop chose its recommendation, and where it stands."""
    state = content["loop"]
    stopped = f"; stopped: {state['stopped']}" if state["stopped"] else ""
    return (f"Closed loop: {state['completed']} rounds measured{stopped}. The recommendation "
            f"is the measured recipe that the model fitted on all the data predicts best "
            f"(predicted cost {content['predicted_cost']:.5f}; measured once, "
            f"{content['cost']:.5f}); model {content['model']} (sha256 "
            f"{content['model_sha256'][:12]}).")


def round_line(content: dict[str, Any]) -> str:
    """Progress: one round's predictions beside its measurements."""
    pairs = ", ".join(f"{p['predicted']['cost']:.4f}->" + (
        f"{p['measured']['cost']:.4f}" if p["measured"] else "?") for p in content["proposals"])
    return (f"  round {content['round']:>3}: fitted on {content['n_data']} recipes; "
            f"cost predicted->measured {pairs}")


def verification_made(verification: dict[str, Any]) -> str:
    """How a verification was made: on the line with its seeds, or in the lab."""
    n = len(verification["seeds"])
    if verification.get("made_by") == "lab":
        return f"in the lab, {n} replicates ({verification.get('source', 'replicates')})"
    return (f"on the virtual line with {n} particle seeds of its own "
            f"({', '.join(map(str, verification['seeds']))})")


def verification_lines(verification: dict[str, Any]) -> list[str]:
    """Markdown: predicted beside measured (mean +- sd over the verification's seeds)."""
    by = {"surrogate": "surrogate", "line": "line, one seed",
          "loop": "the loop's last model", "lab": "the campaign's measurement"}.get(
        verification["predicted_by"], verification["predicted_by"])
    over = "replicates" if verification.get("made_by") == "lab" else "seeds"
    lines = [f"Verified {verification_made(verification)}:", "",
             f"| property | predicted ({by}) | measured mean | sd over {over} |",
             "|---|---|---|---|"]
    for name, predicted, mean, sd in verification_rows(verification):
        shown = "-" if predicted is None else f"{predicted:.4g}"
        lines.append(f"| {name} | {shown} | {mean:.4g} | {sd:.2g} |")
    return lines + [""]

