"""The recipe space: an ordered, frozen set of parameters, readable from TOML or JSON."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from electroforge.atomic import atomic_write_text
from electroforge.errors import InputError, SpaceError
from electroforge.space.parameter import SLURRY_STAGES, Parameter

__all__ = ["Space"]

_PARAMETER_KEYS = ("name", "low", "high", "unit", "stage", "fixed", "description")
_SUFFIXES = (".toml", ".json")


@dataclass(frozen=True)
class Space:
    """An ordered collection of :class:`Parameter` with unique names.

    Designs and optimizers work on the *free* parameters mapped to the unit cube;
    fixed parameters are carried along as constant columns.

    Example:
        >>> space = Space.from_bounds({"x1": (0, 1), "x2": (-5, 5)})
        >>> space.names, space.dim
        (('x1', 'x2'), 2)
        >>> space.from_unit_cube([[0.5, 0.5]]).to_dict("records")
        [{'x1': 0.5, 'x2': 0.0}]
    """

    parameters: tuple[Parameter, ...]

    def __post_init__(self) -> None:
        params = tuple(self.parameters)
        if not params:
            raise SpaceError("a space needs at least one parameter", field="parameters",
                             value="[]", allowed="one or more parameters")
        seen: set[str] = set()
        for param in params:
            if not isinstance(param, Parameter):
                raise SpaceError("not a Parameter", field="parameters", value=repr(param),
                                 allowed="electroforge.space.Parameter objects")
            if param.name in seen:
                raise SpaceError("duplicate parameter name", field=param.name,
                                 value=repr(param.name), allowed="each name once")
            seen.add(param.name)
        if all(param.is_fixed for param in params):
            raise SpaceError("every parameter is fixed: nothing to vary", field="parameters",
                             value=", ".join(seen), allowed="at least one free parameter")
        object.__setattr__(self, "parameters", params)

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_bounds(cls, bounds: Mapping[str, tuple[float, float]]) -> Space:
        """A space from plain ``{name: (low, high)}``.

        Names the engine knows (``am_wt_pct``, ``cr_pct``, ...) take their unit and stage
        from :func:`electroforge.default_space`; other names are dimensionless.
        """
        from electroforge.space.defaults import DEFAULT_PARAMETERS

        params = []
        for name, pair in bounds.items():
            try:
                low, high = pair
            except (TypeError, ValueError):
                raise SpaceError("bounds must be a (low, high) pair", field=str(name),
                                 value=repr(pair), allowed="(low, high)") from None
            known = DEFAULT_PARAMETERS.get(name)
            if known is None:
                params.append(Parameter(name, low, high))
            else:
                params.append(Parameter(name, low, high, unit=known.unit, stage=known.stage,
                                        description=known.description))
        return cls(tuple(params))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> Space:
        """Build from plain data: ``{"parameters": [{"name": ..., "low": ...}, ...]}``.

        ``parameters`` may also be a table keyed by name (``[parameters.cr_pct]`` in
        TOML). A fixed parameter may give ``fixed`` alone, without bounds.
        """
        try:
            return cls(tuple(_parameter_from_dict(item, source) for item in _entries(data)))
        except InputError as error:
            if source is not None and error.source is None:
                raise error.with_source(source) from None
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Space:
        """Read a space from a ``.toml`` or ``.json`` file."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in _SUFFIXES:
            raise SpaceError("unsupported space file type", source=str(path), value=suffix or "''",
                             allowed=", ".join(_SUFFIXES))
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise SpaceError(f"cannot read the file ({error.strerror})", source=str(path)) from None
        except UnicodeDecodeError as error:
            raise SpaceError(f"the file is not UTF-8 text (byte {error.start + 1})",
                             source=str(path), allowed="a UTF-8 TOML or JSON file") from None
        try:
            data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
            raise SpaceError(f"not valid {suffix[1:].upper()}: {error}", source=str(path)) from None
        if not isinstance(data, dict):
            raise SpaceError("the file must hold a table", source=str(path),
                             allowed="a table with a 'parameters' list")
        return cls.from_dict(data, source=str(path))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the space as ``.toml`` or ``.json`` (atomically)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".toml":
            import tomli_w

            atomic_write_text(path, tomli_w.dumps(self.to_dict()))
        elif suffix == ".json":
            atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")
        else:
            raise SpaceError("unsupported space file type", source=str(path), value=suffix or "''",
                             allowed=", ".join(_SUFFIXES))

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` reads back to an equal space."""
        return {"parameters": [param.to_dict() for param in self.parameters]}

    # -- derived spaces -------------------------------------------------------------
    def replace(self, name: str, parameter: Parameter) -> Space:
        """A copy with the parameter ``name`` replaced."""
        self[name]  # raises a clear error for unknown names
        return Space(tuple(parameter if p.name == name else p for p in self.parameters))

    def with_bounds(self, bounds: Mapping[str, tuple[float, float]]) -> Space:
        """A copy with new ``(low, high)`` for the named parameters."""
        space = self
        for name, (low, high) in bounds.items():
            space = space.replace(name, space[name].with_bounds(low, high))
        return space

    def fix(self, values: Mapping[str, float]) -> Space:
        """A copy with the named parameters held at the given values."""
        space = self
        for name, value in values.items():
            space = space.replace(name, space[name].with_fixed(value))
        return space

    # -- access ---------------------------------------------------------------------
    def __getitem__(self, name: str) -> Parameter:
        for param in self.parameters:
            if param.name == name:
                return param
        raise SpaceError("unknown parameter", field=str(name), value=repr(name),
                         allowed=", ".join(self.names))

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def __contains__(self, name: object) -> bool:
        return any(param.name == name for param in self.parameters)

    @property
    def names(self) -> tuple[str, ...]:
        """All parameter names, in order."""
        return tuple(param.name for param in self.parameters)

    @property
    def free(self) -> tuple[Parameter, ...]:
        """The parameters that designs and optimizers vary."""
        return tuple(param for param in self.parameters if not param.is_fixed)

    @property
    def free_names(self) -> tuple[str, ...]:
        return tuple(param.name for param in self.free)

    @property
    def dim(self) -> int:
        """Number of free parameters."""
        return len(self.free)

    @property
    def bounds(self) -> np.ndarray:
        """A ``dim x 2`` array of (low, high) of the free parameters."""
        return np.array([[param.low, param.high] for param in self.free], dtype=float)

    @property
    def units(self) -> dict[str, str]:
        """``{name: unit}`` for every parameter."""
        return {param.name: param.unit for param in self.parameters}

    def slurry_names(self) -> tuple[str, ...]:
        """Free parameters set when the slurry is made and dried (stages slurry, drying)."""
        return tuple(p.name for p in self.free if p.stage in SLURRY_STAGES)

    # -- unit cube ------------------------------------------------------------------
    def from_unit_cube(self, u: Sequence[Sequence[float]] | np.ndarray) -> pd.DataFrame:
        """Map an ``n x dim`` array in [0, 1] onto recipes, one column per parameter.

        Fixed parameters become constant columns; columns keep the space's order.
        """
        cube = np.asarray(u, dtype=float)
        if cube.ndim != 2 or cube.shape[1] != self.dim:
            raise SpaceError("unit-cube points have the wrong shape", field="u",
                             value=str(cube.shape), allowed=f"(n, {self.dim})")
        lows, highs = self.bounds.T
        values = np.clip(lows + cube * (highs - lows), lows, highs)
        columns: dict[str, np.ndarray] = {}
        free_index = 0
        for param in self.parameters:
            if param.is_fixed:
                columns[param.name] = np.full(len(cube), param.fixed, dtype=float)
            else:
                columns[param.name] = values[:, free_index]
                free_index += 1
        return pd.DataFrame(columns)

    def to_unit_cube(self, recipes: pd.DataFrame) -> np.ndarray:
        """Map recipes (a DataFrame with the free parameters' columns) into [0, 1]^dim."""
        missing = [name for name in self.free_names if name not in recipes.columns]
        if missing:
            raise SpaceError("recipes lack a parameter column", field=missing[0],
                             allowed=", ".join(self.free_names))
        values = recipes.loc[:, list(self.free_names)].to_numpy(dtype=float)
        lows, highs = self.bounds.T
        return (values - lows) / (highs - lows)

    def __str__(self) -> str:
        return "Space(\n" + "".join(f"  {param}\n" for param in self.parameters) + ")"


def _entries(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if not isinstance(data, Mapping):
        raise SpaceError("a space must be a table", allowed="a table with a 'parameters' list")
    unknown = [key for key in data if key != "parameters"]
    if unknown:
        raise SpaceError("unknown key", field=str(unknown[0]), allowed="parameters")
    if "parameters" not in data:
        raise SpaceError("missing key", field="parameters",
                         allowed="a list of parameter tables, or a table keyed by name")
    entries = data["parameters"]
    if isinstance(entries, Mapping):
        items = []
        for name, body in entries.items():
            if not isinstance(body, Mapping):
                raise SpaceError("a parameter must be a table", field=str(name),
                                 value=repr(body), allowed="a table of " + ", ".join(_PARAMETER_KEYS))
            if "name" in body and body["name"] != name:
                raise SpaceError("name differs from its table key", field=str(name),
                                 value=repr(body["name"]), allowed=repr(name))
            items.append({"name": name, **body})
        return items
    if isinstance(entries, list):
        for index, body in enumerate(entries):
            if not isinstance(body, Mapping):
                raise SpaceError("a parameter must be a table", field=f"parameters[{index}]",
                                 value=repr(body), allowed="a table of " + ", ".join(_PARAMETER_KEYS))
        return entries
    raise SpaceError("parameters must be a list or a table", field="parameters",
                     value=type(entries).__name__, allowed="a list of tables, or a table keyed by name")


def _parameter_from_dict(body: Mapping[str, Any], source: str | None) -> Parameter:
    name = body.get("name")
    label = str(name) if name is not None else "parameters"
    unknown = [key for key in body if key not in _PARAMETER_KEYS]
    if unknown:
        raise SpaceError("unknown key", field=f"{label}.{unknown[0]}", allowed=", ".join(_PARAMETER_KEYS))
    if name is None:
        raise SpaceError("a parameter needs a name", field="name", allowed="an identifier")
    kwargs = {key: body[key] for key in ("unit", "stage", "description") if key in body}
    fixed = body.get("fixed")
    if fixed is not None and "low" not in body and "high" not in body:
        return Parameter.fixed_at(name, fixed, **kwargs)
    for key in ("low", "high"):
        if key not in body:
            raise SpaceError(f"missing key '{key}'", field=label,
                             allowed="low and high (or fixed alone)")
    return Parameter(name, body["low"], body["high"], fixed=fixed, **kwargs)
