"""``electroforge optimize``: GP-Hedge over fitted surrogates, for the recipe that minimizes
an objective (the reference's Cf by default)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from electroforge.cli.options import (
    add_space_options, check_space_input, count, seed, space_from_args)
from electroforge.errors import InputError
from electroforge.space.domain import (DEFAULT_TRUST_MARGIN, DataDomain, check_trust_margin,
                                       domain_text)


#: GP-Hedge's outcome warps (electroforge.campaigns.warping.WARPS, not imported here: the
#: campaigns package loads torch; a test keeps the two equal)
WARPS = ("auto", "none", "log", "boxcox", "rank")
#: The GP's kernels (electroforge.campaigns.hedge.KERNELS, likewise)
KERNELS = ("auto", "product", "additive")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "optimize", help="find the recipe that minimizes an objective over fitted surrogates",
        description="Minimize an objective (default: the reference's Cf, Eq. 3, over the "
        "properties the model predicts) over the fitted surrogates with GP-Hedge; print the "
        "recipe, its predicted properties and cost; write the result, the history, the "
        "convergence plot and partial-dependence maps.")
    add_problem_options(parser, out="optimize")
    parser.add_argument("--iterations", type=count, default=300,
                        help="evaluations of the surrogate, initial design included (default 300)")
    parser.add_argument("--initial", type=count, metavar="N",
                        help="Sobol' points before GP-Hedge (default max(5, 2 d))")
    parser.add_argument("--batch-size", type=count, default=1,
                        help="recipes proposed together (default 1)")
    parser.add_argument("--trust-margin", default=str(DEFAULT_TRUST_MARGIN), metavar="F",
                        help="search the model's data box widened by this fraction of each "
                        f"range (default {DEFAULT_TRUST_MARGIN}; none: the whole space)")
    parser.add_argument("--warp", choices=WARPS, default="auto",
                        help="outcome warp of the GP (auto: none, log or Box-Cox, chosen by "
                        "the evidence and recorded in result.json; rank: the values' ranks)")
    parser.add_argument("--kernel", choices=KERNELS, default="auto",
                        help="the GP's covariance: auto (default: product or additive, "
                        "chosen with the warp by the leave-one-out predictive density), "
                        "product (one RBF over every input) or additive (one effect per "
                        "input)")
    parser.add_argument("--verify", type=int, default=0, metavar="N",
                        help="make the optimum again on the virtual line with N particle seeds "
                        "(N >= 1; default 0: no verification) and print it beside the "
                        "prediction")
    parser.set_defaults(handler=run, outputs=OUTPUTS)


#: The files ``optimize`` writes into its --out folder.
OUTPUTS = ("result.json", "history.csv", "history.csv.meta.json", "convergence.png",
           "partial_dependence.png")


def add_problem_options(parser: argparse.ArgumentParser, *, out: str) -> None:
    """The model, objective, seed, output folder and space of a command that reads
    :func:`problem_from_args`."""
    parser.add_argument("model", metavar="MODEL.json", help="surrogate written by `electroforge fit`")
    parser.add_argument("--objective", metavar="FILE.toml",
                        help="targets, constraints and C-rate treatment (default: Cf of the "
                        "reference's four properties the model predicts, C-rate as context)")
    parser.add_argument("--seed", type=seed, default=0, help="seed (default 0)")
    parser.add_argument("--out", metavar="DIR", default=out,
                        help=f"output folder (default ./{out})")
    add_space_options(parser)


def _trust_margin(text: str) -> float | None:
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        value = text
    return check_trust_margin(value, field="--trust-margin")


def default_spec(model):
    """The reference's Cf over those of its four properties the model predicts."""
    from electroforge.objectives import REFERENCE_TARGETS
    from electroforge.objectives.spec import ObjectiveSpec

    targets = tuple(t for t in REFERENCE_TARGETS if t.name in model.output_names_)
    if not targets:
        raise InputError("the model predicts none of the reference's properties",
                         field="--objective",
                         allowed="an objective file naming the model's outputs: "
                         + ", ".join(model.output_names_))
    return ObjectiveSpec(targets=targets)


def problem_from_args(args: argparse.Namespace):
    """The model, objective (``--objective`` or the default) and space of a command."""
    from electroforge.objectives.recipe import RecipeProblem
    from electroforge.objectives.spec import ObjectiveSpec
    from electroforge.paths import check_input_file, check_output_dir, check_output_file
    from electroforge.surrogates import load_surrogate

    check_input_file(args.model, what="model file")
    if args.objective:
        check_input_file(args.objective, option="--objective", suffixes=(".toml",),
                         what="objective file")
    check_space_input(args)
    inputs = [args.model, args.objective, args.space]
    out = check_output_dir(args.out, option="--out", inputs=inputs)
    for name in getattr(args, "outputs", ()):
        check_output_file(out / name, option="--out", inputs=inputs)
    model = load_surrogate(args.model, properties=True)
    spec = ObjectiveSpec.load(args.objective) if args.objective else default_spec(model)
    space = space_from_args(args)
    try:
        return RecipeProblem(model, spec, space)
    except InputError as error:
        if error.source is not None:
            raise
        # the objective asks what the model cannot give: name both files
        raise error.with_source(f"{args.objective or 'the default objective'} (model "
                                f"{args.model})") from None


def run(args: argparse.Namespace) -> int:
    from electroforge import __version__
    from electroforge.atomic import atomic_write_text, staged_folder
    from electroforge.campaigns import gp_hedge_minimize
    from electroforge.campaigns.plots import convergence_plot, partial_dependence_plot

    margin = _trust_margin(args.trust_margin)
    from electroforge.campaigns.definition import MAX_VERIFY_SEEDS

    if not 0 <= args.verify <= MAX_VERIFY_SEEDS:
        raise InputError("the number of verification seeds", field="--verify",
                         value=args.verify, allowed=f"0 to {MAX_VERIFY_SEEDS}")
    problem = problem_from_args(args)
    spec = problem.spec
    if args.batch_size > args.iterations:
        raise InputError("the batch is larger than the evaluations", field="--batch-size",
                         value=args.batch_size, allowed=f"<= --iterations ({args.iterations})")
    if args.initial is not None and args.initial > args.iterations:
        raise InputError("more initial points than iterations", field="--initial",
                         value=args.initial, allowed=f"<= --iterations ({args.iterations})")
    print(f"objective: {problem.rate_note}")
    print(f"searching {', '.join(problem.names)}"
          + (f"; fixed {', '.join(f'{k}={v:g}' for k, v in problem.fixed.items())}"
             if problem.fixed else "") + f"; {args.iterations} evaluations, seed {args.seed}")

    every = max(1, args.iterations // 10)

    def progress(result) -> None:
        n = len(result.func_vals)
        if n % every == 0 or n == args.iterations:
            print(f"  {n:>4}/{args.iterations}  best cost {result.fun:.5f}", file=sys.stderr,
                  flush=True)

    domain = DataDomain.of_model(problem.model, problem.names, problem.bounds)
    bounds = (domain.trust_bounds(margin) if domain is not None and margin is not None
              else list(problem.bounds))
    if bounds != list(problem.bounds):
        print("trust region around the model's data: " + ", ".join(
            f"{n} {lo:.4g}-{hi:.4g}" for n, (lo, hi) in zip(problem.names, bounds)))
    result = gp_hedge_minimize(problem, bounds, n_calls=args.iterations,
                               n_initial=args.initial, seed=args.seed,
                               batch_size=args.batch_size, callback=progress,
                               recommend="observed",   # a surrogate has no noise
                               warp=args.warp, kernel=args.kernel)
    best = problem.predict([result.x]).iloc[0]
    out = Path(args.out)
    print("recommended recipe:")
    for name in list(problem.names) + list(problem.fixed):
        unit = problem.space[name].unit
        print(f"  {name:<22} {best[name]:10.4g} {unit}")
    print("predicted properties:")
    for name in problem.outputs:
        print(f"  {name:<22} {best[name]:10.4g}")
    print(f"cost {best['cost']:.5f}" + ("" if best["feasible"] else "  (constraints NOT met)"))
    verdict = domain.check(best) if domain is not None else None
    if verdict is not None:
        print(f"data of the model: {domain_text(verdict)}")
    verification = None
    if args.verify:
        from electroforge.campaigns.campaign import verification_lines
        from electroforge.campaigns.evaluators import verify_on_line

        print(f"verifying on the virtual line ({args.verify} particle seeds)...", file=sys.stderr,
              flush=True)
        predicted = {"recipe": {n: float(best[n]) for n in problem.names},
                     "fixed": dict(problem.fixed), "cost": float(best["cost"]),
                     "properties": {n: float(best[n]) for n in problem.outputs}}
        try:
            verification = {"predicted_by": "surrogate"} | verify_on_line(
                problem, predicted, seed=args.seed, key=0, n_seeds=args.verify)
            print("\n".join(verification_lines(verification)).rstrip())
        except InputError as error:       # the optimum is still written
            print(f"electroforge: warning: the verification on the line failed: {error}",
                  file=sys.stderr)

    history = problem.predict(result.x_iters)
    history.insert(0, "evaluation", range(1, len(history) + 1))
    from electroforge.datasets import write_dataset

    record = {
        "recipe": {name: float(best[name]) for name in list(problem.names) + list(problem.fixed)},
        "predicted": {name: float(best[name]) for name in problem.outputs},
        "cost": float(best["cost"]), "feasible": bool(best["feasible"]),
        "objective": spec.to_dict(), "objective_note": problem.rate_note,
        "scaling_bounds": {t.name: [t.low, t.high] for t in problem.objective.targets},
        "model": str(args.model), "iterations": args.iterations, "seed": args.seed,
        "batch_size": args.batch_size, "version": __version__,
        "trust_margin": margin, "searched_bounds": [list(b) for b in bounds],
        "warp": result.optimizer.state()["warp"] or {"setting": args.warp},   # None: no GP
        "domain": verdict, "verification": verification,
        "hedge": [{"chosen": s.chosen, "probabilities": s.probabilities, "gains": s.gains}
                  for s in result.steps],
    }
    with staged_folder(out) as stage:      # every output, or none
        write_dataset(history, stage / "history.csv")
        atomic_write_text(stage / "result.json", json.dumps(record, indent=1) + "\n")
        convergence_plot(result.func_vals, result.probabilities, stage / "convergence.png",
                         n_initial=result.optimizer.n_initial)
        maps = partial_dependence_plot(result.x_iters, result.func_vals, problem.names,
                                       problem.bounds, result.x,
                                       stage / "partial_dependence.png", seed=args.seed)
    print(f"wrote {out / 'result.json'}, {out / 'history.csv'}, {out / 'convergence.png'}"
          + (f", {out / 'partial_dependence.png'}" if maps else ""))
    return 0
