"""Slurry-major design: ours against the reference's construction, measured in one run.

The reference (multiobjective-bayesian-optimization, "Low Discrepancy Sequences for the
Design of Experiments") took a few slurries (AM, SC) from a Sobol' sequence and
associated each *randomly* with calendering conditions (CR) from a Sobol' sequence.
Ours (electroforge.design.slurry_major) takes the slurries from a discrepancy-optimized
Latin hypercube and gives each slurry a consecutive block of the conditions' Sobol'
sequence. Printed, over many seeds (medians):

- slurry CD: centered L2 discrepancy of the K slurries in (AM, SC) (lower is better);
- CR max gap: the largest gap, as a fraction of the CR range, between a slurry's sorted
  CR values (including both ends), worst slurry of the design (lower: every slurry sees
  the whole calendering range);
- design CD: discrepancy of the whole design over (AM, SC, CR).

Run: .venv/bin/python benchmarks/slurry_major_design.py [--seeds 50]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from scipy.stats import qmc

from electroforge import default_space, design

SLURRY = ["am_wt_pct", "sc_wt_pct"]


def reference_design(space, n_slurries, n_per_slurry, seed):
    """The reference's construction: Sobol' slurries, conditions associated at random."""
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slurries = qmc.Sobol(2, rng=rng).random(n_slurries)
        conditions = qmc.Sobol(1, rng=rng).random(n_slurries * n_per_slurry)
    conditions = rng.permutation(conditions)
    cube = np.column_stack([np.repeat(slurries, n_per_slurry, axis=0), conditions])
    return space.from_unit_cube(cube)


def measures(space, recipes):
    cube = space.to_unit_cube(recipes)
    slurries = space.to_unit_cube(recipes.drop_duplicates(SLURRY))[:, :2]
    gaps = []
    for _, block in recipes.groupby(SLURRY, sort=False):
        cr = np.sort(block["cr_pct"].to_numpy() / 50.0)
        gaps.append(np.max(np.diff(np.concatenate([[0.0], cr, [1.0]]))))
    return qmc.discrepancy(slurries), max(gaps), qmc.discrepancy(cube)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    args = parser.parse_args()
    space = default_space().fix({"c_rate": 1.0})
    print(f"{'K x M':>8} {'design':>10} {'slurry CD':>10} {'CR max gap':>11} {'design CD':>10}")
    for k, m in ((6, 29), (8, 16), (4, 32)):
        ours = np.median([measures(space, design.slurry_major(space, k, m, seed=s))
                          for s in range(args.seeds)], axis=0)
        ref = np.median([measures(space, reference_design(space, k, m, s))
                         for s in range(args.seeds)], axis=0)
        for name, row in (("reference", ref), ("ours", ours)):
            print(f"{f'{k} x {m}':>8} {name:>10} {row[0]:>10.4f} {row[1]:>11.3f} {row[2]:>10.4f}")
        ratio = ours / ref
        print(f"{'':>8} {'ours/ref':>10} {ratio[0]:>10.2f} {ratio[1]:>11.2f} {ratio[2]:>10.2f}")


if __name__ == "__main__":
    main()
