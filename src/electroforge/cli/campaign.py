"""``electroforge campaign ...`` and ``electroforge scheduler``: persistent studies."""

from __future__ import annotations

import argparse
import json
import sys

from electroforge.cli.options import count, finite_non_negative_at_most


def _workspace(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", metavar="DIR",
                        help="workspace folder (default: ./electroforge-workspace)")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "campaign", help="persistent studies: create, ask, tell, run, run-due, status, report, "
        "export",
        description="Named, persistent studies kept in the workspace's SQLite store.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    sub.required = True

    create = sub.add_parser("create", help="validate a campaign file and record the campaign")
    create.add_argument("file", metavar="campaign.toml")
    _workspace(create)
    create.set_defaults(handler=run_create)

    ask = sub.add_parser("ask", help="propose recipes (recorded as pending, written as CSV)")
    ask.add_argument("name")
    ask.add_argument("--n", type=count, default=None,
                     help="recipes to propose (default: the campaign's batch size)")
    ask.add_argument("--out", metavar="FILE.csv",
                     help="where to write them for the lab (default WORKSPACE/NAME/ask-BATCH.csv)")
    _workspace(ask)
    ask.set_defaults(handler=run_ask)

    tell = sub.add_parser("tell", help="record measured properties of proposed recipes")
    tell.add_argument("name")
    tell.add_argument("results", metavar="RESULTS", help=".csv or .parquet: proposal_id (or the "
                      "recipe columns) and the objective's property columns")
    tell.add_argument("--external", action="store_true",
                      help="also accept recipes made outside the engine's proposals")
    _workspace(tell)
    tell.set_defaults(handler=run_tell)

    advance = sub.add_parser("run", help="advance a surrogate or line campaign")
    advance.add_argument("name")
    advance.add_argument("--iterations", type=count,
                         help="batches to run (default: the campaign's, else to the budget)")
    _workspace(advance)
    advance.set_defaults(handler=run_run)

    verify = sub.add_parser("verify", help="make the recommended recipe again on the virtual "
                            "line with particle seeds of its own (or record the lab's "
                            "replicates of it); print predicted beside measured")
    verify.add_argument("name")
    verify.add_argument("--seeds", type=count, default=None,
                        help="particle seeds (default: the campaign's verify_seeds, else 3)")
    verify.add_argument("--results", metavar="FILE",
                        help="a lab campaign: the replicates of the recommended recipe (.csv "
                        "or .parquet, one row each: the recipe and the objective's properties)")
    verify.add_argument("--workers", type=int, default=None, metavar="N",
                        help="line worker processes (default: in this process up to 3 seeds)")
    _workspace(verify)
    verify.set_defaults(handler=run_verify)

    due = sub.add_parser("run-due", help="run every campaign whose cron schedule is due "
                         "(idempotent: for cron or systemd timers)")
    _workspace(due)
    due.set_defaults(handler=run_due_command)

    status = sub.add_parser("status", help="summarize a campaign")
    status.add_argument("name", nargs="?", help="the campaign (optional with --check)")
    status.add_argument("--json", action="store_true", help="print the summary as JSON")
    status.add_argument("--check", action="store_true",
                        help="first run SQLite's full integrity check of the store (read-only)")
    _workspace(status)
    status.set_defaults(handler=run_status)

    report = sub.add_parser("report", help="write the HTML and Markdown recommendation report")
    report.add_argument("name")
    report.add_argument("--out", metavar="DIR", help="folder (default WORKSPACE/NAME/report)")
    report.add_argument("--sensitivity-n", type=count, default=512,
                        help="Saltelli base size of the sensitivity section (default 512)")
    _workspace(report)
    report.set_defaults(handler=run_report)

    export = sub.add_parser("export", help="write proposals and measurements as CSV or Parquet")
    export.add_argument("name")
    export.add_argument("--out", required=True, metavar="FILE", help=".csv or .parquet")
    _workspace(export)
    export.set_defaults(handler=run_export)

    scheduler = commands.add_parser(
        "scheduler", help="run due campaigns in the foreground (for machines without cron)",
        description="Check the workspace every --interval seconds and run every campaign "
        "whose cron schedule is due, as `campaign run-due` does.")
    scheduler.add_argument("--interval", type=finite_non_negative_at_most(86_400.0),
                           default=60.0, metavar="SECONDS",
                           help="seconds between checks (default 60, at most a day)")
    scheduler.add_argument("--cycles", type=count, help="stop after this many checks")
    _workspace(scheduler)
    scheduler.set_defaults(handler=run_scheduler)


def _store(args, *, create: bool = False, read_only: bool = False):
    """The workspace's store; only ``campaign create`` makes a new workspace or store;
    commands that only read open it ``read_only`` (an archived store is fine)."""
    from electroforge.campaigns import resolve_workspace
    from electroforge.campaigns.store import Store
    from electroforge.paths import check_output_dir

    folder = resolve_workspace(args.workspace, create=False)
    if create:
        check_output_dir(folder, option="--workspace")
    return Store(folder, create=create, read_only=read_only)


def _campaign(args, *, read_only: bool = False):
    from electroforge.campaigns.campaign import Campaign

    return Campaign(_store(args, read_only=read_only), args.name)


def run_create(args: argparse.Namespace) -> int:
    from electroforge.campaigns.campaign import Campaign
    from electroforge.campaigns.definition import CampaignDefinition
    from electroforge.errors import InputError
    from electroforge.paths import check_input_file

    check_input_file(args.file, suffixes=(".toml",), what="campaign file")
    definition = CampaignDefinition.load(args.file)
    try:
        Campaign.prepare(definition)           # before the workspace or store is made
    except InputError as error:
        raise (error.with_source(args.file) if error.source is None else error) from None
    store = _store(args, create=True)
    campaign = Campaign.create(store, definition)
    problem = campaign.problem
    print(f"created campaign {definition.name!r} in {store.path}")
    print(f"  evaluator {definition.evaluator}; budget {definition.budget}, batches of "
          f"{definition.batch_size}; seed {definition.seed}")
    print(f"  searching {', '.join(problem.names)}"
          + (f"; fixed {', '.join(f'{k}={v:g}' for k, v in problem.fixed.items())}"
             if problem.fixed else ""))
    print(f"  objective: {problem.rate_note}")
    if definition.loop is not None:
        loop = campaign.definition.loop
        print(f"  closed loop from {loop.data} (sha256 {loop.data_sha256[:12]}): each round "
              f"refits {loop.max_terms}-term equations on all the data, {loop.surrogate_calls} "
              f"GP-Hedge evaluations of them; stops after {loop.patience} rounds without a "
              "better measured cost")
    if definition.schedule:
        print(f"  schedule: {definition.schedule} (run by `electroforge campaign run-due` or "
              "`electroforge scheduler`)")
    return 0


def run_ask(args: argparse.Namespace) -> int:
    from pathlib import Path

    from electroforge.cli.options import check_dataset_output
    from electroforge.datasets import metadata_path, write_dataset
    from electroforge.errors import InputError
    from electroforge.paths import check_output_dir

    campaign = _campaign(args)
    if args.out:
        check_dataset_output(args.out, inputs=[campaign.store.path])
    else:
        check_output_dir(campaign.store.workspace / campaign.name, option="--workspace")
    columns = ["proposal_id", *campaign.problem.names, *campaign.problem.fixed]
    properties = [c for c in campaign.problem.objective.columns
                  if c not in campaign.problem.space.names]
    written = {}

    def sheet_path(batch: int) -> Path:
        out = Path(args.out or campaign.store.workspace / campaign.name / f"ask-{batch:03d}.csv")
        existing = [p for p in (out, metadata_path(out)) if p.exists()]
        if existing:
            raise InputError("the sheet (or its metadata file) exists", source=str(existing[0]),
                             field="--out", allowed="a new file: an earlier sheet may hold "
                             "measurements not yet told")
        return out

    asked = campaign.proposals()["batch"]
    sheet_path(int(asked.max()) + 1 if len(asked) else 1)       # before the lock is taken

    def write_sheet(proposals):
        # inside the recording transaction: no sheet, no proposals recorded
        batch = int(proposals["batch"].iloc[0])
        out = sheet_path(batch)
        written["sheet"] = proposals[columns].assign(**{c: float("nan") for c in properties})
        write_dataset(written["sheet"], out)
        written.update(out=out, batch=batch)

    proposals = campaign.ask(args.n or campaign.definition.batch_size, sheet=write_sheet)
    sheet, out, batch = written["sheet"], written["out"], written["batch"]
    print(f"batch {batch}: {len(proposals)} recipes proposed for {campaign.name!r}")
    print(sheet[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    _flag_outside_data(campaign, proposals)
    print(f"wrote {out}: fill in {', '.join(properties)} and run "
          f"`electroforge campaign tell {campaign.name} {out}`")
    return 0


def run_tell(args: argparse.Namespace) -> int:
    from electroforge.datasets import SUFFIXES, read_dataset
    from electroforge.paths import check_input_file

    check_input_file(args.results, suffixes=SUFFIXES, what="results table")
    campaign = _campaign(args)
    table = read_dataset(args.results)
    n = campaign.tell(table, source=args.results, external=args.external)
    best = campaign.best()
    print(f"recorded {n} measurements for {campaign.name!r} "
          f"({campaign.n_measured}/{campaign.definition.budget}); best cost {best['cost']:.5f}")
    return 0


def run_run(args: argparse.Namespace) -> int:
    campaign = _campaign(args)
    recommendation = campaign.run(args.iterations)
    _print_recommendation(recommendation)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from electroforge.campaigns.campaign import verification_lines

    campaign = _campaign(args)
    if args.results is not None:
        from electroforge.datasets import SUFFIXES, read_dataset
        from electroforge.errors import InputError
        from electroforge.paths import check_input_file

        if args.seeds is not None:
            raise InputError("--seeds is for the line; --results records the lab's replicates",
                             field="--seeds", value=args.seeds, allowed="one of the two")
        check_input_file(args.results, suffixes=SUFFIXES, what="replicates table")
        verification = campaign.verify_in_lab(read_dataset(args.results), source=args.results)
    else:
        verification = campaign.verify(
            args.seeds, workers=args.workers,
            progress=lambda text: print(text, file=sys.stderr, flush=True))
    recipe = ", ".join(f"{k}={v:.4g}" for k, v in {**verification["recipe"],
                                                   **verification["fixed"]}.items())
    print(f"verification of {campaign.name!r}: {recipe}")
    print("\n".join(verification_lines(verification)).rstrip())
    return 0


def run_due_command(args: argparse.Namespace) -> int:
    from electroforge.campaigns.schedule import run_due

    failed: list[str] = []
    ran = run_due(_store(args), failed=failed)
    if not ran and not failed:
        print("no campaign is due")
    if failed:
        print(f"electroforge: error: {len(failed)} campaign(s) failed: {', '.join(failed)} "
              "(see above); the others ran", file=sys.stderr)
        return 2
    return 0


def run_scheduler(args: argparse.Namespace) -> int:
    from electroforge.campaigns.schedule import scheduler_loop

    scheduler_loop(_store(args), interval_s=max(args.interval, 0.0), cycles=args.cycles)
    return 0


def run_status(args: argparse.Namespace) -> int:
    from electroforge.errors import InputError

    if args.check:
        from electroforge.campaigns import resolve_workspace
        from electroforge.campaigns.store import check_integrity

        path, problems = check_integrity(resolve_workspace(args.workspace, create=False))
        if problems:
            raise InputError(f"the store fails SQLite's integrity check ({problems[0]}"
                             + (f"; {len(problems) - 1} more problems" if len(problems) > 1
                                else "") + ")", source=str(path),
                             allowed="an intact store: restore electroforge.db from a backup")
        print(f"{path}: integrity check ok")
        if args.name is None:
            return 0
    elif args.name is None:
        raise InputError("which campaign?", field="name",
                         allowed="campaign status NAME, or campaign status --check")
    from electroforge.campaigns.campaign import round_line

    campaign = _campaign(args, read_only=True)
    summary = campaign.status()
    if args.json:
        print(json.dumps(summary, indent=1, default=str))
        return 0
    print(f"campaign {summary['name']!r} ({summary['evaluator']}), created "
          f"{summary['created_at']}")
    print(f"  {summary['measured']}/{summary['budget']} measured, {summary['pending']} pending")
    print(f"  objective: {summary['objective']}")
    best = summary["best"]
    if best:
        recipe = ", ".join(f"{k}={v:.4g}" for k, v in {**best["recipe"], **best["fixed"]}.items())
        print(f"  best measured: cost {best['cost']:.5f} at {recipe}")
    if summary.get("loop"):
        loop = summary["loop"]
        print(f"  closed loop: {loop['completed']} rounds measured, "
              f"{loop['since_improvement']} since the measured best improved (patience "
              f"{loop['patience']})" + (f"; stopped: {loop['stopped']}" if loop["stopped"]
                                         else ""))
        for content in campaign.rounds():
            print("  " + round_line(content).strip())
    if summary["hedge"]:
        print("  hedge odds: " + ", ".join(f"{k} {v:.2f}" for k, v in summary["hedge"].items()))
    stopping = summary.get("stopping")
    if stopping:
        ei = stopping["expected_improvement"]
        print(f"  stopping rule: expected improvement below {stopping['threshold']:g} for "
              f"{stopping['decisions']} decisions; last "
              + ("(no decision yet)" if ei is None else f"{ei:.4g}")
              + (f"; STOPPED: {stopping['stopped']}" if stopping["stopped"] else ""))
    if summary["schedule"]:
        print(f"  schedule: {summary['schedule']}")
    if summary["last_run"]:
        run = summary["last_run"]
        print(f"  last run: {run['kind']} {run['started_at']} -> {run['status']}")
    if summary["last_recommendation"]:
        print(f"  last recommendation: {summary['last_recommendation']}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from electroforge.campaigns.report import write_report
    from electroforge.paths import check_output_dir

    from electroforge.campaigns.report import REPORT_FILES
    from electroforge.paths import check_output_file

    campaign = _campaign(args)
    folder = check_output_dir(args.out or campaign.store.workspace / campaign.name / "report",
                              option="--out", inputs=[campaign.store.path])
    for name in REPORT_FILES:
        check_output_file(folder / name, option="--out", inputs=[campaign.store.path])
    html_path, md_path = write_report(campaign, args.out, sensitivity_n=args.sensitivity_n)
    print(f"wrote {html_path} (self-contained) and {md_path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from electroforge.cli.options import check_dataset_output
    from electroforge.datasets import write_dataset

    campaign = _campaign(args, read_only=True)
    check_dataset_output(args.out, inputs=[campaign.store.path])
    table = campaign.export()
    write_dataset(table, args.out, metadata={"campaign": campaign.name,
                                             "definition": campaign.definition.to_dict()})
    print(f"wrote {args.out}: {int((table['kind'] == 'proposal').sum())} proposals, "
          f"{int((table['kind'] == 'measurement').sum())} measurements")
    return 0


def _flag_outside_data(campaign, proposals) -> None:
    """One line per proposal beyond the model's data (surrogate campaigns)."""
    from electroforge.campaigns.campaign import data_domain
    from electroforge.space.domain import domain_text

    domain = data_domain(campaign.definition, campaign.problem)
    if domain is None:
        return
    for row in proposals.to_dict("records"):
        verdict = domain.check(row)
        if not verdict["inside"]:
            print(f"  proposal {int(row['proposal_id'])}: {domain_text(verdict)}")


def _print_recommendation(content: dict) -> None:
    recipe = ", ".join(f"{k}={v:.4g}" for k, v in {**content["recipe"], **content["fixed"]}.items())
    print(f"recommendation for {content['campaign']!r} ({content['created_at']}, "
          f"{content['n_measured']}/{content['budget']} evaluations):")
    print(f"  {recipe}")
    print("  " + ", ".join(f"{k} {v:.4g}" for k, v in content["properties"].items()))
    print(f"  cost {content['cost']:.5f}; written to {content['path']}")
    if "loop" in content:
        from electroforge.campaigns.campaign import loop_lines

        print("  " + loop_lines(content))
    if "domain" in content:
        from electroforge.space.domain import domain_text

        print(f"  data of the model: {domain_text(content['domain'])}")
    if "verification" in content:
        from electroforge.campaigns.evaluators import spread

        from electroforge.campaigns.campaign import verification_made

        verification = content["verification"]
        mean, sd = spread(verification["measured_cost"])
        print(f"  verified {verification_made(verification)}: cost {mean:.5f} +- {sd:.5f} "
              f"(sd) against {verification['predicted_cost']:.5f}")
