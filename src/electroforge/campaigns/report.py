"""A campaign's recommendation report: one self-contained HTML file and its Markdown twin.

Sections (each an ``<section id=...>``): the recommended recipe with its predicted or
measured properties, each with its 95 % prediction interval calibrated on the model's
held-out re-splits (where the model's validation table keeps one), and the cost's interval
carried from them; verified values beside predicted ones; for a closed loop, each round's
model and its proposals' predicted cost beside the measured one; a radar chart
of the optimum against the single-property extremes of the data (the reference's Figures
4-5); convergence with the hedge's odds (Figure S2); partial-dependence maps of the GP
with the optimum marked (Figure 3); Sobol' sensitivity of every property and of the cost
(surrogate campaigns); the surrogate's validation table (Table 1); provenance. The HTML
embeds its figures as data URIs, so it can be mailed on its own; the Markdown links the
PNG files written beside it.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from electroforge.atomic import atomic_path, atomic_write_text, staged_folder

__all__ = ["write_report", "SECTIONS"]

SECTIONS = ("recommendation", "rounds", "radar", "convergence", "partial-dependence", "sensitivity",
            "validation", "provenance")

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222;
       line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd;
       padding-bottom: 0.2em; margin-top: 1.8em; font-size: 1.25em; }
.meta { color: #666; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; }
.headline { background: #f3f7fb; border-left: 4px solid #4c72b0; padding: 0.6em 1em; }
"""


#: The files a report writes into its folder.
REPORT_FILES = ("report.html", "report.md", "radar.png", "convergence.png",
                "partial_dependence.png", "sensitivity.png")


def write_report(campaign, out: str | os.PathLike[str] | None = None, *,
                 sensitivity_n: int = 512, sensitivity=None) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` (and the figures) for a campaign.

    Args:
        campaign: A :class:`~electroforge.campaigns.campaign.Campaign` with measurements.
        out: Folder (default ``WORKSPACE/NAME/report``).
        sensitivity_n: Saltelli base size of the sensitivity section.
        sensitivity: A table of :func:`~electroforge.sensitivity.sobol_indices` already
            computed for the campaign's problem (else computed here, surrogate campaigns).

    Returns:
        The HTML and Markdown paths.
    """
    from electroforge.errors import InputError

    best = campaign.recommended()
    if best is None:
        raise InputError("nothing measured yet: nothing to report", field="campaign",
                         value=campaign.name, allowed="run the campaign or tell results first")
    final = Path(out) if out is not None else campaign.store.workspace / campaign.name / "report"
    with staged_folder(final) as folder:       # every file of the report, or none
        problem = campaign.problem
        optimizer = campaign.optimizer()
        measurements = campaign.measurements()
        figures: dict[str, Path] = {}
        figures["radar"] = _radar(problem, measurements, best, folder / "radar.png")
        from electroforge.campaigns.plots import convergence_plot, partial_dependence_plot

        figures["convergence"] = convergence_plot(
            measurements["cost"].to_numpy(), [s.probabilities for s in optimizer.steps],
            folder / "convergence.png", n_initial=min(optimizer.n_initial, len(measurements)))
        X = np.array(optimizer.X)
        optimum = [best["recipe"][n] for n in problem.names]
        gp = _campaign_gp(optimizer)
        pd_map = partial_dependence_plot(X, np.array(optimizer.y), problem.names,
                                         problem.bounds, optimum,
                                         folder / "partial_dependence.png",
                                         seed=campaign.definition.seed, model=gp)
        if pd_map is not None:
            figures["partial-dependence"] = pd_map
        if sensitivity is None and problem.module is not None:
            from electroforge.sensitivity import problem_indices

            sensitivity = problem_indices(problem, n=sensitivity_n,
                                          seed=campaign.definition.seed, second_order=False)
        if sensitivity is not None:
            from electroforge.sensitivity import sensitivity_plot

            figures["sensitivity"] = sensitivity_plot(sensitivity, folder / "sensitivity.png")
        validation = None
        if campaign.definition.model:
            from electroforge.surrogates.validation import load_validation

            validation = load_validation(campaign.definition.model)
        cost_sd = _cost_uncertainty(gp, optimum)
        context = _context(campaign, best, measurements, validation, sensitivity, cost_sd)
        context["provenance"].append(("GP of the optimizer", optimizer_model_note(optimizer)))
        atomic_write_text(folder / "report.html", _html(context, figures))
        atomic_write_text(folder / "report.md", _markdown(context, figures))
    html_path, md_path = final / "report.html", final / "report.md"
    from electroforge.campaigns.store import utc_now

    campaign.store.insert_recommendation(campaign.name, utc_now(),
                                         _json({"report": True, **best}),
                                         campaign.store.stored_path(html_path))
    return html_path, md_path


# -- pieces ---------------------------------------------------------------------------------
def _radar(problem, measurements, best, path: Path) -> Path:
    """Desirability (1 - shortfall, 1 best) per target: the optimum against, for each
    target, the recipe of the data that is best in that property alone."""
    from matplotlib.figure import Figure

    objective = problem.objective
    names = [t.name for t in objective.targets]
    values = {c: torch.tensor(measurements[c].to_numpy(dtype=float)) for c in
              objective.columns if c in measurements}
    Y = torch.stack([values[c] for c in objective.columns], dim=-1)
    desirability = (1 - objective.shortfalls(Y)).clamp(0, 1).numpy()
    best_row = int(np.flatnonzero(measurements["measurement_id"] == best["measurement_id"])[0])
    angles = np.linspace(0, 2 * np.pi, len(names), endpoint=False).tolist()
    fig = Figure(figsize=(5.6, 5.0), layout="constrained")
    ax = fig.add_subplot(projection="polar")
    colors = ["#4c72b0", "#55a868", "#8172b3", "#ccb974", "#64b5cd", "#937860"]
    for k, name in enumerate(names):
        row = int(np.argmax(desirability[:, k]))
        ring = desirability[row].tolist()
        ax.plot(angles + angles[:1], ring + ring[:1], color=colors[k % len(colors)],
                linewidth=1, linestyle="--", label=f"best {name}")
    ring = desirability[best_row].tolist()
    ax.plot(angles + angles[:1], ring + ring[:1], color="#c44e52", linewidth=2.5,
            label="recommended")
    ax.fill(angles + angles[:1], ring + ring[:1], color="#c44e52", alpha=0.15)
    ax.set_xticks(angles, names, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_title("desirability (1 = best of the data's range)", fontsize=9)
    ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.12), fontsize=7)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, format="png")
    return path


def _campaign_gp(optimizer):
    """The GP of the campaign's observations (None below three)."""
    if len(optimizer.y) < 3:
        return None
    from electroforge.campaigns.hedge import fit_gp
    from electroforge.threads import single_threaded

    with single_threaded(), torch.random.fork_rng():
        torch.manual_seed(optimizer.seed)
        return fit_gp(torch.tensor(optimizer.X, dtype=torch.float64),
                      torch.tensor(optimizer.y, dtype=torch.float64),
                      torch.tensor(optimizer.box, dtype=torch.float64))


def optimizer_model_note(optimizer) -> str:
    """The GP the optimizer decided with, as last chosen: its outcome warp and kernel, what
    chose them and on how many values (``kernel = "auto"`` may choose the additive one)."""
    from electroforge.campaigns.warping import warp_from_dict

    chosen = optimizer.state()["warp"]
    if not chosen:
        return "none fitted"
    how = {"evidence": "the warp chosen by the evidence",
           "loo": "chosen by leave-one-out prediction"}.get(chosen.get("criterion"), "as set")
    return (f"warp {warp_from_dict(chosen).label}, {chosen['kernel']} kernel "
            f"({how}, on {chosen['n']} values)")


def _cost_uncertainty(gp, optimum) -> float | None:
    """Posterior standard deviation of the cost at the optimum."""
    if gp is None:
        return None
    with torch.no_grad():
        posterior = gp.posterior(torch.tensor([optimum], dtype=torch.float64))
    return float(posterior.variance.sqrt().item())


def _context(campaign, best, measurements, validation, sensitivity, cost_sd) -> dict[str, Any]:
    from electroforge import __version__
    from electroforge.campaigns.store import utc_now

    definition = campaign.definition
    problem = campaign.problem
    rmse = {row["output"]: row["rmse_pct"] for row in validation or []}
    intervals = (property_intervals(best["properties"], validation)
                 if definition.evaluator == "surrogate" else {})
    recipe = [(n, v, problem.space[n].unit) for n, v in {**best["recipe"],
                                                         **best["fixed"]}.items()]
    properties = [(n, v, rmse.get(n), intervals.get(n)) for n, v in best["properties"].items()
                  if n not in ("feasible",)]
    cost_interval = (cost_bounds(problem, best, intervals)
                     if definition.evaluator == "surrogate" and intervals else None)
    row = campaign.store.campaign_row(campaign.name)
    verified = campaign.store.verifications(campaign.name, best["measurement_id"])
    from electroforge.campaigns.campaign import data_domain

    domain = data_domain(definition, problem)
    return {
        "domain": domain.check(best["recipe"]) if domain is not None else None,
        "name": campaign.name, "created": utc_now(), "recipe": recipe,
        "properties": properties, "cost": best["cost"], "cost_sd": cost_sd,
        "cost_interval": cost_interval, "posterior": best.get("posterior"),
        "objective": problem.rate_note, "n": len(measurements), "budget": definition.budget,
        "evaluator": definition.evaluator, "validation": validation,
        "sensitivity": sensitivity, "verification": verified[-1] if verified else None,
        "rounds": campaign.rounds() if definition.loop is not None else [],
        "provenance": [("campaign created", row["created_at"]),
                       ("electroforge (campaign / report)", f"{row['version']} / {__version__}"),
                       ("seed", definition.seed), ("evaluator", definition.evaluator),
                       ("line calendering", definition.calendering
                        + (f" ({campaign.calendering_model_path()})"
                           if definition.calendering == "neural" else "")),
                       ("model", definition.model or "-"),
                       ("dataset of the model",
                        (validation or [{}])[0].get("dataset") or "not recorded"),
                       ("model validation", "yes" if validation else "not recorded"),
                       ("store", str(campaign.store.path)),
                       ("searched", ", ".join(problem.names)),
                       ("fixed", ", ".join(f"{k}={v:g}" for k, v in problem.fixed.items())
                        or "-"),
                       ("constraints", "; ".join(definition.constraints) or "-")],
    }


def property_intervals(properties: dict[str, float], validation: list[dict] | None
                       ) -> dict[str, tuple[float, float]]:
    """95 % prediction intervals of the predicted properties, from the model's validation
    sidecar (properties without a calibrated interval are left out)."""
    from electroforge.surrogates.validation import interval

    out = {}
    for row in validation or []:
        name = row["output"]
        if row.get("interval_95") is not None and name in properties:
            low, high = interval(properties[name], row["interval_95"], row["interval_kind"])
            out[name] = (float(low), float(high))
    return out


def cost_bounds(problem, best: dict[str, Any], intervals: dict[str, tuple[float, float]]
                ) -> tuple[float, float]:
    """The cost's range over every corner of the properties' intervals (each target's
    cost moves one way with its property, so the corners hold its extremes)."""
    import itertools

    import pandas as pd

    from electroforge.objectives.recipe import DERIVED

    names = [n for n in problem.objective.columns if n in intervals]
    # a 'target' cost |y - value| is least at the value, when the interval holds it
    aimed = {t.name: t.value for t in problem.objective.targets
             if t.direction == "target" and t.value is not None}
    choices = [sorted({*intervals[n], *([aimed[n]] if n in aimed and
                                        intervals[n][0] < aimed[n] < intervals[n][1] else [])})
               for n in names]
    corners = [dict(zip(names, values)) for values in itertools.product(*choices)]
    measured = {k: v for k, v in best["properties"].items() if k not in DERIVED}
    frame = pd.DataFrame([{**best["recipe"], **measured, **c} for c in corners])
    costs, _ = problem.cost_of_table(frame)
    return float(np.min(costs)), float(np.max(costs))


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _table(headers, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _rows(context) -> dict[str, tuple[list, list]]:
    tables = {
        "recipe": (["parameter", "value", "unit"],
                   [(n, f"{v:.4g}", u) for n, v, u in context["recipe"]]),
        "properties": (["property", "value",
                        "95 % prediction interval (held-out re-splits, conformal)",
                        "test RMSE% of the equation"],
                       [(n, f"{v:.4g}", f"[{i[0]:.4g}; {i[1]:.4g}]" if i is not None else "-",
                         f"{r:.2f} %" if r is not None else "-")
                        for n, v, r, i in context["properties"]]),
        "provenance": (["", ""], [(k, v) for k, v in context["provenance"]]),
    }
    verification = context["verification"]
    if verification:
        from electroforge.campaigns.evaluators import verification_rows

        by = {"surrogate": "predicted (surrogate)", "line": "campaign's (line, 1 seed)",
              "loop": "predicted (the loop's last model)",
              "lab": "campaign's (lab, once)"}.get(
            verification["predicted_by"], "predicted")
        tables["verification"] = (
            ["property", by, f"measured, mean of {len(verification['seeds'])} seeds",
             "sd over seeds"],
            [(name, "-" if p is None else f"{p:.4g}", f"{mean:.4g}", f"{sd:.2g}")
             for name, p, mean, sd in verification_rows(verification)])
    if context["rounds"]:
        tables["rounds"] = (
            ["round", "model (SHA-256)", "recipes fitted", "proposal", "cost predicted",
             "cost measured"],
            [(r["round"], r["model_sha256"][:12], r["n_data"], p["proposal_id"],
              f"{p['predicted']['cost']:.4f}",
              f"{p['measured']['cost']:.4f}" if p["measured"] else "pending")
             for r in context["rounds"] for p in r["proposals"]])
    if context["validation"]:
        tables["validation"] = (
            ["property", "RMSE%", "R2", "CI95 of R2", "reference RMSE% / R2"],
            [(r["output"], f"{r['rmse_pct']:.2f}", f"{r['r2']:.3f}",
              f"[{r['r2_ci95'][0]:.3f}; {r['r2_ci95'][1]:.3f}]",
              f"{r['reference'][0]:.2f} / {r['reference'][1]:.3f}" if r.get("reference")
              else "-") for r in context["validation"]])
    if context["sensitivity"] is not None:
        table = context["sensitivity"]
        tables["sensitivity"] = (["output", "parameter", "S1", "ST"],
                                 [(r.output, r.parameter, f"{r.S1:.3f} ± {r.S1_conf:.3f}",
                                   f"{r.ST:.3f} ± {r.ST_conf:.3f}") for r in table.itertuples()])
    return tables


_TEXT = {
    "radar": "Desirability of each target (1 - its scaled shortfall; 1 is the best of the "
             "data's range) for the recommended recipe and for the recipes of the data that "
             "are best in one property alone.",
    "convergence": "Cost of every evaluation and the best so far; below, the odds the hedge "
                   "gave each acquisition function at each step.",
    "partial-dependence": "The GP's cost averaged over the other parameters, for each pair; "
                          "dots are evaluations, the star the recommendation.",
    "sensitivity": "Sobol' first-order (S1) and total-order (ST) indices with 95 % intervals.",
    "validation": "Test split (20 %) and 95 % interval of R2 over re-splits, beside the "
                  "reference's Table 1.",
    "rounds": "Each round's equations were fitted on all the data so far (the model file's "
              "SHA-256 names the version); its proposals' cost as the model predicted it "
              "beside what was measured. The recommendation is the measured recipe the model "
              "refitted on everything predicts best.",
}
_MISSING = {
    "rounds": "Not a closed loop.",
    "radar": "Not available.", "convergence": "Not available.",
    "partial-dependence": "Needs two or more searched parameters.",
    "sensitivity": "Needs a surrogate model (a lab or line campaign has none to sample).",
    "validation": "No validation table recorded for this model (`electroforge fit` and "
                  "`electroforge demo` write it beside the model as MODEL.validation.json).",
}
_TITLES = {"recommendation": "Recommended recipe",
           "rounds": "Closed loop: predicted beside measured, per round", "radar": "Against single-property extremes",
           "convergence": "Convergence", "partial-dependence": "Partial dependence",
           "sensitivity": "Sensitivity", "validation": "Surrogate validation",
           "provenance": "Provenance"}


def _headline(context) -> str:
    if context["cost_interval"] is not None:
        low, high = context["cost_interval"]
        sd = (f" (95 % interval [{low:.4f}; {high:.4f}], the properties' prediction "
              "intervals carried through the objective)")
    elif context["cost_sd"] is not None:
        sd = f" (posterior sd of the campaign's GP over its evaluations: {context['cost_sd']:.2g})"
    else:
        sd = ""
    text = (f"Cost {context['cost']:.5f}{sd} after {context['n']} of {context['budget']} "
            f"evaluations ({context['evaluator']}). Objective: {context['objective']}.")
    if context.get("posterior"):
        from electroforge.campaigns.campaign import posterior_line

        text += " " + posterior_line(context["posterior"])
    if context["domain"] is not None:
        from electroforge.space.domain import domain_text

        text += f" Data of the model: {domain_text(context['domain'])}."
    return text


def _verified_text(context) -> str:
    from electroforge.campaigns.campaign import verification_made

    verification = context["verification"]
    grid = ("" if verification.get("made_by") == "lab"
            else f"; grid {verification['grid'] or 'default'}")
    return (f"Made again {verification_made(verification)}{grid}, beside what the campaign "
            f"{'predicted' if verification['predicted_by'] in ('surrogate', 'loop') else 'measured'}:")


def _html(context, figures) -> str:
    tables = _rows(context)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>electroforge report: "
             f"{html.escape(context['name'])}</title><style>{_CSS}</style></head><body>",
             f"<h1>Recommendation report: {html.escape(context['name'])}</h1>",
             f"<p class='meta'>{html.escape(context['created'])} &middot; electroforge</p>"]
    for section in SECTIONS:
        body = ""
        if section == "recommendation":
            body = (f"<p class='headline'>{html.escape(_headline(context))}</p>"
                    + _table(*tables["recipe"]) + _table(*tables["properties"]))
            if "verification" in tables:
                body += (f"<p>{html.escape(_verified_text(context))}</p>"
                         + _table(*tables["verification"]))
        elif section == "provenance":
            body = _table(*tables["provenance"])
        else:
            if section in figures:
                body += _image(figures[section])
            if section in tables:
                body += _table(*tables[section])
            body = (f"<p>{html.escape(_TEXT[section])}</p>" + body) if body else \
                f"<p>{html.escape(_MISSING[section])}</p>"
        parts.append(f"<section id='{section}'><h2>{_TITLES[section]}</h2>{body}</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _markdown(context, figures) -> str:
    tables = _rows(context)

    def table(headers, rows) -> list[str]:
        return (["| " + " | ".join(map(str, headers)) + " |",
                 "|" + "---|" * len(headers)]
                + ["| " + " | ".join(map(str, row)) + " |" for row in rows] + [""])

    lines = [f"# Recommendation report: {context['name']}", "", context["created"], ""]
    for section in SECTIONS:
        lines += [f"## {_TITLES[section]}", ""]
        if section == "recommendation":
            lines += [_headline(context), ""] + table(*tables["recipe"]) + table(
                *tables["properties"])
            if "verification" in tables:
                lines += [_verified_text(context), ""] + table(*tables["verification"])
            continue
        if section == "provenance":
            lines += table(*tables["provenance"])
            continue
        if section not in figures and section not in tables:
            lines += [_MISSING[section], ""]
            continue
        lines += [_TEXT[section], ""]
        if section in figures:
            lines += [f"![{section}]({figures[section].name})", ""]
        if section in tables:
            lines += table(*tables[section])
    return "\n".join(lines)


def _json(value) -> str:
    import json

    return json.dumps(value, default=float)
