"""``electroforge sensitivity``: Sobol' indices of every predicted property and of the cost."""

from __future__ import annotations

import argparse

from electroforge.cli.optimize import add_problem_options
from electroforge.cli.options import count


#: The files ``sensitivity`` writes into its --out folder.
OUTPUTS = ("sobol_indices.csv", "sobol_second_order.csv", "sensitivity.png")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "sensitivity", help="Sobol' sensitivity indices of a fitted surrogate and its cost",
        description="Sobol' first-, second- and total-order indices (SALib, Saltelli design of "
        "N (2D + 2) recipes) of every property the model predicts and of the objective's "
        "cost; prints a table and writes bar charts and a CSV.")
    add_problem_options(parser, out="sensitivity")
    parser.add_argument("--n", type=count, default=4096,
                        help="base sample size N, a power of two (default 4096)")
    parser.set_defaults(handler=run, outputs=OUTPUTS)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from pathlib import Path

    from electroforge.atomic import atomic_path, staged_folder
    from electroforge.cli.optimize import problem_from_args
    from electroforge.sensitivity import problem_indices, sensitivity_plot

    problem = problem_from_args(args)
    table = problem_indices(problem, n=args.n, seed=args.seed)
    print(f"Sobol' indices over {', '.join(problem.names)} ({table.attrs['evaluations']} "
          f"evaluations, N = {args.n}, seed {args.seed}); cost: {problem.rate_note}")
    print(f"  {'output':<20} {'parameter':<12} {'S1':>14} {'ST':>14}")
    for row in table.itertuples():
        print(f"  {row.output:<20} {row.parameter:<12} {row.S1:7.3f} ±{row.S1_conf:5.3f} "
              f"{row.ST:7.3f} ±{row.ST_conf:5.3f}")
    out = Path(args.out)
    with staged_folder(out) as stage:      # every output, or none
        with atomic_path(stage / "sobol_indices.csv") as tmp:
            table.to_csv(tmp, index=False)
        with atomic_path(stage / "sobol_second_order.csv") as tmp:
            pd.DataFrame(table.attrs["second_order"]).to_csv(tmp, index=False)
        sensitivity_plot(table, stage / "sensitivity.png")
    print(f"wrote {out / 'sobol_indices.csv'}, {out / 'sobol_second_order.csv'}, "
          f"{out / 'sensitivity.png'}")
    return 0
