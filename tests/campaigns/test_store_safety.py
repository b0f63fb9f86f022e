"""The store under bad conditions: killed runs, broken campaigns among good ones, paths
that must not depend on the working directory, integrity checks."""

import json
import os

import pandas as pd

from electroforge.campaigns.campaign import Campaign
from electroforge.campaigns.definition import CampaignDefinition
from electroforge.campaigns.schedule import run_due
from electroforge.campaigns.store import Store, check_integrity


def _definition(model_file, **extra):
    return CampaignDefinition(**{"name": "c1", "budget": 6, "batch_size": 2, "seed": 1,
                                 "model": str(model_file), "verify_seeds": 0, **extra})


def test_a_killed_run_is_marked_interrupted_when_the_next_process_takes_the_lock(
        tmp_path, model_file):
    store = Store(tmp_path)
    campaign = Campaign.create(store, _definition(model_file))
    run_id = campaign._start_run("manual", None)         # a run whose process was killed
    assert store.rows("runs", "c1")[-1]["status"] == "running"
    Campaign(Store(tmp_path), "c1").ask(1)
    row = Store(tmp_path).rows("runs", "c1")[-1]
    assert row["id"] == run_id and row["status"] == "interrupted" and row["finished_at"]


def test_one_broken_campaign_does_not_stop_run_due(tmp_path, model_file):
    store = Store(tmp_path)
    for name in ("a-broken", "b-good"):
        Campaign.create(store, _definition(model_file, name=name, schedule="* * * * *",
                                           iterations=1))
    store.db.execute("UPDATE campaigns SET created_at = '2020-01-01T00:00:00+00:00'")
    # a schedule written by an older version that no longer parses
    definition = store.definition("a-broken") | {"schedule": "0 0 * * 1 2020 7"}
    store.db.execute("UPDATE campaigns SET definition = ? WHERE name = 'a-broken'",
                     (json.dumps(definition),))
    said, failed = [], []
    assert run_due(store, say=said.append, failed=failed) == ["b-good"]
    assert failed == ["a-broken"]
    assert any(line.startswith("a-broken: failed") for line in said)
    assert Campaign(store, "b-good").n_measured == 2


def test_run_due_exits_2_naming_the_broken_campaign(cli, tmp_path, model_file):
    store = Store(tmp_path / "electroforge-workspace")
    Campaign.create(store, _definition(model_file, name="good", schedule="* * * * *",
                                       iterations=1))
    model_copy = tmp_path / "gone.json"
    model_copy.write_bytes(model_file.read_bytes())
    Campaign.create(store, _definition(model_copy, name="gone", schedule="* * * * *",
                                       iterations=1))
    store.db.execute("UPDATE campaigns SET created_at = '2020-01-01T00:00:00+00:00'")
    model_copy.unlink()
    result = cli("campaign", "run-due")
    assert result.code == 2 and "Traceback" not in result.err
    line = result.err.strip().splitlines()[-1]       # after the good campaign's progress
    assert line.startswith("electroforge: error:") and "gone" in line and "good" not in line
    assert "good: ran for" in result.out and "gone: failed" in result.out
    assert "gone.json" in result.out


def test_the_model_path_is_stored_relative_to_the_workspace(tmp_path, model_file,
                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "model.json").write_bytes(model_file.read_bytes())
    Campaign.create(Store("ws"), _definition("ws/model.json"))
    stored = Store("ws").definition("c1")["model"]
    assert stored == "model.json"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    campaign = Campaign(Store(tmp_path / "ws"), "c1")
    assert campaign.definition.model == str((tmp_path / "ws" / "model.json").resolve())
    # a model outside the workspace is stored absolute
    Campaign.create(Store(tmp_path / "ws"), _definition(model_file, name="c2"))
    assert os.path.isabs(Store(tmp_path / "ws").definition("c2")["model"])


def test_status_check_reports_an_intact_store(cli, tmp_path, model_file):
    Campaign.create(Store(tmp_path / "electroforge-workspace"), _definition(model_file))
    result = cli("campaign", "status", "--check")
    assert result.code == 0 and "integrity check ok" in result.out
    result = cli("campaign", "status", "c1", "--check")
    assert result.code == 0 and "0/6 measured" in result.out
    assert check_integrity(tmp_path / "electroforge-workspace")[1] == []


def test_ask_records_nothing_when_the_sheet_cannot_be_written(tmp_path, model_file):
    store = Store(tmp_path)
    campaign = Campaign.create(store, _definition(model_file))

    def failing_sheet(frame: pd.DataFrame) -> None:
        assert len(frame) == 2 and list(frame["proposal_id"]) == [1, 2]
        raise OSError(28, "No space left on device", "sheet.csv")

    try:
        campaign.ask(2, sheet=failing_sheet)
    except OSError:
        pass
    assert campaign.proposals().empty
    again = Campaign(Store(tmp_path), "c1").ask(2)
    assert again["proposal_id"].tolist() == [1, 2]
    # the optimizer's state did not move either: the same recipes as a fresh campaign's
    fresh = Campaign.create(Store(tmp_path / "fresh"), _definition(model_file)).ask(2)
    names = ["am_wt_pct", "sc_wt_pct", "cr_pct"]
    pd.testing.assert_frame_equal(again[names], fresh[names])


def test_an_external_recipe_near_a_pending_proposal_is_recorded_with_a_warning(tmp_path,
                                                                                model_file):
    import pytest

    from electroforge.errors import ElectroforgeWarning

    from electroforge import default_space

    campaign = Campaign.create(Store(tmp_path), _definition(
        model_file, evaluator="lab", space=default_space().fix({"c_rate": 1.0})))
    asked = campaign.ask(2)
    sheet = asked[["am_wt_pct", "sc_wt_pct", "cr_pct"]].round(1).assign(
        tortuosity_factor=2.0, density_g_cm3=2.5, conductivity_s_m=10.0,
        active_surface_pct=40.0)
    with pytest.warns(ElectroforgeWarning, match="row 1: .*pending proposal 1"):
        assert campaign.tell(sheet.iloc[[0]], source="lab.csv", external=True) == 1
    assert campaign.proposals("pending")["proposal_id"].tolist() == [1, 2]


def test_status_and_export_read_an_archived_read_only_store(cli, tmp_path, model_file):
    workspace = tmp_path / "electroforge-workspace"
    campaign = Campaign.create(Store(workspace), _definition(model_file))
    campaign.run(1, progress=lambda text: None)
    Store(workspace).db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.chmod(workspace / "electroforge.db", 0o444)
    os.chmod(workspace, 0o555)
    try:
        before = (workspace / "electroforge.db").read_bytes()
        result = cli("campaign", "status", "c1")
        assert result.code == 0 and "2/6 measured" in result.out, result.err
        assert cli("campaign", "export", "c1", "--out", "c1.csv").code == 0
        assert len(pd.read_csv(tmp_path / "c1.csv")) == 4          # 2 proposals, 2 measured
        assert "read-only" in cli("campaign", "ask", "c1").err      # writing is refused
        assert (workspace / "electroforge.db").read_bytes() == before
    finally:
        os.chmod(workspace, 0o755)
