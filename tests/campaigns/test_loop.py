"""The closed loop (electroforge.campaigns.loop) on a planted problem whose open-loop
optimum is an extrapolation artefact (tests/campaigns/planted_loop.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from electroforge.campaigns.campaign import Campaign
from electroforge.campaigns.definition import CampaignDefinition
from electroforge.campaigns.loop import LoopSettings, pick_candidates, rounds_without_improvement
from electroforge.campaigns.store import Store
from electroforge.errors import InputError

sys.path.insert(0, str(Path(__file__).parent))
import planted_loop as planted  # noqa: E402


@pytest.fixture
def start_data(tmp_path):
    path = tmp_path / "start.csv"
    planted.write_start_data(path)
    return path


def run_loop(workspace, data, **kwargs):
    campaign = Campaign.create(Store(workspace), planted.definition(data, **kwargs),
                               evaluator=planted.PlantedEvaluator())
    lines: list[str] = []
    return campaign, campaign.run(progress=lines.append), lines


def test_the_loop_corrects_the_open_loop_extrapolation_artefact(tmp_path, start_data):
    campaign, recommendation, lines = run_loop(tmp_path / "ws", start_data)
    rounds = campaign.rounds()
    first = rounds[0]
    # round 1 is the open loop: fitted on the starting data alone, its optimum is the
    # trust region's edge (data to cr 18 %, margin 10 % of 50 %), a density the truth
    # does not reach there
    assert first["n_data"] == 16 and first["search_box"]["cr_pct"][1] == pytest.approx(23.0)
    open_loop = first["surrogate_best"]["recipe"]["cr_pct"]
    assert open_loop == pytest.approx(23.0, abs=0.05)
    predicted = first["proposals"][0]["predicted"]["density_g_cm3"]
    assert predicted == pytest.approx(2.92, abs=0.01)
    assert planted.true_density(open_loop) == pytest.approx(2.5, abs=0.01)
    # measured, the artefact is seen (prediction beside measurement) and corrected
    assert first["proposals"][0]["measured"]["density_g_cm3"] == pytest.approx(2.5, abs=0.01)
    chosen = recommendation["recipe"]["cr_pct"]
    assert planted.true_density(chosen) > 2.7          # the optimum is 2.8 at cr 20 %
    assert abs(chosen - planted.PEAK_CR_PCT) < 1.5
    # every round refits on all the data, with a model of its own
    assert [r["n_data"] for r in rounds] == [16 + 2 * k for k in range(len(rounds))]
    assert len({r["model_sha256"] for r in rounds}) == len(rounds)
    for content in rounds:
        path = campaign.store.resolve_path(content["model"])
        from electroforge.campaigns.loop import file_sha256

        assert file_sha256(path) == content["model_sha256"]
    assert campaign.n_measured == 8 and len(lines) >= 4 and "round   1" in lines[0]
    assert "Closed loop" in Path(recommendation["path"]).read_text()
    assert campaign.status()["loop"]["stopped"] == "budget"
    # the report: the loop's rounds, predicted beside measured, each model by its SHA-256
    from electroforge.campaigns.report import write_report

    _, markdown = write_report(campaign, tmp_path / "report", sensitivity_n=16)
    text = markdown.read_text()
    assert "## Closed loop: predicted beside measured, per round" in text
    assert f"| 1 | {first['model_sha256'][:12]} | 16 |" in text and "pending" not in text
    # proposals of a round are distinct and away from what was measured before
    for content in rounds:
        x = [campaign.proposals().set_index("proposal_id").loc[i, "cr_pct"]
             for i in content["proposal_ids"]]
        assert abs(x[0] - x[1]) >= 0.02 * 50 - 1e-9


def test_the_loop_stops_when_the_measured_best_stops_improving(tmp_path, start_data):
    campaign, _, lines = run_loop(tmp_path / "ws", start_data, budget=40, patience=1)
    state = campaign.loop_state()
    assert state["stopped"].startswith("no better measured cost")
    assert campaign.n_measured < 40 and state["since_improvement"] == 1
    assert any("the closed loop stops" in line for line in lines)


def test_a_loop_resumes_after_kill_9_between_ask_and_tell(tmp_path, start_data):
    workspace = tmp_path / "killed"
    workspace.mkdir()
    # evaluating round 2 kills the process: round 2's proposals are recorded, not told
    done = subprocess.run([sys.executable, str(Path(planted.__file__)), str(workspace), "2"],
                          capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    store = Store(workspace)
    killed = Campaign(store, "loop", evaluator=planted.PlantedEvaluator())
    assert killed.n_measured == 2 and len(killed.proposals("pending")) == 2
    assert len(killed.rounds()) == 2
    killed.run(progress=lambda _: None)
    reference, _, _ = run_loop(tmp_path / "whole", start_data)
    columns = ["cr_pct", "density_g_cm3"]
    pd.testing.assert_frame_equal(killed.measurements()[columns],
                                  reference.measurements()[columns])
    assert [r["model_sha256"] for r in killed.rounds()] == [
        r["model_sha256"] for r in reference.rounds()]
    runs = [r["status"] for r in store.rows("runs", "loop")]
    assert runs == ["interrupted", "done"]


def test_a_lab_loop_asks_a_round_and_is_told(tmp_path, start_data):
    from dataclasses import replace

    definition = replace(planted.definition(start_data), evaluator="lab")
    campaign = Campaign.create(Store(tmp_path), definition)
    sheet = campaign.ask(2)
    assert len(campaign.rounds()) == 1 and campaign.rounds()[0]["proposals"][0]["measured"] is None
    told = sheet.assign(density_g_cm3=planted.true_density(sheet["cr_pct"]))
    campaign.tell(told[["proposal_id", "cr_pct", "density_g_cm3"]])
    measured = campaign.rounds()[0]["proposals"]
    assert [p["measured"]["density_g_cm3"] for p in measured] == pytest.approx(
        list(planted.true_density(sheet["cr_pct"])))
    second = campaign.ask(2)
    assert len(campaign.rounds()) == 2
    # asked again before the lab answers: away from the pending recipes too
    third = campaign.ask(2)
    pending = np.concatenate([second["cr_pct"], third["cr_pct"]])
    assert np.min(np.abs(third["cr_pct"].to_numpy()[:, None] - second["cr_pct"].to_numpy())) \
        >= 0.02 * 50 - 1e-9 and len(set(np.round(pending, 9))) == 4
    # replicates are the lab's way of verifying: a line campaign is refused them
    with pytest.raises(InputError, match="replicates are recorded for a lab campaign"):
        Campaign.create(Store(tmp_path / "line"), planted.definition(start_data)).verify_in_lab(
            told)


def test_a_stopped_loop_asks_no_more_and_its_data_are_pinned(tmp_path, start_data):
    campaign, _, _ = run_loop(tmp_path / "ws", start_data, budget=40, patience=1)
    assert campaign.loop_state()["stopped"].startswith("no better")
    with pytest.raises(InputError, match="loop.patience.*has stopped"):
        campaign.ask(1)
    assert campaign.definition.loop.data_sha256 is not None
    pd.read_csv(start_data).assign(density_g_cm3=2.0).to_csv(start_data, index=False)
    with pytest.raises(InputError, match="start.csv.*loop.data.*changed since the campaign"):
        Campaign(Store(tmp_path / "ws"), "loop")


def test_loop_definitions_are_checked(tmp_path, start_data):
    text = f"""
name = "l"
budget = 4
[space]
fix = {{ am_wt_pct = 95.0, sc_wt_pct = 65.0, c_rate = 1.0 }}
[objective]
targets = [{{ name = "density_g_cm3", direction = "max" }}]
[evaluator]
kind = "line"
[loop]
data = "{start_data.name}"
patience = 3
"""
    path = tmp_path / "loop.toml"
    path.write_text(text)
    definition = CampaignDefinition.load(path)
    assert definition.loop.data == str(start_data.resolve())
    assert definition.loop.patience == 3
    assert CampaignDefinition.from_dict(definition.to_dict()) == definition
    path.write_text(text.replace("patience = 3", "patience = 0"))
    with pytest.raises(InputError, match="loop.patience"):
        CampaignDefinition.load(path)
    path.write_text(text.replace("patience = 3", "rounds = 3"))
    with pytest.raises(InputError, match="loop.rounds.*unknown key"):
        CampaignDefinition.load(path)
    path.write_text(text.replace('kind = "line"', 'kind = "surrogate"\nmodel = "start.csv"'))
    with pytest.raises(InputError, match="closed loop evaluates on the line or in the lab"):
        CampaignDefinition.load(path)
    # a free parameter the starting data hold at one value is refused before any record
    pd.read_csv(start_data).assign(am_wt_pct=95.0).to_csv(tmp_path / "flat.csv", index=False)
    path.write_text(text.replace("am_wt_pct = 95.0, ", "").replace(start_data.name,
                                                                   "flat.csv"))
    with pytest.raises(InputError, match="am_wt_pct.*does not vary in the starting data"):
        Campaign.create(Store(tmp_path / "ws"), CampaignDefinition.load(path))
    path.write_text(text.replace("patience = 3", "properties = 3"))
    with pytest.raises(InputError, match="loop.properties.*list of column names"):
        CampaignDefinition.load(path)
    path.write_text(text.replace("patience = 3", 'properties = ["porosity"]'))
    with pytest.raises(InputError, match="loop.properties.*density_g_cm3"):
        Campaign.create(Store(tmp_path / "ws"), CampaignDefinition.load(path))
    path.write_text(text.replace(start_data.name, "missing.csv"))
    with pytest.raises(InputError, match="missing.csv"):
        Campaign.create(Store(tmp_path / "ws"), CampaignDefinition.load(path))
    assert Store(tmp_path / "ws").campaign_names() == []


def test_candidates_are_distinct_and_away_from_the_data():
    X = np.array([[0.10], [0.11], [0.50], [0.52], [0.90]])
    costs = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    # 0.10 is measured already: the best far from it and from each other
    assert pick_candidates(X, costs, 2, measured=np.array([[0.10]]), bounds=[(0.0, 1.0)],
                           min_distance=0.05) == [2, 4]
    # too few far from the data: the nearest fill in, still distinct
    assert pick_candidates(X, costs, 4, measured=np.array([[0.10]]), bounds=[(0.0, 1.0)],
                           min_distance=0.05) == [2, 4, 0]
    assert rounds_without_improvement([]) == 0
    assert rounds_without_improvement([0.3, 0.2, 0.2]) == 1


def test_loop_settings_round_trip():
    settings = LoopSettings(data="/x.csv", properties=("density_g_cm3",), min_distance=0)
    assert LoopSettings.from_dict(settings.to_dict()) == settings
    with pytest.raises(InputError, match="loop.min_distance"):
        LoopSettings(data="/x.csv", min_distance=0.9)


def test_a_rounds_search_of_the_surrogate_follows_the_campaigns_stopping_rule():
    from electroforge.campaigns.hedge import HedgeSettings
    from electroforge.campaigns.loop import search_round

    class Bowl:
        """A surrogate cost with its minimum 0 at (0.3, 0.3); counts its evaluations."""

        names, bounds, calls = ("a", "b"), [(0.0, 1.0), (0.0, 1.0)], 0

        def __call__(self, x):
            self.calls += 1
            return float(sum((v - 0.3) ** 2 for v in x))

        def predict(self, X):
            return pd.DataFrame({"cost": [sum((v - 0.3) ** 2 for v in x)
                                          for x in np.atleast_2d(X)]})

    loop = LoopSettings(data="/x.csv", surrogate_calls=20)
    bowl = Bowl()
    points, predicted, best = search_round(
        bowl, bowl.bounds, 2, loop=loop, seed=0, measured=np.empty((0, 2)),
        settings=HedgeSettings(stop_improvement=1e-3, stop_decisions=2))
    assert len(points) == 2 and best["cost"] < 1e-2            # a round's batch, near 0
    # the rule stopped the search of the bowl before its 20 calls (at 12: 5 Sobol' points,
    # and 7 decisions until the expected improvement stayed below 1e-3 twice)
    assert bowl.calls <= 15
