"""``electroforge demo``: the reference study on the built-in space, as far as this version goes.

This version runs the design-of-experiments stage and prints the commands of the next
stages (virtual line, symbolic surrogates): the reference's 174-recipe
slurry-major Sobol' design at a fixed 1 C, written to the workspace with its space and
its pairwise plot, and compared with full Sobol', Latin hypercube and random designs of
the same size on space filling and on the number of slurries each needs.
"""

from __future__ import annotations

import argparse
import warnings

from electroforge import design
from electroforge.campaigns import resolve_workspace
from electroforge.cli.options import command_line
from electroforge.datasets import write_dataset
from electroforge.space import Space, default_space

#: 6 slurries x 29 calendering conditions = 174 recipes, the size of the reference's dataset.
N_SLURRIES = 6
N_PER_SLURRY = 29
C_RATE = 1.0
SEED = 0


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "demo", help="run the reference study on the built-in space",
        description="Run the reference study end to end on the built-in space. This version "
        "runs its design-of-experiments stage and writes it to the workspace.")
    parser.add_argument("--workspace", metavar="DIR",
                        help="workspace folder (default: ./electroforge-workspace)")
    parser.set_defaults(handler=run)


def demo_space() -> Space:
    """The default space with the C-rate held at 1 C (the reference optimized the recipe only)."""
    return default_space().fix({"c_rate": C_RATE})


def run(args: argparse.Namespace) -> int:
    folder = resolve_workspace(args.workspace) / "demo"
    space = demo_space()
    recipes = design.slurry_major(space, N_SLURRIES, N_PER_SLURRY, seed=SEED)
    n = len(recipes)
    print(f"electroforge demo: design of experiments of the reference study ({n} recipes)")
    for param in space:
        print(f"  {param}")

    space_file = folder / "space.toml"
    space.save(space_file)
    design_file = folder / "design.csv"
    write_dataset(recipes, design_file, metadata={"command": command_line(args.argv),
                                                  "space": space.to_dict()})
    filling = design.space_filling(space, recipes, seed=SEED)
    plot_file = design.pairplot(space, recipes, folder / "design.png", note=str(filling))
    print(f"wrote {space_file}")
    print(f"wrote {design_file} ({N_SLURRIES} slurries x {N_PER_SLURRY} calendering "
          f"conditions, seed {SEED})")
    print(f"wrote {plot_file}")

    print(f"\nsame budget, other designs ({n} recipes each, seed {SEED}):")
    print(f"  {'design':<14}{'CD discrepancy':>16}{'vs random':>11}{'slurries to make':>18}")
    alternatives = {"slurry-major": recipes}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alternatives["sobol"] = design.sobol(space, n, seed=SEED)
    alternatives["lhs"] = design.lhs(space, n, seed=SEED)
    alternatives["random"] = design.random(space, n, seed=SEED)
    for name, table in alternatives.items():
        filling = design.space_filling(space, table, seed=SEED)
        slurries = len(table.drop_duplicates(list(space.slurry_names())))
        print(f"  {name:<14}{filling.value:>16.4f}{filling.ratio_to_random:>11.2f}{slurries:>18}")
    print("\nNext stages of the study, not yet run by the demo itself:\n"
          f"  electroforge line run {design_file} --out {folder / 'props.parquet'}   "
          "(virtual line, ~5 min on 2 cores)\n"
          f"  electroforge fit {folder / 'props.parquet'} --out {folder / 'model.json'}   "
          "(SISSO equations, ~1 min)")
    return 0
