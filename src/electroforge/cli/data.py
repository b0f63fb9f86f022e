"""``electroforge data check``: validate a table of recipes (and properties) against a space."""

from __future__ import annotations

import argparse

from electroforge.cli.options import (
    add_space_options, check_dataset_output, check_space_input, space_from_args)
from electroforge.datasets import SUFFIXES, read_dataset, validate_dataset, write_dataset
from electroforge.paths import check_input_file


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "data", help="check (and clean) a table of recipes and properties",
        description="Datasets: CSV or Parquet tables of recipes and properties.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=type(parser))
    check = actions.add_parser(
        "check", help="validate a table against the space; optionally drop bad rows",
        description="Check that every recipe has every parameter, numeric and finite values, "
        "lies inside the space, and appears once. Exits 2 at the first problem unless "
        "--drop-invalid is given, which drops and lists the bad rows.")
    check.add_argument("file", metavar="FILE", help=".csv or .parquet table")
    check.add_argument("--properties", nargs="+", action="extend", default=[], metavar="NAME",
                       help="property columns that must be present and finite")
    check.add_argument("--drop-invalid", action="store_true",
                       help="drop invalid rows and report them instead of failing")
    check.add_argument("--allow-duplicates", action="store_true",
                       help="accept repeated rows (replicates; Saltelli designs of two parameters)")
    check.add_argument("--out", metavar="FILE",
                       help="write the checked (and cleaned) table, .csv or .parquet")
    add_space_options(check)
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    check_space_input(args)
    check_input_file(args.file, suffixes=SUFFIXES, what="table")
    if args.out is not None:
        check_dataset_output(args.out, inputs=[args.file, args.space])
    space = space_from_args(args)
    frame = read_dataset(args.file)
    result = validate_dataset(frame, space=space, properties=args.properties, source=args.file,
                              drop_invalid=args.drop_invalid,
                              allow_duplicates=args.allow_duplicates)
    for problem in result.dropped:
        print(f"dropped: {problem.to_error(args.file)}")
    kept = result.frame
    print(f"{args.file}: {len(kept)} valid rows"
          + (f", {len(result.dropped_rows)} dropped" if result.dropped else ""))
    units = kept.attrs.get("units", {})
    for column in [*space.names, *args.properties]:
        values = kept[column]
        print(f"  {column} [{units.get(column, space[column].unit if column in space else '?')}]: "
              f"{values.min():g} .. {values.max():g}")
    if args.out:
        write_dataset(kept, args.out, metadata={"checked_from": args.file,
                                                "dropped_rows": result.dropped_rows})
        print(f"wrote {args.out}")
    return 0
