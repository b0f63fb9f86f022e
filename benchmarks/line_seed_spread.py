"""Seed-to-seed spread of the virtual line's properties, against the 3 % CV they need and
against their spread across recipes.

A property whose value moves more between particle seeds than between recipes is noise,
not data. At three recipes spanning the space (``electroforge.line.validate``'s
``SPREAD_RECIPES``, discharged at 2C) this runs the line at several particle seeds and
prints, per property: the worst coefficient of variation across seeds at a recipe
(target <= 3 %; porosity: sd <= 0.01), and the mean sd across seeds beside the sd across
the recipes (peer: the recipe-to-recipe spread; a ratio < 1 is the least a property
needs, < 0.2 is comfortable).

    .venv/bin/python benchmarks/line_seed_spread.py --seeds 5 [--footprint 48]
"""

from __future__ import annotations

import argparse

import pandas as pd

from electroforge import line
from electroforge.line.validate import SPREAD_C_RATE, SPREAD_RECIPES

PROPERTIES = ("porosity", "density_g_cm3", "tortuosity_factor", "pore_tortuosity_factor",
              "conductivity_s_m", "active_surface_pct", "capacity_mah_g", "spring_back_pct")
TARGET_CV_PCT = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--footprint", type=float, default=None, help="box side, um")
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    params = line.LineParameters()
    if args.footprint:
        params = params.replace(footprint_um=args.footprint)
    recipes = pd.DataFrame([{"am_wt_pct": am, "sc_wt_pct": sc, "cr_pct": cr,
                             "c_rate": SPREAD_C_RATE} for am, sc, cr in SPREAD_RECIPES])
    runs = [line.run(recipes, seed=seed, workers=args.workers, params=params, progress=False)
            .assign(seed=seed, recipe=range(len(recipes))) for seed in range(args.seeds)]
    table = pd.concat(runs, ignore_index=True)
    failed = table["error"].fillna("") != ""
    print(f"{len(recipes)} recipes x {args.seeds} seeds, {params.footprint_um:g} um box, grid "
          f"{line.default_grid(params)}, {SPREAD_C_RATE:g}C; {int(failed.sum())} failed")
    table = table[~failed]
    groups = table.groupby("recipe")
    print(f"  {'property':<24} {'worst CV %':>10} {'target':>7} {'sd seeds':>10} "
          f"{'sd recipes':>11} {'ratio':>7}")
    for name in PROPERTIES:
        seed_sd = groups[name].std().mean()
        recipe_sd = groups[name].mean().std()
        worst = (groups[name].std() / groups[name].mean()).max() * 100
        target = "sd .01" if name == "porosity" else f"{TARGET_CV_PCT:g} %"
        print(f"  {name:<24} {worst:>10.1f} {target:>7} {seed_sd:>10.4g} {recipe_sd:>11.4g} "
              f"{seed_sd / recipe_sd:>7.3f}")


if __name__ == "__main__":
    main()
