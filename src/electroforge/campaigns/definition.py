"""A campaign as written in a TOML file: space, objective, evaluator, budget, schedule.

Example ``campaign.toml``::

    name = "cathode-1c"
    seed = 0
    budget = 60                 # evaluations in all
    batch_size = 4              # recipes proposed together
    iterations = 8              # batches per `campaign run` (default: to the budget)
    schedule = "0 6 * * 1"      # cron: Mondays 06:00 (optional; for run-due / scheduler)

    [space]                     # optional: the built-in space by default
    file = "space.toml"         # relative paths are relative to this file
    bounds = { cr_pct = [10.0, 40.0] }
    fix = { c_rate = 1.0 }
    constraints = ["am_wt_pct + 0.5 * cr_pct <= 110"]   # linear, met by every proposal
    trust_margin = 0.1          # surrogate: search the model's data box widened by 10 % of
                                # each range (default 0.1; "none": the whole space)

    [objective]                 # the keys of an objective file, or file = "objective.toml"
    [[objective.targets]]
    name = "density_g_cm3"
    direction = "max"

    [evaluator]
    kind = "surrogate"          # surrogate (a fitted model), line (the virtual line), lab
    model = "model.json"        # surrogate: the model; line/lab: optional, for scaling bounds
    grid = 96                   # the line's grid (line evaluations and verification)
    calendering = "dem"         # line: the roll by the DEM (default) or "neural" (a field
    calendering_model = "m.safetensors"   # model: the shipped one, or this file)
    verify_seeds = 3            # the final recommendation re-made on the line with this
                                # many particle seeds (default 3; 0: no verification)

    [optimizer]                 # optional GP-Hedge settings
    eta = 1.0
    decay = 0.5
    n_initial = 8
    warp = "auto"               # outcome warp: auto, none, log, boxcox, rank
    noise = "auto"              # auto, inferred, replicates, known
    stop_improvement = 0.001    # stop once the expected improvement (cost units) stays
    stop_decisions = 3          # below this for this many decisions (default: never)

A closed loop (``electroforge.campaigns.loop``) adds a ``[loop]`` table to a line or lab
campaign: each round fits the equations on all the data, optimizes them, and has a batch
of ``batch_size`` candidates made::

    [loop]
    data = "line_174.parquet"   # the starting data (not counted in the budget)
    properties = []             # fitted properties (default: the objective's)
    max_terms = 4               # SISSO terms per equation
    patience = 2                # rounds without a better measured cost before stopping
    surrogate_calls = 40        # GP-Hedge evaluations of the equations per round
    min_distance = 0.02         # between candidates and measured recipes (unit cube)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from electroforge.campaigns.hedge import HedgeSettings
from electroforge.campaigns.loop import LoopSettings
from electroforge.errors import InputError
from electroforge.objectives.spec import ObjectiveSpec
from electroforge.space import Space, default_space
from electroforge.space.constraints import LinearConstraint
from electroforge.space.domain import DEFAULT_TRUST_MARGIN, check_trust_margin
from electroforge.tomlfile import read_toml

__all__ = ["CampaignDefinition", "EVALUATORS", "check_schedule"]

EVALUATORS = ("surrogate", "line", "lab")
#: Evaluations of one campaign at most: a GP over 10,000 points takes minutes per proposal.
MAX_BUDGET = 10_000
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: A campaign's folder sits in the workspace beside these.
_WORKSPACE_ENTRIES = ("electroforge.db", "locks")
_KEYS = ("name", "seed", "budget", "batch_size", "iterations", "schedule", "space",
         "objective", "evaluator", "optimizer", "loop")
_SPACE_KEYS = ("file", "bounds", "fix", "constraints", "trust_margin")
_EVALUATOR_KEYS = ("kind", "model", "grid", "verify_seeds", "calendering",
                   "calendering_model")
#: Particle seeds of a verification: at least 3 by default, at most this many.
DEFAULT_VERIFY_SEEDS = 3
MAX_VERIFY_SEEDS = 20
#: The recipe parameters the virtual line needs (c_rate optional).
LINE_RECIPE = ("am_wt_pct", "sc_wt_pct", "cr_pct")
_OPTIMIZER_KEYS = ("eta", "decay", "n_initial", "beta", "xi", "acquisitions", "warp", "noise",
                   "replicates", "stop_improvement", "stop_decisions", "kernel")
#: Columns a campaign's sheets and exports use for its own bookkeeping: no parameter may
#: take their names.
RESERVED_COLUMNS = ("proposal_id", "batch", "measurement_id", "cost", "feasible", "status",
                    "source", "created_at", "kind", "error")


@dataclass(frozen=True)
class CampaignDefinition:
    """A validated campaign definition (see the module doc for the file format).

    Paths are absolute once read from a file. :meth:`to_dict` / :meth:`from_dict` round
    trip exactly (the store keeps the dict).
    """

    name: str
    budget: int
    space: Space = field(default_factory=default_space)
    objective: ObjectiveSpec = field(default_factory=ObjectiveSpec)
    evaluator: str = "surrogate"
    model: str | None = None
    grid: int | None = None     # the line's grid; None: its default (0.5 um voxels)
    verify_seeds: int | None = None   # None: 3 (surrogate, line), 0 (lab)
    #: the line's roll: "dem", or "neural" (a calendering field model; verification stays
    #: on the DEM, the line's reference)
    calendering: str = "dem"
    calendering_model: str | None = None
    #: the calendering model file's sha256, pinned when the campaign is created
    calendering_model_sha256: str | None = None
    seed: int = 0
    batch_size: int = 1
    iterations: int | None = None
    schedule: str | None = None
    #: GP-Hedge's options (``[optimizer]``; a table is validated into the settings)
    optimizer: HedgeSettings = field(default_factory=HedgeSettings)
    constraints: tuple[str, ...] = ()
    #: surrogate campaigns: the search keeps to the model's data box widened by this
    #: fraction of each range (None: the whole space; electroforge.space.domain)
    trust_margin: float | None = DEFAULT_TRUST_MARGIN
    #: a closed loop's settings (``[loop]``; None: not a closed loop)
    loop: LoopSettings | None = None

    def __post_init__(self) -> None:
        if isinstance(self.name, str) and (self.name in _WORKSPACE_ENTRIES
                                           or self.name.startswith("electroforge.db")):
            raise InputError("the name is one of the workspace's own files", field="name",
                             value=repr(self.name), allowed="another name (not "
                             + ", ".join(_WORKSPACE_ENTRIES) + ")")
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise InputError("a campaign name is 1-64 letters, digits, '_', '-' or '.'",
                             field="name", value=repr(self.name), allowed="e.g. cathode-1c")
        for key, minimum in (("budget", 1), ("batch_size", 1), ("seed", 0), ("grid", 8)):
            if key != "grid" or self.grid is not None:
                _integer(getattr(self, key), key, minimum)
        if self.budget > MAX_BUDGET:
            raise InputError("the budget is beyond what a GP can learn from", field="budget",
                             value=self.budget, allowed=f"1 to {MAX_BUDGET} evaluations (the "
                             "GP's cost grows as the cube of the evaluations)")
        if self.iterations is not None:
            _integer(self.iterations, "iterations", 1)
        object.__setattr__(self, "trust_margin",
                           check_trust_margin(self.trust_margin, field="space.trust_margin"))
        if self.verify_seeds is not None:
            _integer(self.verify_seeds, "evaluator.verify_seeds", 0)
            if self.verify_seeds > MAX_VERIFY_SEEDS:
                raise InputError("too many verification seeds", field="evaluator.verify_seeds",
                                 value=self.verify_seeds, allowed=f"0 to {MAX_VERIFY_SEEDS}")
        if self.batch_size > self.budget:
            raise InputError("the batch is larger than the budget", field="batch_size",
                             value=self.batch_size, allowed=f"<= budget ({self.budget})")
        if self.schedule is not None:
            check_schedule(self.schedule)
        if isinstance(self.constraints, str) or not all(
                isinstance(c, str) for c in self.constraints):
            raise InputError("constraints must be a list of strings", field="space.constraints",
                             value=repr(self.constraints),
                             allowed='["am_wt_pct + 0.5 * cr_pct <= 110", ...]')
        from electroforge.properties import PROPERTIES

        clash = next((n for n in self.space.names if n in RESERVED_COLUMNS or n in PROPERTIES),
                     None)
        if clash:
            raise InputError("a parameter takes the name of a campaign column or a property",
                             field="space", value=repr(clash),
                             allowed="another name (reserved: " + ", ".join(RESERVED_COLUMNS)
                             + ", and the property names)")
        object.__setattr__(self, "constraints", tuple(self.constraints))
        _check_feasible([LinearConstraint.parse(text, self.space.names)
                         for text in self.constraints], self.space)
        if not isinstance(self.optimizer, HedgeSettings):
            object.__setattr__(self, "optimizer", HedgeSettings.from_dict(
                dict(self.optimizer), keys=_OPTIMIZER_KEYS, prefix="optimizer"))
        if self.evaluator not in EVALUATORS:
            raise InputError("unknown evaluator", field="evaluator.kind",
                             value=repr(self.evaluator), allowed=", ".join(EVALUATORS))
        if self.verify_seeds and not self.line_can_make():
            raise InputError("the virtual line cannot make this space's recipes",
                             field="evaluator.verify_seeds", value=self.verify_seeds,
                             allowed="0, or a space with " + ", ".join(LINE_RECIPE))
        if self.evaluator == "lab" and self.verify_seeds:
            raise InputError("a lab campaign is not verified on the line",
                             field="evaluator.verify_seeds", value=self.verify_seeds,
                             allowed="0 for a lab campaign (make the recommended recipe again "
                             "and record the replicates: campaign verify NAME --results FILE)")
        if self.evaluator == "surrogate" and not self.model:
            raise InputError("a surrogate evaluator needs its model", field="evaluator.model",
                             allowed="the path of a model written by `electroforge fit`")
        if self.loop is not None:
            if not isinstance(self.loop, LoopSettings):
                raise InputError("the loop's settings", field="loop", value=repr(self.loop),
                                 allowed="a [loop] table")
            if self.evaluator == "surrogate":
                raise InputError("a closed loop evaluates on the line or in the lab",
                                 field="evaluator.kind", value="surrogate",
                                 allowed="line or lab (the loop fits its own surrogates)")
        if self.calendering not in ("dem", "neural"):
            raise InputError("unknown calendering", field="evaluator.calendering",
                             value=repr(self.calendering), allowed="dem or neural")
        if self.calendering == "neural" and self.evaluator != "line":
            raise InputError("the calendering is the virtual line's", field="evaluator.kind",
                             value=repr(self.evaluator), allowed="kind = \"line\" for a "
                             "neural calendering")
        if self.calendering_model is not None:
            if self.calendering != "neural":
                raise InputError("a calendering model is for calendering = \"neural\"",
                                 field="evaluator.calendering", value=repr(self.calendering),
                                 allowed="calendering = \"neural\" with a calendering_model")
            if not Path(self.calendering_model).is_file():
                raise InputError("the calendering model file does not exist",
                                 field="evaluator.calendering_model",
                                 value=self.calendering_model,
                                 allowed="a file of `electroforge surrogate train calendering`")
        if self.model is not None and not Path(self.model).is_file():
            raise InputError("the model file does not exist", field="evaluator.model",
                             value=self.model, allowed="the path of a fitted model")

    @property
    def verification_seeds(self) -> int:
        """Particle seeds of the final recommendation's verification (0: none)."""
        if self.verify_seeds is not None:
            return self.verify_seeds
        return 0 if self.evaluator == "lab" or not self.line_can_make() else DEFAULT_VERIFY_SEEDS

    def line_can_make(self) -> bool:
        """Whether the space holds the recipe parameters the virtual line needs."""
        return all(name in self.space for name in LINE_RECIPE)

    def check_line_grid(self) -> None:
        """Refuse a grid the line cannot run, when the line will run (checked when a
        campaign is created, not when a stored one is read)."""
        if self.grid is None or not (self.evaluator == "line" or self.verification_seeds):
            return
        from electroforge.line.chain import check_grid
        from electroforge.line.materials import LineParameters

        try:
            check_grid(self.grid, LineParameters())
        except InputError as error:
            raise InputError(error.problem, field="evaluator.grid", value=self.grid,
                             allowed=error.allowed) from None

    # -- files ------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CampaignDefinition:
        path = Path(path)
        data = read_toml(path, what="campaign file")
        try:
            return cls.from_file_data(data, base=path.resolve().parent)
        except InputError as error:
            # an error in a file the campaign file names keeps that file's name too
            source = str(path) if error.source is None else f"{path} -> {error.source}"
            raise error.with_source(source) from None

    @classmethod
    def from_file_data(cls, data: Mapping[str, Any], *, base: Path) -> CampaignDefinition:
        """From the TOML's tables, with relative paths resolved against ``base``."""
        unknown = [k for k in data if k not in _KEYS]
        if unknown:
            raise InputError("unknown key", field=unknown[0], allowed=", ".join(_KEYS))
        for key in ("name", "budget"):
            if key not in data:
                raise InputError("missing key", field=key, allowed="name and budget are required")
        space_table = _table(data, "space", _SPACE_KEYS)
        space = _space(space_table, base)
        objective_table = dict(_table(data, "objective", None))
        if "file" in objective_table:
            if len(objective_table) > 1:
                raise InputError("an objective file or inline keys, not both", field="objective",
                                 allowed="file = '...' alone, or the keys of an objective file")
            objective = ObjectiveSpec.load(base / _path_text(objective_table, "file",
                                                             "objective.file"))
        else:
            objective = ObjectiveSpec.from_dict(objective_table)
        evaluator = _table(data, "evaluator", _EVALUATOR_KEYS)
        model = _path_text(evaluator, "model", "evaluator.model") if "model" in evaluator else None
        calendering_model = (_path_text(evaluator, "calendering_model",
                                        "evaluator.calendering_model")
                             if "calendering_model" in evaluator else None)
        return cls(name=data["name"], budget=data["budget"], space=space, objective=objective,
                   evaluator=evaluator.get("kind", "surrogate"),
                   model=str((base / model).resolve()) if model else None,
                   grid=evaluator.get("grid"), verify_seeds=evaluator.get("verify_seeds"),
                   calendering=evaluator.get("calendering", "dem"),
                   calendering_model=(str((base / calendering_model).resolve())
                                      if calendering_model else None),
                   seed=data.get("seed", 0),
                   batch_size=data.get("batch_size", 1), iterations=data.get("iterations"),
                   schedule=data.get("schedule"),
                   optimizer=dict(_table(data, "optimizer", _OPTIMIZER_KEYS)),
                   constraints=space_table.get("constraints", ()),
                   trust_margin=_margin(space_table),
                   loop=(LoopSettings.from_table(_table(data, "loop", None), base=base)
                         if "loop" in data else None))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "budget": self.budget, "space": self.space.to_dict(),
                "objective": self.objective.to_dict(), "evaluator": self.evaluator,
                "model": self.model, "grid": self.grid, "verify_seeds": self.verify_seeds,
                "calendering": self.calendering, "calendering_model": self.calendering_model,
                "calendering_model_sha256": self.calendering_model_sha256,
                "seed": self.seed,
                "batch_size": self.batch_size, "iterations": self.iterations,
                "schedule": self.schedule,
                "optimizer": self.optimizer.to_dict(),
                "constraints": list(self.constraints), "trust_margin": self.trust_margin,
                "loop": self.loop.to_dict() if self.loop is not None else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CampaignDefinition:
        values = dict(data)
        values["space"] = Space.from_dict(values["space"])
        values["objective"] = ObjectiveSpec.from_dict(values["objective"])
        values["constraints"] = tuple(values.get("constraints", ()))
        values.setdefault("trust_margin", None)   # campaigns stored before it: whole space
        values.setdefault("verify_seeds", 0)      # ... and no verification
        if values.get("loop") is not None:
            values["loop"] = LoopSettings.from_dict(values["loop"])
        # every field of the settings is stored (a file's [optimizer] offers fewer)
        values["optimizer"] = HedgeSettings.from_dict(dict(values.get("optimizer", {})),
                                                      prefix="optimizer")
        return cls(**values)


_CRON_FORM = "five fields: minute hour day month weekday, e.g. '0 6 * * 1'"


def check_schedule(schedule: Any) -> str:
    """``schedule`` if it is a five-field cron expression that fires within five years.

    Example:
        >>> check_schedule("0 0 31 2 *")
        Traceback (most recent call last):
        ...
        electroforge.errors.InputError: field 'schedule': value '0 0 31 2 *': the schedule never fires; allowed: five fields: minute hour day month weekday, e.g. '0 6 * * 1'
    """
    import datetime as dt

    from croniter import CroniterError, croniter

    if not isinstance(schedule, str) or len(schedule.split()) != 5:
        raise InputError("not a five-field cron expression", field="schedule",
                         value=repr(schedule), allowed=_CRON_FORM)
    if not croniter.is_valid(schedule):
        raise InputError("not a cron expression", field="schedule", value=repr(schedule),
                         allowed=_CRON_FORM)
    start = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    try:
        croniter(schedule, start, max_years_between_matches=5).get_next(dt.datetime)
    except (CroniterError, ValueError, OverflowError):
        raise InputError("the schedule never fires", field="schedule", value=repr(schedule),
                         allowed=_CRON_FORM) from None
    return schedule


def _check_feasible(constraints: list[LinearConstraint], space: Space) -> None:
    """Some recipe of the space must meet every constraint (a linear program over the
    parameters' bounds, fixed ones at their values): else every proposal would fail."""
    if not constraints:
        return
    from scipy.optimize import linprog

    names = list(space.names)
    bounds = [(p.fixed, p.fixed) if p.is_fixed else (p.low, p.high) for p in space]
    rows, rhs = [], []
    for constraint in constraints:
        sign = 1.0 if constraint.op == "<=" else -1.0
        row = [0.0] * len(names)
        for name, c in constraint.coefficients:
            row[names.index(name)] = sign * c
        rows.append(row)
        rhs.append(sign * constraint.bound)
        alone = linprog([0.0] * len(names), A_ub=[row], b_ub=[rhs[-1]], bounds=bounds)
        if alone.status == 2:
            raise InputError("no recipe of the space meets the constraint",
                             field="space.constraints", value=repr(str(constraint)),
                             allowed="a constraint some recipe within the bounds meets: "
                             + ", ".join(f"{n} in [{lo:g}, {hi:g}]"
                                         for n, (lo, hi) in zip(names, bounds)
                                         if n in dict(constraint.coefficients)))
    if linprog([0.0] * len(names), A_ub=rows, b_ub=rhs, bounds=bounds).status == 2:
        raise InputError("no recipe of the space meets all the constraints together",
                         field="space.constraints",
                         value=repr([str(c) for c in constraints]),
                         allowed="constraints that some recipe within the bounds meets")


def _margin(table: Mapping[str, Any]) -> float | None:
    value = table.get("trust_margin", DEFAULT_TRUST_MARGIN)
    return None if isinstance(value, str) and value.strip().lower() == "none" else value


def _path_text(table: Mapping[str, Any], key: str, field: str) -> str:
    """A file path given in a campaign file: non-empty text."""
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError("a file path must be non-empty text", field=field, value=repr(value),
                         allowed='a path in quotes, e.g. "model.json"')
    return value


def _integer(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError("must be an integer", field=name, value=repr(value),
                         allowed=f"an integer >= {minimum}")
    return value


def _table(data: Mapping[str, Any], key: str, keys) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise InputError("must be a table", field=key, value=repr(table), allowed=f"[{key}]")
    if keys is not None:
        unknown = [k for k in table if k not in keys]
        if unknown:
            raise InputError("unknown key", field=f"{key}.{unknown[0]}", allowed=", ".join(keys))
    return table


def _space(table: Mapping[str, Any], base: Path) -> Space:
    space = (Space.load(base / _path_text(table, "file", "space.file")) if "file" in table
             else default_space())
    bounds = table.get("bounds", {})
    fixed = table.get("fix", {})
    for key, value in (("bounds", bounds), ("fix", fixed)):
        if not isinstance(value, Mapping):
            raise InputError("must be a table", field=f"space.{key}", value=repr(value),
                             allowed="{ name = ... }")
    for name, pair in bounds.items():
        if not (isinstance(pair, list) and len(pair) == 2):
            raise InputError("bounds are [low, high]", field=f"space.bounds.{name}",
                             value=repr(pair), allowed="[low, high]")
    return space.with_bounds({k: tuple(v) for k, v in bounds.items()}).fix(dict(fixed))
