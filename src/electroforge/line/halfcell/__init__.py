"""The pore-resolved voxel half-cell (issue 16): a finite-volume NMC111 | separator | Li
cell on the line's microstructures ([T1] Eqs. 1-9), beside the homogenized DFN."""

from electroforge.line.halfcell.mesh import build_mesh
from electroforge.line.halfcell.parameters import HalfCellParameters
from electroforge.line.halfcell.solver import HalfCellDischarge, halfcell_discharge

__all__ = ["HalfCellDischarge", "HalfCellParameters", "build_mesh", "halfcell_discharge"]
