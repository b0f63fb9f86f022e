"""Parameter spaces: named parameters with bounds, units, stages and fixed values."""

from electroforge.space.defaults import DEFAULT_PARAMETERS, default_space
from electroforge.space.parameter import SLURRY_STAGES, STAGES, Parameter
from electroforge.space.space import Space

__all__ = ["DEFAULT_PARAMETERS", "Parameter", "SLURRY_STAGES", "STAGES", "Space", "default_space"]
