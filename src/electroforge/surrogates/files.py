"""Read any surrogate file by the format it declares: the property surrogates (symbolic,
GP or MLP; JSON) and the field models (calendering; safetensors with a JSON header)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from electroforge.surrogates.neural import _FORMAT as NEURAL_FORMAT
from electroforge.surrogates.neural import GPSurrogate
from electroforge.surrogates.symbolic import _FORMAT as SYMBOLIC_FORMAT
from electroforge.surrogates.symbolic import SurrogateError, SymbolicSurrogate

__all__ = ["load_surrogate"]


def load_surrogate(path: str | os.PathLike[str], *, properties: bool = False):
    """The surrogate saved at ``path`` (``SymbolicSurrogate``, ``GPSurrogate`` or
    ``MLPSurrogate``; a ``.safetensors`` field model as a
    :class:`~electroforge.surrogates.fields.calendering.CalenderingModel`), or a
    :class:`SurrogateError` naming the file. ``properties=True`` refuses a field model
    (it predicts structures, not a recipe's properties).

    Example:
        >>> load_surrogate("no-such-model.json")
        Traceback (most recent call last):
        ...
        electroforge.surrogates.symbolic.SurrogateError: no-such-model.json: cannot read the model file (No such file or directory); allowed: a JSON file written by `electroforge fit`
    """
    path = Path(path)
    if path.suffix == ".safetensors":
        if properties:
            raise SurrogateError("a calendering field model predicts structures, not "
                                 "properties", source=str(path),
                                 allowed="a JSON model of `electroforge fit` (the field model "
                                 "runs in the line: calendering = \"neural\")")
        from electroforge.errors import InputError
        from electroforge.surrogates.fields.calendering import load_calendering_model

        try:
            return load_calendering_model(path)
        except InputError as error:
            raise SurrogateError(error.problem, source=str(path), field=error.field,
                                 value=error.value, allowed=error.allowed) from None
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
