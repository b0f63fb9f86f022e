"""electroforge: inverse design of lithium-ion battery electrode manufacturing.

Tell it the electrode you want; it tells you the recipe to make (active material
wt%, slurry solid content wt%, calendering compression %, discharge C-rate).

Example:
    >>> import electroforge
    >>> space = electroforge.default_space()
    >>> electroforge.design.sobol(space, 4, seed=0).columns.tolist()
    ['am_wt_pct', 'sc_wt_pct', 'cr_pct', 'c_rate']
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from electroforge.errors import ElectroforgeError, InputError
from electroforge.space import Parameter, Space, default_space

try:
    __version__ = version("electroforge")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

_SUBPACKAGES = ("campaigns", "datasets", "design", "objectives", "surrogates")

__all__ = ["ElectroforgeError", "InputError", "Parameter", "Space", "__version__",
           "default_space", *_SUBPACKAGES]


def __getattr__(name: str) -> Any:
    # Subpackages load on first use so that `import electroforge` stays fast.
    if name in _SUBPACKAGES:
        return importlib.import_module(f"electroforge.{name}")
    raise AttributeError(f"module 'electroforge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBPACKAGES))
