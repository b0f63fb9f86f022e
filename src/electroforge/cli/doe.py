"""``electroforge doe``: write a design of experiments to CSV or Parquet."""

from __future__ import annotations

import argparse

import pandas as pd

from electroforge import design
from electroforge.cli.options import add_space_options, command_line, count, seed, space_from_args
from electroforge.datasets import write_dataset
from electroforge.errors import InputError
from electroforge.space import Space

METHODS = ("sobol", "saltelli", "slurry-major", "lhs", "random")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "doe", help="write a design of experiments (recipes to make or simulate)",
        description="Write a design of experiments: one row per recipe, one column per "
        "parameter, inside the space's bounds. The same command gives the same file.")
    parser.add_argument("method", choices=METHODS,
                        help="sobol: scrambled Sobol'; saltelli: for Sobol' indices (N(2D+2) "
                        "rows); slurry-major: few slurries x many calendering conditions "
                        "(the reference's shortened design); lhs: Latin hypercube; random: uniform")
    parser.add_argument("--n", type=count, required=True,
                        help="recipes (saltelli: base size N; slurry-major: total, a multiple "
                        "of --slurries)")
    parser.add_argument("--seed", type=seed, default=0, help="seed (default 0)")
    parser.add_argument("--out", required=True, metavar="FILE", help="output .csv or .parquet")
    parser.add_argument("--slurries", type=count, metavar="K",
                        help="slurry-major: number of distinct slurries")
    parser.add_argument("--first-order-only", action="store_true",
                        help="saltelli: sample for first and total order only (N(D+2) rows)")
    parser.add_argument("--plot", metavar="FILE", help="pairwise scatter with histograms (.png, .pdf, .svg)")
    add_space_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _check_outputs(args)
    space = space_from_args(args)
    recipes = make_design(space, args.method, args.n, seed=args.seed, slurries=args.slurries,
                          second_order=not args.first_order_only)
    write_dataset(recipes, args.out, metadata={"command": command_line(args.argv),
                                                "space": space.to_dict()})
    print(f"wrote {len(recipes)} recipes ({describe(recipes)}) to {args.out}")
    for param in space:
        print(f"  {param}")
    filling = design.space_filling(space, recipes, seed=args.seed)
    print(f"  {filling}")
    if args.plot:
        design.pairplot(space, recipes, args.plot, note=str(filling))
        print(f"plot: {args.plot}")
    return 0


def make_design(space: Space, method: str, n: int, *, seed: int, slurries: int | None = None,
                second_order: bool = True) -> pd.DataFrame:
    """The design named ``method`` (CLI spelling), with CLI-level checks of its options."""
    if slurries is not None and method != "slurry-major":
        raise InputError("--slurries applies to slurry-major designs only", field="--slurries",
                         value=slurries, allowed=f"no --slurries with {method}")
    if not second_order and method != "saltelli":
        raise InputError("--first-order-only applies to saltelli designs only",
                         field="--first-order-only", allowed=f"no --first-order-only with {method}")
    if method == "sobol":
        return design.sobol(space, n, seed=seed)
    if method == "saltelli":
        return design.saltelli(space, n, seed=seed, second_order=second_order)
    if method == "lhs":
        return design.lhs(space, n, seed=seed)
    if method == "random":
        return design.random(space, n, seed=seed)
    if slurries is None:
        raise InputError("slurry-major needs the number of slurries", field="--slurries",
                         allowed="--slurries K with K dividing --n")
    if n % slurries:
        raise InputError("--n must be a multiple of --slurries", field="--n", value=n,
                         allowed=f"a multiple of {slurries}")
    return design.slurry_major(space, slurries, n // slurries, seed=seed)


def describe(recipes: pd.DataFrame) -> str:
    meta = recipes.attrs.get("design", {})
    text = f"{meta.get('method', 'design')}, seed {meta.get('seed')}"
    if meta.get("method") == "slurry-major":
        text += f", {meta['n_slurries']} slurries x {meta['n_per_slurry']} conditions"
    if meta.get("method") == "saltelli":
        text += f", base N {meta['base_n']}"
    return text


def _check_outputs(args: argparse.Namespace) -> None:
    from electroforge.cli.options import check_dataset_output, check_plot_output, check_space_input

    check_space_input(args)
    check_dataset_output(args.out, inputs=[args.space])
    if args.plot:
        check_plot_output(args.plot, inputs=[args.space, args.out])
