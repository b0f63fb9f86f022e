"""Validation of recipe/property tables against a space, cell by cell.

Checks, in order: required columns present; values numeric and finite; recipes inside
the space (free parameters within bounds, fixed parameters at their value); no
duplicate rows. Every problem names the row (1-based data row; in a CSV file that is
line ``row + 1``), the column, the value and what is allowed. By default the first
problem raises a :class:`~electroforge.errors.DatasetError` that also counts the
others; ``drop_invalid=True`` drops the offending rows instead and reports them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from electroforge.errors import DatasetError
from electroforge.space import Space

__all__ = ["RowProblem", "Validated", "validate_dataset"]

#: Relative slack (of a parameter's span) on bounds, for values that went through text.
BOUND_TOLERANCE = 1e-9


@dataclass(frozen=True)
class RowProblem:
    """One invalid cell (or row, for duplicates)."""

    row: int
    column: str
    value: object
    problem: str
    allowed: str

    def to_error(self, source: str | None) -> DatasetError:
        problem = self.problem
        if source is not None and source.lower().endswith(".csv"):
            problem += f" (CSV line {self.row + 1})"
        return DatasetError(problem, source=source, row=self.row, field=self.column,
                            value=self.value, allowed=self.allowed)

    def __str__(self) -> str:
        return str(self.to_error(None))


@dataclass(frozen=True)
class Validated:
    """A validated table and the rows dropped from it (empty unless ``drop_invalid``)."""

    frame: pd.DataFrame
    dropped: tuple[RowProblem, ...]

    @property
    def dropped_rows(self) -> list[int]:
        """1-based data rows dropped, in order."""
        return sorted({problem.row for problem in self.dropped})


def validate_dataset(
    frame: pd.DataFrame,
    *,
    space: Space,
    properties: Sequence[str] = (),
    source: str | None = None,
    drop_invalid: bool = False,
    allow_duplicates: bool = False,
) -> Validated:
    """Check a table of recipes (and properties) against ``space``.

    Args:
        frame: The table, e.g. from :func:`~electroforge.datasets.read_dataset`.
        space: The recipe space. Fixed parameters absent from the table are added at
            their value; free ones are required.
        properties: Property columns that must be present, numeric and finite.
        source: The file the table came from, named in errors.
        drop_invalid: Drop invalid rows (reported in ``Validated.dropped``) instead of
            raising. Missing columns always raise.
        allow_duplicates: Accept repeated rows: replicate measurements, or a Saltelli
            design, which repeats rows by construction when two parameters are free
            (A with B's second column equals B with A's first).

    Returns:
        A :class:`Validated` holding a new table: checked columns as float, other
        columns kept, index reset.

    Example:
        >>> import pandas as pd
        >>> from electroforge import Space
        >>> space = Space.from_bounds({"cr_pct": (0, 50)})
        >>> bad = pd.DataFrame({"cr_pct": [10.0, 60.0, 10.0]})
        >>> result = validate_dataset(bad, space=space, drop_invalid=True)
        >>> result.frame["cr_pct"].tolist(), result.dropped_rows
        ([10.0], [2, 3])
    """
    if not isinstance(frame, pd.DataFrame):
        raise DatasetError("not a table", source=source, value=type(frame).__name__,
                           allowed="a pandas DataFrame")
    table = frame.reset_index(drop=True).copy()
    table.columns = [str(column) for column in table.columns]
    for param in space.parameters:
        if param.is_fixed and param.name not in table.columns:
            table[param.name] = param.fixed
    checked = [*space.names, *(p for p in properties if p not in space.names)]
    missing = [column for column in checked if column not in table.columns]
    if missing:
        raise DatasetError("missing column", source=source, field=missing[0],
                           allowed="columns " + ", ".join(checked)
                           + f" (found: {', '.join(table.columns) or 'none'})")
    if table.empty:
        raise DatasetError("the table has no rows", source=source, allowed="one or more rows")

    problems: list[RowProblem] = []
    for column in checked:
        table[column], column_problems = _numeric(table[column], column)
        problems += column_problems
    problems += _outside_space(table, space)
    bad_rows = {problem.row for problem in problems}
    if not allow_duplicates:
        problems += _duplicates(table, checked, skip=bad_rows)
    problems.sort(key=lambda problem: (problem.row, checked.index(problem.column)
                                       if problem.column in checked else len(checked)))
    if problems and not drop_invalid:
        first = problems[0].to_error(source)
        if len(problems) > 1:
            rows = len({problem.row for problem in problems})
            first = DatasetError(
                f"{first.problem} (and {len(problems) - 1} more problems in {rows} rows; "
                "fix them or drop them with --drop-invalid)",
                source=first.source, row=first.row, field=first.field, value=first.value,
                allowed=first.allowed)
        raise first
    drop = sorted({problem.row - 1 for problem in problems})
    kept = table.drop(index=drop).reset_index(drop=True)
    if kept.empty:
        raise DatasetError("every row is invalid", source=source,
                           allowed="at least one valid row; first problem: " + str(problems[0]))
    kept.attrs = dict(frame.attrs)
    return Validated(kept, tuple(problems))


_NOT_NUMBERS = {"b": "a true/false value", "M": "a date", "m": "a duration"}


def _numeric(values: pd.Series, column: str) -> tuple[pd.Series, list[RowProblem]]:
    kind = values.dtype.kind
    if kind in _NOT_NUMBERS:      # booleans, dates: pandas would make numbers of them
        problems = [RowProblem(i + 1, column, repr(values.iloc[i]),
                               f"{_NOT_NUMBERS[kind]}, not a number", "a finite number")
                    for i in range(len(values))]
        return pd.Series(np.nan, index=values.index), problems
    if kind == "O":               # text, big integers, mixed cells: one by one
        numbers = pd.Series([cell_to_float(v) for v in values], index=values.index, dtype=float)
    else:
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
    problems = []
    for index in np.flatnonzero(~np.isfinite(numbers.to_numpy())):
        raw = values.iloc[index]
        shown = repr(raw) if isinstance(raw, str) else raw
        problems.append(RowProblem(int(index) + 1, column, shown, _classify(raw), "a finite number"))
    return numbers, problems


def cell_to_float(value: object) -> float:
    """A table cell as a float: NaN when it is no number (text, empty, a boolean), inf when
    it is a number beyond a float's range."""
    if isinstance(value, (bool, np.bool_)):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf
    except (TypeError, ValueError):
        return math.nan


def _classify(raw: object) -> str:
    if isinstance(raw, (bool, np.bool_)):
        return "a true/false value, not a number"
    if not isinstance(raw, str) and pd.isna(raw):
        return "missing value (NaN)"
    try:
        number = float(raw)  # type: ignore[arg-type]
    except OverflowError:
        return "a number too large for a float"
    except (TypeError, ValueError):
        return "not a number"
    return "missing value (NaN)" if math.isnan(number) else "infinite value"


def _outside_space(table: pd.DataFrame, space: Space) -> list[RowProblem]:
    problems = []
    for param in space.parameters:
        values = table[param.name].to_numpy()
        slack = BOUND_TOLERANCE * max(param.span, abs(param.high), 1.0)
        if param.is_fixed:
            bad = np.abs(values - param.fixed) > slack
            allowed = f"{param.name} = {param.fixed:g} (fixed)"
            problem = "differs from the fixed value"
        else:
            bad = (values < param.low - slack) | (values > param.high + slack)
            allowed = f"{param.low:g} <= {param.name} <= {param.high:g} {param.unit}"
            problem = "outside the space"
        for index in np.flatnonzero(bad & np.isfinite(values)):
            problems.append(RowProblem(int(index) + 1, param.name, float(values[index]), problem,
                                       allowed))
    return problems


def _duplicates(table: pd.DataFrame, columns: list[str], *, skip: set[int]) -> list[RowProblem]:
    rows = table[columns]
    first_of: dict[tuple, int] = {}
    problems = []
    for index, key in enumerate(rows.itertuples(index=False, name=None)):
        if index + 1 in skip:
            continue
        if key in first_of:
            problems.append(RowProblem(index + 1, columns[0], key[0], "duplicate row",
                                       f"each row once (same as row {first_of[key]})"))
        else:
            first_of[key] = index + 1
    return problems
