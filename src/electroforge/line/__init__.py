"""The virtual manufacturing line: recipe -> particles -> drying -> calendering -> voxel
properties -> DFN discharge, run in parallel on Dask.

Stages are pure functions of (recipe, :class:`LineParameters`, seed):
:mod:`~electroforge.line.particles`, :mod:`~electroforge.line.drying`,
:mod:`~electroforge.line.calendering` (on :mod:`~electroforge.line.dem`),
:mod:`~electroforge.line.voxels`, :mod:`~electroforge.line.properties`,
:mod:`~electroforge.line.discharge`; :mod:`~electroforge.line.chain` joins them for one
slurry and :func:`run` runs many recipes.

Needs the ``line`` extra (numba, taufactor, pyamg, pybamm, dask[distributed], tqdm).
"""

from electroforge.line.frames import frame_properties, load_frames
from electroforge.line.materials import LineParameters, default_grid
from electroforge.line.runner import LINE_VERSION, default_cache_dir, local_cluster, run

__all__ = ["LINE_VERSION", "LineParameters", "default_cache_dir", "default_grid", "frame_properties",
           "load_frames", "local_cluster", "run"]
