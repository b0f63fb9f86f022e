"""Benchmark: the calendering field surrogate on slurries it never saw, beside its two
baselines and the calendering-deep-learning reference (issue 15).

1. Frames: 24 slurries (scrambled Sobol over AM wt% x SC wt%, seed 15) x 3 compressions
   (one in each third of 2-50 %) through line v4 at its default box (48 um, 0.5 um voxels):
   ``electroforge line frames``.
2. Leave-slurries-out: the last 6 slurries (18 series) are held out; the model trains on
   the other 54 series (``electroforge surrogate train calendering``, direct task, random
   32 x 32 columns of the box, full height).
3. Validation (:func:`electroforge.surrogates.fields.validation.validate_calendering`):
   voxel R2 of the final frame and the final structure's properties, each measured by the
   line's own code on the DEM's image, the prediction, the affine baseline (the dried
   structure squeezed to the DEM's final height), the particle baseline (its AM particles
   squeezed to that height as rigid spheres, their overlaps relaxed, the CBD laid by the
   line's rule: :mod:`electroforge.surrogates.fields.particles`) and the copy baseline
   (the dried structure: the direct model's input).
   With ``--dem-rerun-um`` (default 1e-9), the DEM against itself beside them: each
   held-out series made again by the line with its particle centres moved by that much,
   from the dried structure (beside a rollout or a direct model) and one frame from the
   DEM's frame before (beside the one-step score), and about the most R2 a model that
   sees the dried structure can expect, 1 - (1 - R2 of the rerun) / 2
   (:func:`electroforge.line.frames.rerun_series`).
4. Time: the DEM's calendering of one slurry at the default box, per frame and per
   calendering, against the model's prediction of the whole box.

Run (CPU: about 12 min of frames with 2 workers, 14 min of training, 6 min of
validation)::

    python benchmarks/calendering_surrogate.py --work /tmp/calendering-bench

``--frames DIR`` and ``--model FILE`` reuse a frames folder and a trained model (the
model's header must name the same training series). Plots go to ``--plots`` (default
``WORK/plots``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SLURRIES, HELD_OUT = 24, 6
CR_BANDS = ((2.0, 17.0), (17.0, 34.0), (34.0, 50.0))
#: The reference's figures (calendering-deep-learning.txt: R2 > 0.90 every frame, about
#: 0.95 mean; porosity and diffusivity errors 0.5-9.8 %; tortuosity +-5 %; contact
#: surfaces about 10-15 %; 15 s a step against 47 min for its DEM).
REFERENCE = {"r2_final": "~0.95 (>0.90)", "porosity": "0.5-9.8 %", "tortuosity_factor": "+-5 %",
             "contact areas": "~10-15 %"}
TARGETS = {"r2_final": ">= 0.95", "porosity": "<= 2 %", "tortuosity_factor": "<= 5 %",
           "contact areas": "<= 10 %"}


def design() -> pd.DataFrame:
    from scipy.stats import qmc

    points = qmc.Sobol(2, scramble=True, seed=15).random(32)[:SLURRIES]
    rng = np.random.default_rng(15)
    rows = []
    for am, sc in zip(85.0 + 12.0 * points[:, 0], 55.0 + 17.0 * points[:, 1]):
        for low, high in CR_BANDS:
            rows.append((round(am, 2), round(sc, 2), round(rng.uniform(low, high), 1)))
    return pd.DataFrame(rows, columns=["am_wt_pct", "sc_wt_pct", "cr_pct"])


def split(frames: Path, work: Path) -> tuple[Path, Path]:
    """The training and held-out folders: the last HELD_OUT slurries held out."""
    from electroforge.datasets.frames import read_frames, subset_frames

    table = read_frames(frames).table
    slurries = list(dict.fromkeys(zip(table["am_wt_pct"], table["sc_wt_pct"])))
    held = set(slurries[-HELD_OUT:])
    test = [i for i, key in enumerate(zip(table["am_wt_pct"], table["sc_wt_pct"]))
            if key in held]
    train = [i for i in range(len(table)) if i not in test]
    subset_frames(frames, train, work / "train")
    subset_frames(frames, test, work / "test")
    return work / "train", work / "test"


def timings(row: pd.Series, surrogate, box_um: float) -> tuple[float, int, float]:
    """Seconds of the DEM's calendering of one recipe in a ``box_um`` box, its frames, and
    the surrogate's seconds on the same dried film."""
    from electroforge.line.calendering import calender
    from electroforge.line.chain import conserved_volumes, dried_film
    from electroforge.line.film import film_labels
    from electroforge.line.materials import LineParameters, default_grid

    params = LineParameters(footprint_um=box_um)
    slurry, film, model = dried_film(row["am_wt_pct"], row["sc_wt_pct"], seed=0, params=params)
    start = time.perf_counter()
    result = calender(film, row["cr_pct"], params, model)
    dem = time.perf_counter() - start
    dried = film_labels(film.state.positions, film.state.radii, film.state.kinds,
                        top_um=film.thickness_um, grid=default_grid(params), params=params,
                        **conserved_volumes(slurry))
    start = time.perf_counter()
    surrogate.calender(dried, row["cr_pct"])
    return dem, len(result.frames) - 1, time.perf_counter() - start


def r2_bound(r2_rerun):
    """The voxel R2 that a model seeing the dried structure can expect at most, from the R2
    of the DEM against its rerun (:func:`electroforge.line.frames.rerun_series`)."""
    return 1 - (1 - r2_rerun) / 2


def bound_line(frames: pd.DataFrame, rerun_um: float) -> str:
    """:func:`r2_bound`, mean over the series, on the final frame and on the worst frame."""
    cells = []
    for method, beside in (("dem_rerun", "model"), ("dem_one_step", "one_step")):
        rows = frames[frames["method"] == method].assign(bound=lambda t: r2_bound(t["r2"]))
        if len(rows):
            final = rows.loc[rows["final"], "bound"].mean()
            worst = rows.groupby("frame")["bound"].mean().min()
            cells.append(f"{beside} <= {final:.3f} on the final frame, <= {worst:.3f} on the "
                         "worst")
    return (f"{'R2 bound, input the dried image':<34}" + "; ".join(cells)
            + f"\n  (the DEM against itself: two runs whose particle centres differ by "
            f"{rerun_um:g} um; a model's expected squared error against one run is at least "
            "half theirs)")


def step_lines(result) -> list[str]:
    """The one-step scores by the film's move per frame
    (:meth:`~electroforge.surrogates.fields.validation.CalenderingValidation.by_step`), with
    the band of the reference's step marked."""
    from electroforge.surrogates.fields.validation import REFERENCE_STEP_PCT, step_band

    table = result.by_step()
    if table.empty:
        return []
    methods = list(table["mean"].columns)
    lines = [f"one step at a time, by the film top's move over the frame (% of the dried film;"
             f" the reference: {REFERENCE_STEP_PCT:.2f} % a frame)",
             f"{'move per frame':<16}{'frames':>7}" + "".join(f"{m + ' mean':>20}" for m in methods)
             + "".join(f"{m + ' worst':>20}" for m in methods)]
    reference = step_band(REFERENCE_STEP_PCT)
    for name, row in table.iterrows():
        mark = " <- the reference's step" if name == reference else ""
        lines.append(f"{name + ' %':<16}{int(row[('frames', methods[0])]):>7}"
                     + "".join(f"{row[('mean', m)]:>20.3f}" for m in methods)
                     + "".join(f"{row[('worst', m)]:>20.3f}" for m in methods) + mark)
    return lines


def surface_lines(final: pd.DataFrame, methods: list[str]) -> list[str]:
    """Signed mean errors of the AM-CBD contact and of the AM's whole surface (pore-AM plus
    AM-CBD faces) per method: whether a contact-area error is the CBD misplaced on a
    surface of the right size, or the AM's surface itself lost (a squeeze presses the
    particles into one another: the DEM's are rigid spheres that slide aside and keep
    theirs)."""
    areas = final[final["property"].isin(("area_pore_am_um2", "area_am_cbd_um2"))]
    whole = areas.groupby(["series", "method"])[["dem", "value"]].sum()
    surface = (whole["value"] / whole["dem"] - 1.0).groupby("method").mean()
    contact = final[final["property"] == "area_am_cbd_um2"].groupby("method")["rel_error"].mean()
    return [f"{label:<34}" + "".join(f"{100 * series.get(m, np.nan):>+13.1f}%" for m in methods)
            for label, series in (("area_am_cbd_um2 err (signed)", contact),
                                  ("AM surface err (signed)", surface))]


def plots(result, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    final = result.frames[result.frames["final"] & (result.frames["method"] != "dem")]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for method, rows in final.groupby("method"):
        ax.plot(rows["cr_pct"], rows["r2"], "o", label=method)
    ax.axhline(0.95, color="k", lw=0.8, ls="--")
    ax.set(xlabel="CR (%)", ylabel="voxel R2, final frame", title="held-out slurries")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "r2_final.png", dpi=120)
    plt.close(fig)
    per_frame = result.frames[result.frames["method"] != "dem"].groupby(
        ["method", "frame"])["r2"].mean()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for method in per_frame.index.get_level_values(0).unique():
        rows = per_frame[method]
        ax.plot(rows.index, rows.values, "o-" if len(rows) > 1 else "o", label=method, ms=3)
    if "dem_rerun" in per_frame.index.get_level_values(0):
        bound = r2_bound(per_frame["dem_rerun"])
        ax.plot(bound.index, bound.values, "k:", label="a rollout's bound (dem_rerun)")
    ax.axhline(0.95, color="k", lw=0.8, ls="--")
    ax.set(xlabel="frame", ylabel="voxel R2 (mean over series)", title="held-out slurries")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "r2_frames.png", dpi=120)
    plt.close(fig)
    from electroforge.surrogates.fields.validation import ONE_STEP_METHODS, REFERENCE_STEP_PCT

    moving = result.frames[(result.frames["step_pct"] > 0)
                           & result.frames["method"].isin(ONE_STEP_METHODS)]
    if (moving["method"] == "one_step").any():
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for method, rows in moving.groupby("method"):
            ax.plot(rows["step_pct"], rows["r2"], "o", ms=3, alpha=0.6, label=method)
        ax.axhline(0.95, color="k", lw=0.8, ls="--")
        ax.axvline(REFERENCE_STEP_PCT, color="grey", lw=0.8, ls=":", label="the reference's step")
        ax.set(xlabel="film top's move over the frame (% of the dried film)",
               ylabel="voxel R2, one step", title="held-out slurries, frames that move")
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / "r2_by_step.png", dpi=120)
        plt.close(fig)
    over_time = result.frames.groupby(["method", "frame"])[
        ["pore_fraction", "cbd_fraction", "film_layers"]].mean()
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
    for ax, column in zip(axes, over_time.columns):
        for method in ("dem", "model", "one_step"):
            if method in over_time.index.get_level_values(0):
                rows = over_time.loc[method, column]
                ax.plot(rows.index, rows.values, "o-" if len(rows) > 1 else "o", ms=3,
                        label=method)
        ax.set(xlabel="frame", ylabel=f"{column} (mean over series)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(folder / "volumes_frames.png", dpi=120)
    plt.close(fig)
    every = result.frames[result.frames["final"]]
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
    for ax, phase in zip(axes, ("pore_fraction", "cbd_fraction", "am_fraction")):
        dem = every[every["method"] == "dem"].set_index("series")[phase]
        for method in ("model", "affine", "particles", "copy"):
            ours = every[every["method"] == method].set_index("series")[phase]
            if ours.empty:
                continue
            ax.plot(dem, ours.reindex(dem.index), "o", label=method, ms=4)
        low, high = dem.min(), dem.max()
        ax.plot([low, high], [low, high], "k-", lw=0.8)
        ax.set(xlabel=f"DEM {phase}", ylabel="predicted")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(folder / "volumes.png", dpi=120)
    plt.close(fig)
    names = [name for name in ("dried", "dem", "model", "affine", "particles")
             if name in result.slices]
    fig, axes = plt.subplots(1, len(names), figsize=(3 * len(names), 3))
    for ax, name in zip(axes, names):
        ax.imshow(result.slices[name], origin="lower", cmap="viridis", vmin=0, vmax=3,
                  interpolation="nearest")
        ax.set(title=name, xticks=[], yticks=[])
    fig.tight_layout()
    fig.savefig(folder / "slice.png", dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("calendering-bench"))
    parser.add_argument("--frames", type=Path, help="an existing frames folder of design()")
    parser.add_argument("--model", type=Path, help="an existing model")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--crop", type=int, default=32)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rollout-stride", type=int, default=1,
                        help="a next model's rollout steps through every so many DEM frames "
                        "(and the last loading and the final one; default 1: every frame)")
    parser.add_argument("--dem-rerun-um", type=float, default=1e-9,
                        help="also score the DEM against itself, each held-out series made "
                        "again with its particle centres moved by this much (um; default "
                        "1e-9; a negative value skips it)")
    parser.add_argument("--plots", type=Path)
    parser.add_argument("--boxes", type=float, nargs="+", default=[48.0, 96.0],
                        help="box sides (um) at which to time the DEM and the model")
    args = parser.parse_args()
    from electroforge.cli import main as electroforge
    from electroforge.surrogates.fields.calendering import (CALENDER_STEPS,
                                                            load_calendering_model)
    from electroforge.surrogates.fields.validation import METHODS, validate_calendering

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    frames = args.frames
    if frames is None:
        design().to_csv(work / "design.csv", index=False)
        frames = work / "frames"
        start = time.perf_counter()
        electroforge(["line", "frames", str(work / "design.csv"), "--out", str(frames),
                      "--workers", str(args.workers)])
        print(f"frames: {time.perf_counter() - start:.0f} s")
    train, test = split(frames, work)
    model_path = args.model
    if model_path is None:
        model_path = work / "calendering.direct.safetensors"
        start = time.perf_counter()
        electroforge(["surrogate", "train", "calendering", str(train), "--out", str(model_path),
                      "--epochs", str(args.epochs), "--crop", str(args.crop),
                      "--width", str(args.width)])
        print(f"training: {(time.perf_counter() - start) / 60:.1f} min on the CPU (1 thread)")
        from electroforge.surrogates.fields.calendering import shipped_model_path
        from electroforge.surrogates.fields.files import load_field_model

        ours = load_field_model(model_path)[0]
        shipped = load_field_model(shipped_model_path("direct"))[0]
        same = all(np.array_equal(a.numpy(), b.numpy()) for a, b in
                   zip(ours.state_dict().values(), shipped.state_dict().values()))
        print(f"the weights are {'identical to' if same else 'NOT those of'} the shipped "
              "direct model")
    model = load_calendering_model(model_path)
    from electroforge.surrogates.fields.training import data_hash

    trained_on = model.header.get("data_sha256")
    print(f"model {model_path}: trained on {'these' if trained_on == data_hash(train) else 'OTHER'}"
          f" {len(pd.read_json(train / 'manifest.json', typ='series')['series'])} series; "
          f"held out {HELD_OUT} slurries")
    rerun = args.dem_rerun_um if args.dem_rerun_um >= 0 else None
    result = validate_calendering(model, test, rollout_stride=args.rollout_stride,
                                  dem_rerun_um=rerun)
    summary = result.summary()
    print(f"\nheld-out: {len(result.final['series'].unique())} series, box 48 um at 0.5 um "
          f"voxels (the model sees the whole box; it trained on {args.crop}^2 columns)")
    methods = [m for m in METHODS if f"r2_final_{m}" in summary]
    # the column names within 13 characters
    print(f"{'metric':<34}" + "".join(f"{m.replace('calender_', 'cal_'):>14}" for m in methods)
          + f"   {'reference':<16}target")
    print(f"{'voxel R2, final frame (mean)':<34}"
          + "".join(f"{summary[f'r2_final_{m}']:>14.3f}" for m in methods)
          + f"   {REFERENCE['r2_final']:<16}{TARGETS['r2_final']}")
    worst = result.frames[result.frames["final"]].groupby("method")["r2"].min()
    print(f"{'voxel R2, final frame (worst)':<34}" + "".join(f"{worst[m]:>14.3f}" for m in methods))
    if model.task == "next":
        print(f"{'voxel R2, worst frame (mean)':<34}"
              + "".join(f"{'':>14}" if m in ("affine", "particles", "calender",
                                               "calender_particles") else
                        f"{summary[f'r2_worst_frame_{m}']:>14.3f}" for m in methods)
              + f"   {'> 0.90':<16}>= 0.95 every frame")
    if rerun is not None:
        print(bound_line(result.frames, rerun))
    print(f"{'R2 as the reference, final frame':<34}"
          + "".join(f"{summary[f'r2_reference_final_{m}']:>14.3f}" for m in methods)
          + f"   {REFERENCE['r2_final']:<16}(its Eq. 3 as it computed it: raw labels 0/1/2,"
          " void 4, the whole array; comparison only)")
    print(f"{'R2 as the reference, frame mean':<34}"
          + "".join(f"{summary[f'r2_reference_mean_{m}']:>14.3f}" for m in methods))
    for name, label in (("porosity", "porosity"), ("density_g_cm3", "density"),
                        ("tortuosity_factor", "tortuosity_factor"),
                        ("conductivity_s_m", "conductivity"),
                        ("area_pore_am_um2", "contact areas"), ("area_pore_cbd_um2", None),
                        ("area_am_cbd_um2", None)):
        cells = "".join(f"{100 * summary[f'{name}_mean_err_{m}']:>13.1f}%" for m in methods)
        ref = REFERENCE.get(label or "", "")
        print(f"{name + ' |err| mean':<34}{cells}   {ref:<16}{TARGETS.get(label or '', '')}")
    print("\n".join(surface_lines(result.final, methods)))
    if model.task == "next":
        print(f"(next-frame model: 'model' is its rollout from the dried structure on the DEM's "
              f"schedule, a step every {args.rollout_stride} frame(s), 'one_step' each frame "
              "from the DEM's frame before, as the reference scored its network; 'copy' is the "
              "DEM's frame before; both are given each DEM "
              "frame's film height, as 'affine' is given the final one, so their porosity and "
              "density are exact by mass balance; 'calender' is the model as the line uses it, "
              "from the dried structure and the CR alone: rolled to the roll's gap, then "
              "unloaded to the spring-back of its training films, its porosity its own)")
        print("\n".join(["", *step_lines(result)]))
    print()
    for box in args.boxes:
        seconds, n_frames, ours = timings(design().iloc[-1], model, box)
        steps = 1 if model.task == "direct" else CALENDER_STEPS + 1   # and one unloading
        ratio = seconds / ours
        print(f"time (CPU, 1 thread, {box:g} um box): DEM {seconds:.1f} s per calendering "
              f"({n_frames} frames, {seconds / n_frames:.2f} s per frame); model "
              f"{ours:.2f} s per calendering ({steps} step{'s' if steps > 1 else ''} of the "
              f"whole box, {ours / steps:.2f} s per step): "
              + (f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"))
    result.final.to_csv(work / "final_properties.csv", index=False)
    result.frames.to_csv(work / "frames_r2.csv", index=False)
    plots(result, args.plots or work / "plots")
    print(f"tables in {work}, plots in {args.plots or work / 'plots'}")


if __name__ == "__main__":
    main()
