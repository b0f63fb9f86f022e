"""Our SISSO on the virtual line's 174 recipes, beside the reference's Table 1, a GP and the
data's own noise ceiling, measured in one run.

Dataset: the one shipped with the package (``electroforge/data/line_174.parquet``: the
slurry-major design of 6 slurries x 29 calendering conditions, each at its own C-rate,
run through the virtual line), or ``--data FILE``. Validation as ``electroforge fit`` does it: RMSE% and
R2 on a 20 % test split (seed 0) and the 95 % interval of R2 over 75 random 80/20
re-splits; the SISSO equations are domain-checked over the default space (finite and
positive everywhere).

Printed per property: ours (SISSO), BoTorch's GP (``--backend gp``, no closed form), the
reference's R2 and our ratio to it, and a noise ceiling: a separate cubic in ``cr_pct``
per slurry, fitted on the same training rows. On a slurry-major design every function
of the recipe is, within one slurry, a function of ``cr_pct`` alone, so this flexible
per-slurry fit shows about how much of the test variance is the line's own scatter
(the random packing of a 48 um box re-arranged at each compression) rather than a
model's shortfall. Then the fit time of the four equations on all rows (what
``electroforge fit`` saves; target <= 60 s) and of the validation.

Run: .venv/bin/python benchmarks/sisso_line.py [--data props.parquet] [--resplits 75]
"""

from __future__ import annotations

import argparse
import time
from importlib.resources import as_file, files

import numpy as np
import pandas as pd

from electroforge.cli.fit import REFERENCE
from electroforge.datasets import read_dataset
from electroforge.space.defaults import default_space
from electroforge.surrogates import GPSurrogate, SymbolicSurrogate
from electroforge.surrogates.metrics import r2_score
from electroforge.surrogates.validation import _splits, validate_surrogate, validate_symbolic
from electroforge.threads import single_threaded

INPUTS = ["am_wt_pct", "sc_wt_pct", "cr_pct"]


def per_slurry_ceiling(table: pd.DataFrame, name: str, train, test, degree: int = 3) -> float:
    """Test R2 of one polynomial in cr_pct per slurry (same training rows)."""
    slurry = table.groupby(["am_wt_pct", "sc_wt_pct"]).ngroup().to_numpy()
    y, cr = table[name].to_numpy(dtype=float), table["cr_pct"].to_numpy(dtype=float)
    predicted = np.empty(len(test))
    for s in np.unique(slurry[test]):
        fit_rows = train[slurry[train] == s]
        rows = slurry[test] == s
        predicted[rows] = np.polyval(np.polyfit(cr[fit_rows], y[fit_rows], degree), cr[test][rows])
    return r2_score(y[test], predicted)


def _chosen(info: dict) -> str:
    if info["domain"] == "as chosen":
        return f"{info['model']} (cross-validation's choice)"
    return f"{info['model']} (domain check: {info['domain']})"


@single_threaded()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a line dataset (default: the shipped one)")
    parser.add_argument("--resplits", type=int, default=75)
    args = parser.parse_args()
    if args.data:
        table = read_dataset(args.data)
    else:
        with as_file(files("electroforge.data") / "line_174.parquet") as path:
            table = read_dataset(path)
    properties = list(REFERENCE)
    X, Y = table[INPUTS], table[properties]
    domain = default_space().fix({"c_rate": float(table["c_rate"].iloc[0])})

    start = time.perf_counter()
    SymbolicSurrogate(seed=0).fit(X, Y, space=domain)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    model, ours = validate_symbolic(X, Y, seed=0, n_splits=args.resplits, space=domain)
    validate_s = time.perf_counter() - start
    _, gp = validate_surrogate(lambda: GPSurrogate(seed=0), X, Y, seed=0,
                               n_splits=args.resplits)
    train, test, _ = _splits(len(table), 0, 0, 0.2)

    print(f"{len(table)} recipes; test split {ours[0].n_test} rows (seed 0), "
          f"{args.resplits} re-splits")
    print(f"{'property':<20} {'RMSE%':>7} {'R2':>6} {'CI95 of R2':>15} {'GP R2':>6} "
          f"{'ceiling':>8} {'reference R2':>12} {'ours/ref':>9}   equation chosen")
    for result, peer in zip(ours, gp):
        reference = REFERENCE[result.output][1]
        ceiling = per_slurry_ceiling(table, result.output, train, test)
        low, high = result.r2_ci95
        print(f"{result.output:<20} {result.rmse_pct:7.2f} {result.r2:6.3f} "
              f"{f'[{low:.3f}; {high:.3f}]':>15} {peer.r2:6.3f} {ceiling:8.3f} "
              f"{reference:12.3f} {result.r2 / reference:9.3f}   "
              + _chosen(model.info_[result.output]))
    print(f"fit of the {len(properties)} equations on {len(table)} rows: {fit_s:.1f} s "
          f"(target <= 60 s: ratio {fit_s / 60:.2f}); validation with {args.resplits} "
          f"re-splits: {validate_s:.1f} s")


if __name__ == "__main__":
    main()
