"""Small validation helpers shared by the frozen configuration objects."""

from __future__ import annotations

import math
import numbers

from electroforge.errors import InputError

__all__ = ["finite_number"]


def finite_number(value: object, *, field: str, what: str,
                  error: type[InputError] = InputError) -> float:
    """``value`` as a finite float, or ``error`` naming ``field`` (booleans are refused).

    Example:
        >>> finite_number(3, field="weight", what="weight")
        3.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(f"{what} must be a number", field=field, value=repr(value),
                    allowed="a finite real number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise error(f"{what} must be finite", field=field, value=number,
                    allowed="a finite real number")
    return number
