"""The default recipe space of the reference study (SPEC "Parameter space")."""

from __future__ import annotations

from types import MappingProxyType

from electroforge.space.parameter import Parameter
from electroforge.space.space import Space

__all__ = ["DEFAULT_PARAMETERS", "default_space"]

#: The four parameters of the reference study, with the SPEC's default bounds.
DEFAULT_PARAMETERS: MappingProxyType[str, Parameter] = MappingProxyType(
    {
        "am_wt_pct": Parameter(
            "am_wt_pct", 85.0, 97.0, unit="wt%", stage="slurry",
            description="active material (NMC111) content, wt% of solids; "
            "the rest is carbon-binder domain (CBD)",
        ),
        "sc_wt_pct": Parameter(
            "sc_wt_pct", 55.0, 72.0, unit="wt%", stage="slurry",
            description="slurry solid content, wt% of solids in the slurry",
        ),
        "cr_pct": Parameter(
            "cr_pct", 0.0, 50.0, unit="%", stage="calendering",
            description="calendering compression rate, % reduction of the dried thickness",
        ),
        "c_rate": Parameter(
            "c_rate", 0.25, 4.0, unit="1/h", stage="cycling",
            description="discharge C-rate",
        ),
    }
)


def default_space() -> Space:
    """The space of the reference study: AM wt%, SC wt%, CR % and C-rate.

    Example:
        >>> print(default_space())
        Space(
          am_wt_pct in [85, 97] wt%
          sc_wt_pct in [55, 72] wt%
          cr_pct in [0, 50] %
          c_rate in [0.25, 4] 1/h
        )
    """
    return Space(tuple(DEFAULT_PARAMETERS.values()))
