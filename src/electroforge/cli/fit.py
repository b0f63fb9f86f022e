"""``electroforge fit``: symbolic equations per property, validated like the reference's Table 1."""

from __future__ import annotations

import argparse
import math

import numpy as np

from electroforge.cli.options import (
    add_space_options, check_plot_output, check_space_input, count, seed, space_from_args)
from electroforge.datasets import read_dataset, validate_dataset
from electroforge.errors import InputError

MAX_RESPLITS = 10_000
#: The reference's SISSO test-set figures (multiobjective-bayesian-optimization, Table 1).
REFERENCE = {
    "conductivity_s_m": (1.48, 0.933),
    "tortuosity_factor": (7.80, 0.979),
    "active_surface_pct": (1.41, 0.911),
    "density_g_cm3": (1.87, 0.968),
}


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "fit", help="fit one symbolic equation per property (SISSO) and validate it",
        description="Fit one closed-form equation per property on a table of recipes and "
        "properties; print RMSE%%, R2 on a 20 %% test split and the 95 %% interval of R2 over "
        "re-splits, beside the reference's Table 1; write the model fitted on all rows.")
    parser.add_argument("data", metavar="PROPS", help="recipes and properties, .csv or .parquet")
    parser.add_argument("--out", required=True, metavar="MODEL.json", help="fitted model (JSON)")
    parser.add_argument("--backend", default="auto",
                        choices=("auto", "sisso", "operon", "pysr", "gp", "mlp"),
                        help="auto (default: sisso), sisso, operon (pyoperon), pysr (Julia); "
                        "gp (BoTorch) or mlp for comparison (no closed form)")
    parser.add_argument("--properties", nargs="+", metavar="NAME",
                        help="property columns (default: the reference's four present)")
    parser.add_argument("--max-terms", type=count, default=None,
                        help="sisso: terms per equation (default 3)")
    parser.add_argument("--resplits", type=count, default=75,
                        help="random 80/20 re-splits for the R2 interval (default 75)")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the splits (default 0)")
    parser.add_argument("--plot", metavar="FILE.png", help="parity plots of the test split")
    parser.add_argument("--no-domain-check", action="store_true",
                        help="keep equations that are not finite or change sign in the space")
    add_space_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from electroforge.surrogates import GPSurrogate, MLPSurrogate, SymbolicSurrogate
    from electroforge.surrogates.validation import validate_surrogate, validate_symbolic

    NON_SYMBOLIC = {"gp": GPSurrogate, "mlp": MLPSurrogate}

    _check_paths(args)
    space = space_from_args(args)
    table = read_dataset(args.data)
    if "error" in table.columns:
        failed = table["error"].fillna("").astype(str) != ""
        if failed.any():
            print(f"leaving out {int(failed.sum())} recipes the line could not simulate")
        table = table[~failed].reset_index(drop=True)
    properties = args.properties or [name for name in REFERENCE if name in table.columns]
    _check_properties(args, properties, space)
    if not properties:
        raise InputError("no property column to fit", source=args.data, field="--properties",
                         allowed="property columns, e.g. " + ", ".join(REFERENCE))
    inputs = [name for name in space.free_names if name in table.columns]
    checked = validate_dataset(table, space=space, properties=properties, source=args.data,
                               allow_duplicates=True).frame
    inputs = [name for name in inputs if checked[name].nunique() > 1]
    X, Y = checked[inputs], checked[properties]
    options = ({"max_terms": args.max_terms or 3} if args.backend in ("auto", "sisso")
               else {})
    domain = None
    if not args.no_domain_check:
        domain = space.fix({p.name: (p.low + p.high) / 2 for p in space.free
                            if p.name not in inputs})
    if args.backend in NON_SYMBOLIC:
        kind = NON_SYMBOLIC[args.backend]
        _, results = validate_surrogate(lambda: kind(seed=args.seed), X, Y, seed=args.seed,
                                        n_splits=args.resplits, space=domain)
        model = kind(seed=args.seed).fit(X, Y, space=domain)
    else:
        _, results = validate_symbolic(X, Y, seed=args.seed, n_splits=args.resplits,
                                       backend=args.backend, space=domain, **options)
        model = SymbolicSurrogate(backend=args.backend, seed=args.seed, **options).fit(
            X, Y, space=domain)
    model.save(args.out)
    from electroforge.surrogates.validation import save_validation

    save_validation(results, args.out, reference=REFERENCE, dataset=str(args.data))

    equations = model.equations()
    print(f"{len(checked)} recipes, inputs {', '.join(inputs)}; test split {results[0].n_test} "
          f"rows, {args.resplits} re-splits")
    print_table(results)
    for name in properties:
        domain_note = getattr(model, "info_", {}).get(name, {}).get("domain", "")
        suffix = f"   [domain check: {domain_note}]" if domain_note not in (
            "", "as chosen", "not checked") else ""
        print(f"  {equations[name]}{suffix}")
    print(f"wrote {args.out}")
    if args.plot:
        _parity(results, args.plot)
        print(f"plot: {args.plot}")
    return 0


def _check_paths(args: argparse.Namespace) -> None:
    from electroforge.datasets import SUFFIXES
    from electroforge.paths import check_input_file, check_output_file
    from electroforge.surrogates.validation import validation_path

    check_space_input(args)
    check_input_file(args.data, suffixes=SUFFIXES, what="table")
    inputs = [args.data, args.space]
    check_output_file(args.out, option="--out", suffixes=(".json",), inputs=inputs)
    check_output_file(validation_path(args.out), option="--out", inputs=inputs)
    if args.plot:
        check_plot_output(args.plot, inputs=[*inputs, args.out])


def _check_properties(args: argparse.Namespace, properties: list[str], space) -> None:
    twice = next((p for p in properties if properties.count(p) > 1), None)
    if twice:
        raise InputError("a property is listed twice", field="--properties", value=twice,
                         allowed="each property once")
    inputs = next((p for p in properties if p in space), None)
    if inputs:
        raise InputError("a recipe parameter is not a property to fit", field="--properties",
                         value=inputs, allowed="property columns, e.g. " + ", ".join(REFERENCE))
    if args.resplits > MAX_RESPLITS:
        raise InputError("too many re-splits", field="--resplits", value=args.resplits,
                         allowed=f"1 to {MAX_RESPLITS} (75 give the reference's interval)")
    if args.max_terms is not None and args.backend not in ("auto", "sisso"):
        raise InputError("--max-terms applies to the sisso backend only", field="--max-terms",
                         value=args.max_terms, allowed=f"no --max-terms with --backend "
                         f"{args.backend}")


def print_table(results) -> None:
    """Table 1: RMSE%, R2 and CI95 of R2 per property, the reference's figures beside."""
    print(f"  {'property':<20} {'RMSE%':>7} {'R2':>7} {'CI95 of R2':>17}  {'95 % interval':>16}"
          "   reference RMSE% / R2")
    for result in results:
        low, high = result.r2_ci95
        reference = REFERENCE.get(result.output)
        ref = f"{reference[0]:.2f} / {reference[1]:.3f}" if reference else "-"
        print(f"  {result.output:<20} {result.rmse_pct:>7.2f} {result.r2:>7.3f} "
              f"  [{low:.3f}; {high:.3f}]  {interval_text(result):>16}   {ref}")


def interval_text(result) -> str:
    """A validation's 95 % prediction interval as people read it: ``x0.71..x1.32`` (a
    factor on the prediction) or ``-0.12..+0.15`` (added to it)."""
    bounds = getattr(result, "interval_95", None)
    if bounds is None:
        return "-"
    low, high = bounds
    if getattr(result, "interval_kind", "additive") == "multiplicative":
        return f"x{math.exp(low):.3g}..x{math.exp(high):.3g}"
    return f"{low:+.3g}..{high:+.3g}"


def _parity(results, path: str) -> None:
    from matplotlib.figure import Figure

    from electroforge.atomic import atomic_path

    fig = Figure(figsize=(3.2 * len(results), 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(results)))
    for ax, result in zip(axes, results):
        low = float(min(result.y_test.min(), result.y_pred.min()))
        high = float(max(result.y_test.max(), result.y_pred.max()))
        ax.plot([low, high], [low, high], color="0.6", linewidth=1)
        ax.scatter(result.y_test, result.y_pred, s=14, color="#c44e52")
        ax.set_title(f"{result.output}\nR2 {result.r2:.3f}, RMSE {result.rmse_pct:.2f} %", fontsize=9)
        ax.set_xlabel("simulated")
        ax.set_ylabel("equation")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
