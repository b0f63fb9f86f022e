"""The units electroforge understands, with the spellings people actually type.

Units are labels, not a conversion system: the engine never converts between them,
but it refuses a unit it does not know, so that a typo ("wt %" vs "wt%" is fine,
"wt" is not) is caught when a space or dataset is loaded rather than in a report.
"""

from __future__ import annotations

from types import MappingProxyType

from electroforge.errors import SpaceError

__all__ = ["KNOWN_UNITS", "canonical_unit"]

#: Canonical unit -> what it measures.
KNOWN_UNITS: MappingProxyType[str, str] = MappingProxyType(
    {
        "-": "dimensionless",
        "%": "percent",
        "wt%": "mass percent",
        "vol%": "volume percent",
        "1/h": "C-rate (inverse hours)",
        "h": "hours",
        "s": "seconds",
        "min": "minutes",
        "um": "micrometres",
        "nm": "nanometres",
        "mm": "millimetres",
        "g/cm3": "grams per cubic centimetre",
        "mg/cm2": "milligrams per square centimetre",
        "S/m": "siemens per metre",
        "mAh/g": "milliampere-hours per gram",
        "mAh/cm2": "milliampere-hours per square centimetre",
        "Wh/kg": "watt-hours per kilogram",
        "W/kg": "watts per kilogram",
        "V": "volts",
        "MPa": "megapascals",
        "degC": "degrees Celsius",
        "K": "kelvin",
        "m/min": "metres per minute",
        "mPa.s": "millipascal-seconds",
        "m2/g": "square metres per gram",
    }
)

_ALIASES = {
    "": "-",
    "1": "-",
    "dimensionless": "-",
    "percent": "%",
    "wt.%": "wt%",
    "wt %": "wt%",
    "mass%": "wt%",
    "vol %": "vol%",
    "c": "1/h",
    "c-rate": "1/h",
    "h^-1": "1/h",
    "h-1": "1/h",
    "1/hr": "1/h",
    "µm": "um",
    "μm": "um",
    "micron": "um",
    "g/cc": "g/cm3",
    "g/cm^3": "g/cm3",
    "g cm-3": "g/cm3",
    "mg/cm^2": "mg/cm2",
    "s/m": "S/m",
    "mah/g": "mAh/g",
    "°c": "degC",
    "celsius": "degC",
    "mpa": "MPa",
    "mpa s": "mPa.s",
    "m^2/g": "m2/g",
}


def canonical_unit(unit: str, *, field: str | None = None) -> str:
    """Return the canonical spelling of ``unit``, or raise naming what is allowed.

    Args:
        unit: A unit as written by a user ("wt%", "µm", "g/cc", "C").
        field: The parameter or column the unit belongs to, for the error message.

    Example:
        >>> canonical_unit("µm"), canonical_unit("g/cc"), canonical_unit("C")
        ('um', 'g/cm3', '1/h')
    """
    if not isinstance(unit, str):
        raise SpaceError("unit must be text", field=field, value=repr(unit), allowed=_allowed())
    text = unit.strip()
    if text in KNOWN_UNITS:
        return text
    lowered = text.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    for known in KNOWN_UNITS:
        if known.lower() == lowered:
            return known
    raise SpaceError("unknown unit", field=field, value=repr(unit), allowed=_allowed())


def _allowed() -> str:
    return ", ".join(KNOWN_UNITS)
