import re

import pandas as pd
import pytest

from electroforge import default_space
from electroforge.campaigns.campaign import Campaign
from electroforge.campaigns.definition import CampaignDefinition
from electroforge.campaigns.report import SECTIONS, write_report
from electroforge.campaigns.store import Store
from electroforge.campaigns.warping import warp_from_dict
from electroforge.errors import InputError
from electroforge.surrogates.validation import SurrogateValidation, save_validation


def test_every_section_is_in_the_html_and_the_markdown(tmp_path, model_file):
    validation = [SurrogateValidation("density_g_cm3", 1.2, 0.97, (0.95, 0.99), 32, 8,
                                      None, None, (-0.1, 0.05), "additive")]
    save_validation(validation, model_file, reference={"density_g_cm3": (1.87, 0.968)})
    store = Store(tmp_path)
    campaign = Campaign.create(store, CampaignDefinition(
        name="r", budget=10, evaluator="surrogate", model=str(model_file), seed=2, grid=48))
    campaign.run(progress=lambda _: None)
    html_path, md_path = write_report(campaign, sensitivity_n=64)
    page = html_path.read_text()
    for section in SECTIONS:
        assert f"<section id='{section}'>" in page, section
    # self-contained: the four figures are embedded, nothing is loaded from elsewhere
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 4
    assert not re.search(r'(src|href)="(http|file|/)', page)
    assert "Not available" not in page and "No validation table" not in page
    assert "0.97" in page and "1.87 / 0.968" in page                   # Table 1 beside ours
    best = campaign.best()
    assert f"{best['cost']:.5f}" in page
    # the density's interval in g/cm3 from the held-out residuals, the cost's carried from it
    density = best["properties"]["density_g_cm3"]
    assert f"[{density - 0.1:.4g}; {density + 0.05:.4g}]" in page
    assert "95 % interval [" in page and "carried through the objective" in page
    # the run ended with the best recipe made again on the line, beside the prediction
    verification = campaign.verifications()[-1]
    assert verification["measurement_id"] == best["measurement_id"]
    assert "Made again on the virtual line with 3 particle seeds" in page
    assert f"{best['cost']:.4g}" in page and "measured, mean of 3 seeds" in page
    markdown = md_path.read_text()
    assert "| cost | " in markdown
    # the GP the optimizer decided with, as its state records it
    warp = campaign.optimizer().state()["warp"]
    assert warp["criterion"] == "loo" and warp["kernel"] in ("product", "additive")
    assert (f"| GP of the optimizer | warp {warp_from_dict(warp).label}, {warp['kernel']} kernel "
            f"(chosen by leave-one-out prediction, on {warp['n']} values) |") in markdown
    assert markdown.count("\n## ") == len(SECTIONS)
    for figure in ("radar", "convergence", "partial_dependence", "sensitivity"):
        assert f"({figure}.png)" in markdown and (md_path.parent / f"{figure}.png").is_file()
    # recorded relative to the workspace, never to the working directory
    assert store.rows("recommendations", "r")[-1]["path"] == "r/report/report.html"
    assert store.resolve_path("r/report/report.html") == html_path.resolve()


def test_a_lab_campaign_says_what_it_cannot_show(tmp_path, model_file):
    campaign = Campaign.create(Store(tmp_path), CampaignDefinition(
        name="lab", budget=6, evaluator="lab", model=str(model_file),
        space=default_space().fix({"c_rate": 1.0})))
    with pytest.raises(InputError, match="nothing measured"):
        write_report(campaign)
    proposals = campaign.ask(4)
    results = proposals[["proposal_id", *campaign.problem.names]].assign(
        tortuosity_factor=[1.5, 2.0, 2.5, 3.0], conductivity_s_m=[5.0, 10, 12, 14],
        active_surface_pct=[40.0, 45, 47, 49], density_g_cm3=[2.2, 2.4, 2.6, 2.8])
    campaign.tell(results)
    html_path, _ = write_report(campaign)
    page = html_path.read_text()
    assert "Needs a surrogate model" in page
    assert pd.notna(campaign.best()["cost"])


def test_a_neural_line_campaign_names_its_calendering_model(tmp_path):
    from electroforge.surrogates.fields.calendering import shipped_model_path

    (tmp_path / "campaign.toml").write_text(
        'name = "nn"\nbudget = 6\n[space]\nfix = { c_rate = 1.0 }\n[objective]\n'
        '[[objective.targets]]\nname = "porosity"\ndirection = "min"\nlow = 0.2\nhigh = 0.6\n'
        '[evaluator]\nkind = "line"\ncalendering = "neural"\n')
    campaign = Campaign.create(Store(tmp_path / "ws"),
                               CampaignDefinition.load(tmp_path / "campaign.toml"))
    proposals = campaign.ask(4)
    campaign.tell(proposals[["proposal_id", *campaign.problem.names]].assign(
        porosity=[0.40, 0.35, 0.30, 0.25]))
    _, md_path = write_report(campaign)
    markdown = md_path.read_text()
    assert f"| line calendering | neural ({shipped_model_path()}) |" in markdown
    assert campaign.best()["properties"]["porosity"] == 0.25
