"""Read and write tables of recipes and properties as CSV or Parquet, units kept.

Parquet keeps the metadata (units, how the table was made) in its schema under the
key ``electroforge``. CSV stays a plain table any tool opens; its metadata goes to a
sidecar ``FILE.csv.meta.json``. Both files are written atomically, data first.
Metadata holds no timestamps, so the same command writes the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from electroforge.atomic import atomic_path, atomic_write_text
from electroforge.errors import DatasetError, InputError
from electroforge.properties import PROPERTIES
from electroforge.space import DEFAULT_PARAMETERS
from electroforge.units import canonical_unit

__all__ = ["SUFFIXES", "metadata_path", "read_dataset", "write_dataset"]

SUFFIXES = (".csv", ".parquet")
_META_KEY = b"electroforge"
_FORMAT = "electroforge-dataset"
_FORMAT_VERSION = 1


def metadata_path(path: str | os.PathLike[str]) -> Path:
    """The sidecar that carries a CSV file's units and provenance."""
    path = Path(path)
    return path.with_name(path.name + ".meta.json")


def write_dataset(frame: pd.DataFrame, path: str | os.PathLike[str], *,
                  units: Mapping[str, str] | None = None,
                  metadata: Mapping[str, Any] | None = None) -> Path:
    """Write ``frame`` to ``.csv`` or ``.parquet`` atomically, with units as metadata.

    Args:
        frame: The table; its index is not written.
        path: Output file; the suffix picks the format.
        units: ``{column: unit}``; by default ``frame.attrs["units"]``, completed from
            the known parameters and properties.
        metadata: Extra JSON-able provenance (the command that made the table, ...);
            ``frame.attrs["design"]`` is added when present.

    Example:
        >>> import tempfile, pathlib, pandas as pd
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "d.parquet"
        >>> _ = write_dataset(pd.DataFrame({"cr_pct": [10.0, 20.0]}), out)
        >>> read_dataset(out).attrs["units"]
        {'cr_pct': '%'}
    """
    path = Path(path)
    fmt = _format(path)
    if not isinstance(frame, pd.DataFrame):
        raise DatasetError("not a table", source=str(path), value=type(frame).__name__,
                           allowed="a pandas DataFrame")
    meta = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "electroforge_version": _version(),
        "units": _units(frame, units),
    }
    if "design" in frame.attrs:
        meta["design"] = frame.attrs["design"]
    meta.update(dict(metadata or {}))
    text = json.dumps(meta, indent=2, sort_keys=True, default=_jsonable)
    if fmt == "csv":
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, lineterminator="\n")
        atomic_write_text(metadata_path(path), text + "\n")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        schema_meta = dict(table.schema.metadata or {})
        schema_meta[_META_KEY] = text.encode("utf-8")
        with atomic_path(path) as tmp:
            pq.write_table(table.replace_schema_metadata(schema_meta), tmp)
    return path


def read_dataset(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a ``.csv`` or ``.parquet`` table; ``attrs["units"]`` and ``attrs["metadata"]`` set.

    Units missing from the file's metadata are completed from the known parameters and
    properties. Validation against a space is :func:`validate_dataset`'s job.
    """
    path = Path(path)
    fmt = _format(path)
    if not path.is_file():
        raise DatasetError("no such file", source=str(path),
                           allowed="an existing .csv or .parquet file")
    try:
        if fmt == "csv":
            _check_header(path)
            frame = pd.read_csv(path)
            meta_file = metadata_path(path)
            meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
        else:
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            raw = (table.schema.metadata or {}).get(_META_KEY)
            meta = json.loads(raw) if raw else {}
            frame = table.to_pandas()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError,
            json.JSONDecodeError, ValueError) as error:
        raise DatasetError(f"cannot read the {fmt.upper()} file ({_first_line(error)})",
                           source=str(path)) from None
    if not isinstance(meta, dict):
        meta = {}
    # spreadsheets pad headers with spaces and leave rows of empty cells below the data
    # (only trailing ones are dropped: row numbers in messages stay those of the file)
    frame.columns = [column.strip() if isinstance(column, str) else column
                     for column in frame.columns]
    filled = frame.notna().any(axis=1).to_numpy()
    frame = frame.iloc[:int(filled.nonzero()[0].max()) + 1 if filled.any() else 0]
    frame.attrs["metadata"] = meta
    frame.attrs["units"] = _units(frame, meta.get("units"), source=str(path))
    if "design" in meta:
        frame.attrs["design"] = meta["design"]
    return frame


def _check_header(path: Path) -> None:
    """A CSV's column names must be unique (pandas would rename the second ``x`` to ``x.1``
    and the value would be lost silently)."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except csv.Error:
        return          # pandas says what is wrong with the file
    seen = set()
    for name in (column.strip() for column in header):
        if name in seen:
            raise DatasetError("a column appears twice in the header", source=str(path),
                               field=name, allowed="each column once")
        seen.add(name)


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DatasetError("unsupported table format", source=str(path), value=suffix or "''",
                           allowed=", ".join(SUFFIXES))
    return suffix[1:]


def _units(frame: pd.DataFrame, given: Mapping[str, str] | None, *,
           source: str | None = None) -> dict[str, str]:
    given = given if given is not None else frame.attrs.get("units", {})
    if not isinstance(given, Mapping):
        raise DatasetError("the units metadata is not a table", source=source, field="units",
                           value=repr(given)[:60], allowed='{"column": "unit", ...}')
    given = dict(given)
    units: dict[str, str] = {}
    for column in frame.columns:
        name = str(column)
        if name in given:
            try:
                units[name] = canonical_unit(given[name], field=name)
            except InputError as error:
                raise DatasetError(error.problem, source=source, field=name, value=error.value,
                                   allowed=error.allowed) from None
        elif name in DEFAULT_PARAMETERS:
            units[name] = DEFAULT_PARAMETERS[name].unit
        elif name in PROPERTIES:
            units[name] = PROPERTIES[name].unit
    return units


def _version() -> str:
    from electroforge import __version__

    return __version__


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
