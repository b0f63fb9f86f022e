"""``electroforge campaign ...`` and ``electroforge scheduler`` on the analytic surrogate."""

from pathlib import Path

import pandas as pd
import pytest

from electroforge.campaigns.campaign import Campaign
from electroforge.campaigns.store import Store

from helpers import assert_one_line_error


def write_campaign(tmp_path, model_file, **extra):
    lines = ['name = "c1"', "budget = 8", "batch_size = 2", "seed = 1",
             '[evaluator]', f'model = "{model_file}"', "verify_seeds = 0"]
    lines[4:4] = [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"'
                  for k, v in extra.items()]
    (tmp_path / "campaign.toml").write_text("\n".join(lines) + "\n")


def test_create_ask_tell_run_status_export(cli, tmp_path, model_file):
    write_campaign(tmp_path, model_file)
    result = cli("campaign", "create", "campaign.toml")
    assert result.code == 0, result.err
    assert "searching am_wt_pct, sc_wt_pct, cr_pct" in result.out

    result = cli("campaign", "ask", "c1")
    assert result.code == 0, result.err
    sheet_path = tmp_path / "electroforge-workspace" / "c1" / "ask-001.csv"
    sheet = pd.read_csv(sheet_path)
    assert list(sheet["proposal_id"]) == [1, 2] and sheet["density_g_cm3"].isna().all()
    sheet = sheet.assign(tortuosity_factor=2.0, conductivity_s_m=10.0, active_surface_pct=40.0,
                         density_g_cm3=2.5)
    sheet.to_csv("results.csv", index=False)
    result = cli("campaign", "tell", "c1", "results.csv")
    assert result.code == 0 and "recorded 2 measurements" in result.out, result.err
    assert_one_line_error(cli("campaign", "tell", "c1", "results.csv"), "results.csv",
                          "already told")

    result = cli("campaign", "run", "c1")
    assert result.code == 0, result.err
    assert "recommendation for 'c1'" in result.out and "8/8 evaluations" in result.out
    assert "best cost" in result.err                                   # progress

    result = cli("campaign", "report", "c1", "--sensitivity-n", "32")
    assert result.code == 0, result.err
    report = tmp_path / "electroforge-workspace" / "c1" / "report" / "report.html"
    assert report.is_file() and "self-contained" in result.out
    assert_one_line_error(cli("campaign", "report", "nope"), "no such campaign")

    result = cli("campaign", "status", "c1")
    assert "8/8 measured, 0 pending" in result.out and "hedge odds" in result.out
    assert cli("campaign", "export", "c1", "--out", "c1.parquet").code == 0
    exported = pd.read_parquet(tmp_path / "c1.parquet")
    assert (exported["kind"] == "measurement").sum() == 8
    assert_one_line_error(cli("campaign", "ask", "c1"), "budget")


def test_run_due_and_scheduler(cli, tmp_path, model_file):
    write_campaign(tmp_path, model_file, schedule="* * * * *", iterations=1)
    assert cli("campaign", "create", "campaign.toml").code == 0
    store = Store(tmp_path / "electroforge-workspace")
    store.db.execute("UPDATE campaigns SET created_at = '2020-01-01T00:00:00+00:00'")
    result = cli("campaign", "run-due")
    assert result.code == 0 and "c1: ran for" in result.out, result.err
    result = cli("scheduler", "--cycles", "1", "--interval", "0")
    assert result.code == 0 and "checking" in result.out


def test_errors(cli, tmp_path, model_file):
    assert_one_line_error(cli("campaign", "create", "none.toml"), "none.toml", "cannot read")
    (tmp_path / "bad.toml").write_text('name = "x"\nbudget = 4\nschedule = "soon"\n')
    assert_one_line_error(cli("campaign", "create", "bad.toml"), "bad.toml", "schedule", "cron")
    assert_one_line_error(cli("campaign", "status", "nope"), "no campaign store")
    write_campaign(tmp_path, model_file)
    assert cli("campaign", "create", "campaign.toml").code == 0
    assert_one_line_error(cli("campaign", "create", "campaign.toml"), "exists")
    assert_one_line_error(cli("campaign", "status", "nope"), "no such campaign")
    assert_one_line_error(cli("campaign", "tell", "c1", "missing.csv"), "missing.csv")
    pd.DataFrame({"proposal_id": [1]}).to_csv("short.csv", index=False)
    assert_one_line_error(cli("campaign", "tell", "c1", "short.csv"), "short.csv",
                          "missing column")
    store = Store(tmp_path / "electroforge-workspace")
    with store.lock("c1"):
        assert_one_line_error(cli("campaign", "run", "c1"), "another process")
    lab = tmp_path / "lab.toml"
    lab.write_text('name = "lab"\nbudget = 4\n[space]\nfix = { c_rate = 1.0 }\n[evaluator]\n'
                   f'kind = "lab"\nmodel = "{model_file}"\n')
    assert cli("campaign", "create", "lab.toml").code == 0
    assert_one_line_error(cli("campaign", "run", "lab"), "ask and tell")


def test_verify_prints_predicted_beside_measured(cli, tmp_path, model_file):
    (tmp_path / "campaign.toml").write_text(
        'name = "v"\nbudget = 3\nseed = 2\n[evaluator]\n'
        f'model = "{model_file}"\ngrid = 48\nverify_seeds = 0\n')
    assert cli("campaign", "create", "campaign.toml").code == 0
    assert_one_line_error(cli("campaign", "verify", "v"), "nothing measured")
    assert cli("campaign", "run", "v").code == 0
    result = cli("campaign", "verify", "v", "--seeds", "2")
    assert result.code == 0, result.err
    assert "verification of 'v'" in result.out and "2 particle seeds" in result.out
    assert "| cost |" in result.out and "| porosity | - |" in result.out
    assert "verifying the recommended recipe" in result.err
    assert_one_line_error(cli("campaign", "verify", "v", "--seeds", "0"), "--seeds")


def test_a_lab_campaign_is_verified_by_the_labs_replicates(cli, tmp_path, model_file):
    (tmp_path / "lab.toml").write_text(
        'name = "lab"\nbudget = 2\n[space]\nfix = { c_rate = 1.0 }\n[evaluator]\n'
        f'kind = "lab"\nmodel = "{model_file}"\n'
        '[objective]\ntargets = [{ name = "density_g_cm3", direction = "max" }]\n')
    assert cli("campaign", "create", "lab.toml").code == 0
    assert cli("campaign", "ask", "lab", "--n", "2", "--out", "sheet.csv").code == 0
    sheet = pd.read_csv(tmp_path / "sheet.csv")
    sheet["density_g_cm3"] = [2.9, 3.1]
    sheet.to_csv(tmp_path / "results.csv", index=False)
    assert cli("campaign", "tell", "lab", "results.csv").code == 0
    assert_one_line_error(cli("campaign", "verify", "lab"), "--results replicates.csv")
    campaign = Campaign(Store(tmp_path / "electroforge-workspace"), "lab")
    best = campaign.best()
    once = best["properties"]["density_g_cm3"]
    recipe = pd.Series(best["recipe"])
    replicates = pd.DataFrame([{"am_wt_pct": recipe.am_wt_pct + 0.001,      # lab's rounding
                                "sc_wt_pct": recipe.sc_wt_pct, "cr_pct": recipe.cr_pct,
                                "density_g_cm3": d, "density_g_cm3_sd": 0.02}
                               for d in (3.0, 3.04, 2.96)])
    replicates.to_csv(tmp_path / "replicates.csv", index=False)
    # another recipe, or a property out of its physical range, is refused; nothing recorded
    replicates.assign(cr_pct=recipe.cr_pct + 5).to_csv(tmp_path / "other.csv", index=False)
    assert_one_line_error(cli("campaign", "verify", "lab", "--results", "other.csv"),
                          "other.csv", "row 1", "not the recommended recipe")
    replicates.assign(density_g_cm3=-1.0).to_csv(tmp_path / "bad.csv", index=False)
    assert_one_line_error(cli("campaign", "verify", "lab", "--results", "bad.csv"),
                          "bad.csv", "density_g_cm3", "not a physical value")
    result = cli("campaign", "verify", "lab", "--results", "replicates.csv")
    assert result.code == 0, result.err
    assert "Verified in the lab, 3 replicates (replicates.csv)" in result.out
    assert f"| density_g_cm3 | {once:.4g} | 3 | 0.04 |" in result.out
    assert len(campaign.verifications()) == 1
    assert "Verified in the lab" in Path(campaign.recommend()["path"]).read_text()


def test_a_closed_loop_from_the_command_line(cli, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "campaigns"))
    import planted_loop

    planted_loop.write_start_data(tmp_path / "start.csv")
    (tmp_path / "loop.toml").write_text(
        'name = "lab-loop"\nbudget = 4\nbatch_size = 2\n[space]\n'
        'fix = { am_wt_pct = 95.0, sc_wt_pct = 65.0, c_rate = 1.0 }\n[objective]\n'
        'targets = [{ name = "density_g_cm3", direction = "max", low = 2.0, high = 3.0 }]\n'
        '[evaluator]\nkind = "lab"\n[loop]\ndata = "start.csv"\nmax_terms = 2\n'
        'surrogate_calls = 12\n')
    result = cli("campaign", "create", "loop.toml")
    assert result.code == 0, result.err
    assert "closed loop from " in result.out and "2-term equations" in result.out
    assert cli("campaign", "ask", "lab-loop", "--n", "2", "--out", "sheet.csv").code == 0
    sheet = pd.read_csv(tmp_path / "sheet.csv")
    # round 1 is the open loop: the fitted line rises to the trust region's edge, cr 23 %
    assert sheet["cr_pct"].max() == pytest.approx(23.0, abs=0.05)
    status = cli("campaign", "status", "lab-loop")
    assert "closed loop: 0 rounds measured" in status.out
    assert "round   1: fitted on 16 recipes; cost predicted->measured 0.0064->?" in status.out
