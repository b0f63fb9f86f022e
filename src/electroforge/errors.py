"""One error hierarchy for the whole engine.

Every error a user can cause (a bad space file, a CSV with a NaN, a Sobol size that
cannot work) is an :class:`InputError`. It carries the pieces a process engineer needs
to fix the input -- the file, the row, the field, the value and what is allowed -- and
renders them as one line, which is what the CLI prints before exiting with status 2.

Each class also subclasses the built-in it refines (``ValueError``, ``ImportError``),
so ``except ValueError`` in user code keeps working.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ElectroforgeError",
    "InputError",
    "SpaceError",
    "DesignError",
    "DatasetError",
    "BackendUnavailableError",
    "ElectroforgeWarning",
    "DesignWarning",
]


class ElectroforgeError(Exception):
    """Base class of every error raised on purpose by electroforge."""


class InputError(ElectroforgeError, ValueError):
    """Input that cannot be used, described field by field.

    Args:
        problem: What is wrong, in words ("must be finite", "is outside the space").
        source: The file (or other origin) the input came from, if any.
        row: 1-based data row, for tabular input.
        field: The parameter, column or key at fault.
        value: The offending value, as the user wrote it.
        allowed: What would have been accepted ("85 <= am_wt_pct <= 97").

    Example:
        >>> str(InputError("low must be below high", field="am_wt_pct",
        ...                value="97:85", allowed="low < high"))
        "field 'am_wt_pct': value 97:85: low must be below high; allowed: low < high"
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: Any = None,
        allowed: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.row = row
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.source is not None:
            where.append(str(self.source))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        if self.value is not None:
            where.append(f"value {self.value}")
        text = ": ".join([*where, self.problem])
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text

    def with_source(self, source: str) -> InputError:
        """Return a copy of this error that names ``source`` (a file) as its origin."""
        return type(self)(
            self.problem,
            source=source,
            row=self.row,
            field=self.field,
            value=self.value,
            allowed=self.allowed,
        )


class SpaceError(InputError):
    """A parameter or a parameter space that cannot be built."""


class DesignError(InputError):
    """A design of experiments that cannot be generated as asked."""


class DatasetError(InputError):
    """A table of recipes or properties that fails validation or cannot be read."""


class BackendUnavailableError(ElectroforgeError, ImportError):
    """An optional dependency (a backend, an extra) is not installed."""


class ElectroforgeWarning(UserWarning):
    """Base class of electroforge's warnings."""


class DesignWarning(ElectroforgeWarning):
    """A design that works but loses a property the user probably wants."""
