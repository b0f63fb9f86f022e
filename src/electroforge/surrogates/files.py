"""Read any fitted surrogate file (symbolic, GP or MLP) by the format it declares."""

from __future__ import annotations

import json
import os
from pathlib import Path

from electroforge.surrogates.neural import _FORMAT as NEURAL_FORMAT
from electroforge.surrogates.neural import GPSurrogate
from electroforge.surrogates.symbolic import _FORMAT as SYMBOLIC_FORMAT
from electroforge.surrogates.symbolic import SurrogateError, SymbolicSurrogate

__all__ = ["load_surrogate"]


def load_surrogate(path: str | os.PathLike[str]):
    """The surrogate saved at ``path`` (``SymbolicSurrogate``, ``GPSurrogate`` or
    ``MLPSurrogate``), or a :class:`SurrogateError` naming the file.

    Example:
        >>> load_surrogate("no-such-model.json")
        Traceback (most recent call last):
        ...
        electroforge.surrogates.symbolic.SurrogateError: no-such-model.json: cannot read the model file (No such file or directory); allowed: a JSON file written by `electroforge fit`
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise SurrogateError(f"cannot read the model file ({reason})", source=str(path),
                             allowed="a JSON file written by `electroforge fit`") from None
    kind = data.get("format") if isinstance(data, dict) else None
    if kind == SYMBOLIC_FORMAT:
        return SymbolicSurrogate.load(path)
    if kind == NEURAL_FORMAT:
        return GPSurrogate.load(path)        # dispatches to the GP or MLP class itself
    raise SurrogateError("not a surrogate file", source=str(path), field="format",
                         value=repr(kind), allowed=f"{SYMBOLIC_FORMAT!r} or {NEURAL_FORMAT!r}")
