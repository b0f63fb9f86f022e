"""Benchmark: the voxel half-cell (issue 16) against PyBaMM and against its targets.

1. Layered electrode (AM walls and straight pore channels, matched physics; see
   :mod:`electroforge.line.halfcell.checks`) against PyBaMM's DFN: capacity (target
   within 2 %) and voltage RMS (target 10 mV) at 0.5C, 1C and 2C, 20 um film at 0.5 um
   voxels; and an 80 um film at 1C and 4C, where the electrolyte limits.
2. A calendered microstructure of the line (the MOBO optimum, AM 90.4 wt%, SC 58.2 wt%,
   CR 28.4 %) in a ``--box`` um periodic box at 0.5 um voxels, discharged at ``--c-rate``
   by the voxel half-cell and by the DFN from the same image's properties: capacity, the
   share of the AM surface that reacts, seconds; a figure of the lithiation in a slice at
   the end of the discharge.
3. ``--speed``: one 1C discharge of a 48 x 48 voxel box (24 um at 0.5 um; the film about
   48 layers) on one CPU core (target <= 5 min).
4. ``--refine``: the same 24 um box at 1 um and at 0.5 um voxels (24^2 -> 48^2 columns),
   capacity at 1C (target: changes by < 2 %), two ways: the line's image made again at
   0.5 um (the particles voxelized finer: the geometry itself changes, its pores and CBD
   joining up differently), and the 1 um image with every voxel split in eight (the same
   geometry on a grid twice as fine: the solver's discretization error alone).

Run: python benchmarks/halfcell_speed.py [--work DIR] [--speed] [--refine] [--device cuda]
(``--device cuda``: the half-cell's linear solves on the GPU; the results are cached by
recipe, so give a fresh ``--work`` to time them)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

OPTIMUM = {"am_wt_pct": 90.4, "sc_wt_pct": 58.2, "cr_pct": 28.4}
TARGET_SECONDS = 300.0


def line_runs(box_um: float, grid: int, c_rate: float, work: Path, device: str = "cpu"
              ) -> tuple:
    """The optimum through the line in a ``box_um`` box at ``grid`` voxels across,
    discharged by the DFN and by the voxel half-cell (fields stored in ``work``): both
    results, the seconds of the half-cell's run, the line's constants and the frames file."""
    from electroforge import line
    from electroforge.line import LineParameters
    from electroforge.line.runner import frames_files

    params = LineParameters(footprint_um=box_um)
    recipe = pd.DataFrame([OPTIMUM | {"c_rate": c_rate}])
    common = dict(grid=grid, seed=0, workers=0, params=params, cache_dir=work / "cache",
                  progress=False)
    dfn = line.run(recipe, **common).iloc[0]
    start = time.perf_counter()
    folder = work / f"frames-{box_um:g}um-{grid}"
    cell = line.run(recipe, discharge="halfcell", frames_dir=folder, device=device,
                    **common).iloc[0]
    (frames,) = frames_files(recipe, folder, grid=grid, params=params, discharge="halfcell")
    return dfn, cell, time.perf_counter() - start, params, frames


def split_refinement(path: Path, c_rate: float, params, device: str = "cpu"):
    """The half-cell on the film of the frames file ``path`` with every voxel split in
    eight: the same geometry at half the voxel size."""
    from electroforge.line.frames import load_frames
    from electroforge.line.halfcell import HalfCellParameters, halfcell_discharge

    frames = load_frames(path)
    labels = frames["halfcell_labels"]
    voxel_um = float(frames["voxel_um"])
    for axis in range(3):
        labels = np.repeat(labels, 2, axis=axis)
    return halfcell_discharge(labels, voxel_um=voxel_um / 2, c_rate=c_rate, device=device,
                              params=HalfCellParameters.from_line(params),
                              cutoff_v=params.discharge_cutoff_v)


def slice_figure(path: Path, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from electroforge.line.frames import load_frames

    frames = load_frames(path)
    lithiation = frames["halfcell_lithiation"][-1].astype(float)
    labels = frames["halfcell_labels"]
    middle = labels.shape[1] // 2
    shown = np.where(labels[:, middle] == 2, lithiation[:, middle], np.nan)
    # as wide as the slice needs beside its height, and room for the colour bar
    fig, ax = plt.subplots(figsize=(1.8 + 4.2 * shown.shape[1] / shown.shape[0], 4.5))
    image = ax.imshow(shown, origin="lower", cmap="viridis", interpolation="nearest")
    ax.set(title="AM lithiation, last frame\n(slice y = middle)", xlabel="x (voxels)",
           ylabel="z (voxels, collector at 0)")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("halfcell-bench"))
    parser.add_argument("--box", type=float, default=12.0)
    parser.add_argument("--c-rate", type=float, default=2.0)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--refine", action="store_true")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda: the half-cell's "
                        "linear solves on the GPU (torch)")
    args = parser.parse_args()
    from electroforge.line.halfcell.checks import layered_against_pybamm

    args.work.mkdir(parents=True, exist_ok=True)
    print("1. layered electrode against PyBaMM's DFN (matched physics)")
    print(f"{'film':>8}{'C-rate':>8}{'ours mAh/g':>12}{'PyBaMM':>10}{'error':>9}"
          f"{'V RMS mV':>10}{'s':>7}   target: 2 %, 10 mV")
    for thickness, voxel, rates in ((20.0, 0.5, (0.5, 1.0, 2.0)), (80.0, 1.0, (1.0, 4.0))):
        for rate in rates:
            check = layered_against_pybamm(rate, thickness_um=thickness, voxel_um=voxel)
            print(f"{thickness:>6.0f}um{rate:>8g}{check['capacity_halfcell_mah_g']:>12.2f}"
                  f"{check['capacity_pybamm_mah_g']:>10.2f}"
                  f"{100 * check['capacity_error']:>8.2f}%{check['voltage_rms_mv']:>10.2f}"
                  f"{check['seconds_halfcell']:>7.1f}")

    print(f"\n2. the line's calendered optimum, {args.box:g} um box at 0.5 um voxels, "
          f"{args.c_rate:g}C")
    grid = int(round(args.box / 0.5))
    dfn, cell, seconds, _, frames = line_runs(args.box, grid, args.c_rate, args.work,
                                              args.device)
    if cell["error"]:
        raise SystemExit(f"   the half-cell failed: {cell['error']}")
    print(f"   porosity {cell['porosity']:.3f}, thickness {cell['thickness_um']:.1f} um, "
          f"tortuosity factor {cell['tortuosity_factor']:.2f}")
    print(f"   capacity: voxel half-cell {cell['capacity_mah_g']:.1f} mAh/g, DFN on the "
          f"image's properties {dfn['capacity_mah_g']:.1f} mAh/g "
          f"(practical {cell['practical_capacity_mah_g']:.1f})")
    print(f"   share of the AM surface that reacts (>= half the mean current density): "
          f"{cell['reacting_surface_share']:.2f}; {seconds:.0f} s (line and half-cell)")
    slice_figure(frames, args.work / "lithiation_slice.png")
    print(f"   figure: {args.work / 'lithiation_slice.png'}")

    if args.speed or args.refine:
        _, fine, seconds, _, _ = line_runs(24.0, 48, 1.0, args.work, args.device)
        print(f"\n3. 48 x 48 columns (24 um at 0.5 um), film {fine['thickness_um']:.1f} um, 1C: "
              f"{fine['capacity_mah_g']:.1f} mAh/g in {seconds:.0f} s (line and half-cell; "
              f"target <= {TARGET_SECONDS:.0f} s for the half-cell)")
        if args.refine:
            _, coarse, _, params, frames = line_runs(24.0, 24, 1.0, args.work, args.device)
            change = (coarse["capacity_mah_g"] - fine["capacity_mah_g"]) / fine["capacity_mah_g"]
            print(f"4. refinement: 1 um voxels {coarse['capacity_mah_g']:.1f} mAh/g "
                  f"(tortuosity factor {coarse['tortuosity_factor']:.2f})")
            print(f"   the line's image at 0.5 um: {fine['capacity_mah_g']:.1f} mAh/g (tortuosity"
                  f" factor {fine['tortuosity_factor']:.2f}): {100 * change:+.2f} % "
                  "(target < 2 %)")
            split = split_refinement(frames, 1.0, params, args.device)
            change = (coarse["capacity_mah_g"] - split.capacity_mah_g) / split.capacity_mah_g
            print(f"   the 1 um image, each voxel split in eight: {split.capacity_mah_g:.1f} "
                  f"mAh/g in {split.seconds:.0f} s: {100 * change:+.2f} % (target < 2 %)")


if __name__ == "__main__":
    main()
