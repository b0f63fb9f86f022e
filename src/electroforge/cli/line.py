"""``electroforge line``: run the virtual manufacturing line over a design."""

from __future__ import annotations

import argparse
from pathlib import Path

from electroforge.cli.options import (
    add_space_options, check_dataset_output, check_space_input, command_line, count, seed,
    seed_count, space_from_args, workers)
from electroforge.datasets import SUFFIXES, read_dataset, write_dataset
from electroforge.errors import InputError
from electroforge.paths import check_input_file, check_output_dir, check_output_file

#: ``line.run``'s discharges (electroforge.line.runner.DISCHARGES, not imported here: the
#: line would then load with every command)
DISCHARGES = ("dfn", "halfcell")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "line", help="virtual manufacturing line: recipes -> microstructures -> properties",
        description="The virtual manufacturing line (particles, drying, calendering DEM, voxel "
        "properties, DFN discharge).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=type(parser))
    run = actions.add_parser(
        "run", help="simulate every recipe of a design",
        description="Simulate every recipe of DESIGN (CSV or Parquet with am_wt_pct, sc_wt_pct, "
        "cr_pct and optionally c_rate) and write one row of properties per recipe. Finished "
        "recipes are cached: an interrupted run resumes where it stopped.")
    run.add_argument("design", metavar="DESIGN", help="recipes, .csv or .parquet")
    run.add_argument("--out", required=True, metavar="FILE", help="properties, .csv or .parquet")
    run.add_argument("--grid", type=count, default=None,
                     help="voxels across the box (default: 0.5 um voxels, 96 for the 48 um box)")
    run.add_argument("--seed", type=seed, default=0, help="seed of the particles (default 0)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--workers", type=workers, metavar="N",
                       help="local worker processes (default: CPU count; 0: in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a Dask scheduler to run on, e.g. tcp://10.0.0.5:8786")
    run.add_argument("--frames-dir", metavar="DIR",
                     help="also write every calendering frame (uint8 voxels, npz) there, "
                     "and the half-cell's fields with --discharge halfcell")
    run.add_argument("--cache-dir", metavar="DIR",
                     help="finished recipes (default: $ELECTROFORGE_CACHE or ~/.cache/electroforge)")
    run.add_argument("--discharge", choices=DISCHARGES, default="dfn",
                     help="dfn: PyBaMM's homogenized DFN on the image's properties (default); "
                     "halfcell: the voxel half-cell on the calendered image itself (some 15 "
                     "min a recipe at 0.5 um voxels on one core; its fields go to --frames-dir)")
    run.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                     help="where the half-cell's linear solves run (cuda: torch on the GPU)")
    add_space_options(run)
    run.set_defaults(handler=run_line)

    frames = actions.add_parser(
        "frames", help="write the calendering frame series of a design (field surrogates)",
        description="Simulate every recipe of DESIGN and write its calendering series (uint8 "
        "voxel labels of every frame, with the compression, frame phase and strain) and a "
        "manifest into DIR, for training the neural calendering surrogate.")
    frames.add_argument("design", metavar="DESIGN", help="recipes, .csv or .parquet")
    frames.add_argument("--out", required=True, metavar="DIR", help="the series' folder")
    frames.add_argument("--grid", type=count, default=None,
                        help="voxels across the box (default: 0.5 um voxels)")
    frames.add_argument("--seed", type=seed, default=0, help="seed of the particles (default 0)")
    frames.add_argument("--workers", type=workers, metavar="N",
                        help="local worker processes (default: CPU count; 0: in this process)")
    frames.add_argument("--cache-dir", metavar="DIR",
                        help="finished recipes (default: $ELECTROFORGE_CACHE or "
                        "~/.cache/electroforge)")
    add_space_options(frames)
    frames.set_defaults(handler=run_frames)

    validate = actions.add_parser(
        "validate", help="compare the line with the published anchors",
        description="Run a small set of recipes and print the line's porosity, tortuosity, "
        "conductivity and capacity beside the published anchors, saying where it departs.")
    validate.add_argument("--grid", type=count, default=None,
                          help="voxels across the box (default: 0.5 um voxels)")
    validate.add_argument("--seeds", type=seed_count, default=5, metavar="N",
                          help="particle seeds for the seed-to-seed spread (default 5; 0 or 1 "
                          "skips it)")
    validate.add_argument("--seed", type=seed, default=0, help="seed of the particles (default 0)")
    validate.add_argument("--workers", type=workers, metavar="N",
                          help="local worker processes (default: CPU count; 0: in this process)")
    validate.add_argument("--cache-dir", metavar="DIR", help="finished recipes (default as for run)")
    validate.add_argument("--out", metavar="FILE", help="also write the report to this text file")
    validate.set_defaults(handler=run_validate)


def run_frames(args: argparse.Namespace) -> int:
    from electroforge import line
    from electroforge.datasets.frames import MANIFEST, write_frames
    from electroforge.line.runner import _seeds, frames_files

    check_space_input(args)
    check_input_file(args.design, suffixes=SUFFIXES, what="design")
    out = check_output_dir(args.out, option="--out", inputs=[args.design, args.space])
    if args.cache_dir:
        check_output_dir(args.cache_dir, option="--cache-dir",
                         inputs=[args.design, args.space, args.out])
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise InputError("the output folder holds other files", source=str(out),
                         field="--out", allowed="an empty or new folder, or one written by "
                         "electroforge line frames (replaced as a whole)")
    space = space_from_args(args)
    # the calendering alone: a discharge failure must not cost a good series
    recipes = read_dataset(args.design).drop(columns=["c_rate"], errors="ignore")
    import tempfile

    from electroforge.atomic import staged_folder

    with tempfile.TemporaryDirectory(prefix="line-frames-") as raw:
        try:
            table = line.run(recipes, grid=args.grid, seed=args.seed, workers=args.workers,
                             space=space, cache_dir=args.cache_dir, frames_dir=raw)
        except InputError as error:
            raise error.with_source(args.design) if error.source is None else error from None
        made = table["error"] == ""
        sources = frames_files(recipes, raw, grid=args.grid, seed=args.seed, space=space)
        seeds = _seeds(args.seed, len(table))
        keep = [i for i in range(len(table)) if made.iloc[i]]
        with staged_folder(out) as stage:
            manifest = write_frames(
                [sources[i] for i in keep], table.iloc[keep], [seeds[i] for i in keep], stage,
                meta={"command": command_line(args.argv), "line_version": line.LINE_VERSION,
                      "line_parameters": line.LineParameters().to_dict()})
            written = {p.name for p in stage.glob("series_*.npz")}
    for old in out.glob("series_*.npz"):      # an earlier run's series beyond this one's
        if old.name not in written:
            old.unlink()
    print(f"wrote {len(keep)} calendering series to {out} ({manifest.name}); "
          f"{len(table) - len(keep)} recipes failed")
    for index, row in table[~made].iterrows():
        print(f"  failed: row {index + 1}: {row['error']}")
    return 1 if len(keep) < len(table) else 0


def run_line(args: argparse.Namespace) -> int:
    from electroforge import line

    check_space_input(args)
    if args.device != "cpu":                     # before any file is read or written
        from electroforge.line.halfcell.solver import check_device

        check_device(args.device, field="--device")
        if args.discharge != "halfcell":
            raise InputError("the device runs the voxel half-cell's solves",
                             field="--device", value=args.device,
                             allowed="cpu, or --discharge halfcell")
    check_input_file(args.design, suffixes=SUFFIXES, what="design")
    check_dataset_output(args.out, inputs=[args.design, args.space])
    for option, folder in (("--frames-dir", args.frames_dir), ("--cache-dir", args.cache_dir)):
        if folder:
            check_output_dir(folder, option=option, inputs=[args.design, args.space, args.out])
    space = space_from_args(args)
    recipes = read_dataset(args.design)
    client = None
    if args.scheduler:
        from dask.distributed import Client

        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, ValueError, TypeError) as error:
            raise InputError(f"cannot reach the Dask scheduler ({error})", field="--scheduler",
                             value=args.scheduler, allowed="the address of a running scheduler")
    try:
        try:
            table = line.run(recipes, grid=args.grid, seed=args.seed, client=client,
                             workers=args.workers, space=space, cache_dir=args.cache_dir,
                             frames_dir=args.frames_dir, discharge=args.discharge,
                             device=args.device)
        except InputError as error:
            raise error.with_source(args.design) if error.source is None else error from None
    finally:
        if client is not None:
            client.close()
    write_dataset(table, args.out, metadata={"command": command_line(args.argv),
                                             "line_version": line.LINE_VERSION,
                                             "line_parameters": line.LineParameters().to_dict()})
    failed = table[table["error"] != ""]
    print(f"wrote {len(table)} recipes ({len(table) - len(failed)} simulated, {len(failed)} failed) "
          f"to {args.out}")
    for index, row in failed.iterrows():
        print(f"  failed: row {index + 1}: {row['error']}")
    return 1 if len(failed) else 0


def run_validate(args: argparse.Namespace) -> int:
    from electroforge.atomic import atomic_write_text
    from electroforge.line.validate import validate_line

    if args.out:
        check_output_file(args.out, option="--out")
    if args.cache_dir:
        check_output_dir(args.cache_dir, option="--cache-dir", inputs=[args.out])
    report = validate_line(grid=args.grid, seed=args.seed, workers=args.workers,
                           cache_dir=args.cache_dir, seeds=args.seeds)
    print(report)
    if args.out:
        atomic_write_text(args.out, report + "\n")
        print(f"wrote {args.out}")
    return 0
