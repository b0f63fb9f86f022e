"""Virtual line speed: seconds per recipe at the default box on one core, and Dask speed-up.

Peer: the line version 4 issue's targets (median <= 60 s per recipe on one core at the
default box, 48 um x 48 um at 0.5 um voxels, 6.7 mg/cm2; two Dask workers >= 1.7x one
process). The Dask speed-up is measured against the same recipes run in one process.

Run: .venv/bin/python benchmarks/line_speed.py [--recipes 10] [--grid N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

TARGET_S = 60.0
TARGET_SPEED_UP = 1.7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", type=int, default=10)
    parser.add_argument("--grid", type=int, default=None, help="default: 0.5 um voxels")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import torch

    from electroforge import default_space, design, line

    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recipes = design.sobol(default_space(), args.recipes, seed=7)
    warm = recipes.iloc[:1].assign(am_wt_pct=91.0, sc_wt_pct=61.0)
    with tempfile.TemporaryDirectory() as cache:
        line.run(warm, grid=args.grid, workers=0, cache_dir=cache, progress=False)  # JIT warm-up
        seconds = []
        for i in range(len(recipes)):
            start = time.perf_counter()
            line.run(recipes.iloc[[i]], grid=args.grid, workers=0, cache_dir=cache, progress=False)
            seconds.append(time.perf_counter() - start)
    serial = sum(seconds)
    median = statistics.median(seconds)
    grid = args.grid or line.default_grid()
    print(f"grid {grid} (x-y) over {line.LineParameters().footprint_um:g} um, {len(recipes)} "
          "Sobol recipes, one core, one process")
    print(f"  median {median:.1f} s/recipe, min {min(seconds):.1f}, max {max(seconds):.1f}; "
          f"target {TARGET_S:.0f} s: ratio {median / TARGET_S:.2f}")
    from dask.distributed import Client

    from electroforge.line import local_cluster

    with local_cluster(args.workers) as cluster, Client(cluster) as client, \
            tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        client.run(_warm_up, args.grid)  # on every worker: imports and JIT compilation
        started = time.perf_counter() - start
        start = time.perf_counter()
        line.run(recipes, grid=args.grid, client=client, cache_dir=cache, progress=False)
        parallel = time.perf_counter() - start
    print(f"  Dask LocalCluster, {args.workers} warm workers: {parallel:.1f} s for all "
          f"(one process: {serial:.1f} s); speed-up {serial / parallel:.2f}x, "
          f"efficiency {serial / parallel / args.workers:.0%} (target {TARGET_SPEED_UP}x: ratio "
          f"{serial / parallel / TARGET_SPEED_UP:.2f}); "
          f"worker start and JIT warm-up: {started:.1f} s once per cluster")


def _warm_up(grid: int) -> None:
    import tempfile

    import pandas as pd

    from electroforge import line

    recipe = pd.DataFrame({"am_wt_pct": [91.0], "sc_wt_pct": [61.0], "cr_pct": [5.0],
                           "c_rate": [1.0]})
    with tempfile.TemporaryDirectory() as cache:
        line.run(recipe, grid=grid, workers=0, cache_dir=cache, progress=False)


if __name__ == "__main__":
    main()
