"""Seed-to-seed spread of the virtual line's properties against their spread across recipes.

A property whose value moves more between particle seeds than between recipes is noise,
not data. For a few recipes spanning the space (corners of AM and CR, mid SC, 1 C), this
runs the line at several particle seeds and prints, per property, the mean standard
deviation across seeds at a fixed recipe, the standard deviation across the recipes, and
their ratio (peer: the recipe-to-recipe spread; < 1 is the target, < 0.2 is comfortable).

    .venv/bin/python benchmarks/line_seed_spread.py --seeds 3 --grid 64
"""

from __future__ import annotations

import argparse
import itertools

import pandas as pd

from electroforge import line

PROPERTIES = ("porosity", "density_g_cm3", "tortuosity_factor", "conductivity_s_m",
              "active_surface_pct", "capacity_mah_g")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--grid", type=int, default=64)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    recipes = pd.DataFrame([{"am_wt_pct": am, "sc_wt_pct": 63.5, "cr_pct": cr, "c_rate": 1.0}
                            for am, cr in itertools.product((86.0, 96.0), (5.0, 45.0))])
    runs = [line.run(recipes, grid=args.grid, seed=seed, workers=args.workers, progress=False)
            .assign(seed=seed, recipe=range(len(recipes))) for seed in range(args.seeds)]
    table = pd.concat(runs, ignore_index=True)
    failed = table["error"].fillna("") != ""
    print(f"{len(recipes)} recipes x {args.seeds} seeds, grid {args.grid}; "
          f"{int(failed.sum())} failed")
    table = table[~failed]
    print(f"  {'property':<20} {'sd across seeds':>16} {'sd across recipes':>18} {'ratio':>7}")
    for name in PROPERTIES:
        seed_sd = table.groupby("recipe")[name].std().mean()
        recipe_sd = table.groupby("recipe")[name].mean().std()
        print(f"  {name:<20} {seed_sd:>16.4g} {recipe_sd:>18.4g} {seed_sd / recipe_sd:>7.3f}")


if __name__ == "__main__":
    main()
