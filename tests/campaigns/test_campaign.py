import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from electroforge import default_space
from electroforge.campaigns.campaign import Campaign
from electroforge.campaigns.definition import CampaignDefinition
from electroforge.campaigns.schedule import due_campaigns, run_due
from electroforge.campaigns.store import MIGRATIONS, CampaignLockedError, Store
from electroforge.errors import InputError
from electroforge.surrogates import SymbolicSurrogate

PROPERTIES = ["tortuosity_factor", "conductivity_s_m", "active_surface_pct", "density_g_cm3"]


def definition(model_file, **changes):
    values = {"name": "c1", "budget": 10, "batch_size": 2, "evaluator": "surrogate",
              "model": str(model_file), "seed": 4, "verify_seeds": 0} | changes
    return CampaignDefinition(**values)


def test_run_records_everything_and_recommends(tmp_path, model_file):
    store = Store(tmp_path)
    campaign = Campaign.create(store, definition(model_file))
    recommendation = campaign.run(3, progress=lambda _: None)
    assert campaign.n_measured == 6 and len(campaign.proposals("pending")) == 0
    assert recommendation["n_measured"] == 6 and os.path.exists(recommendation["path"])
    best = campaign.best()
    measured = campaign.measurements()
    assert best["cost"] == measured["cost"].min()
    # each told row's cost is Eq. 3 of its properties: linear properties of the box
    row = measured.iloc[0]
    u, v = (row.am_wt_pct - 85) / 12, row.cr_pct / 50
    assert row.cost == pytest.approx(((v) ** 2 + (1 - v) ** 2 + u**2 + (1 - u) ** 2) / 4)
    versions = {r[0] for r in store.db.execute("SELECT version FROM measurements")}
    assert versions == {__import__("electroforge").__version__}
    assert campaign.status()["measured"] == 6
    with pytest.raises(InputError, match="exists"):
        Campaign.create(store, definition(model_file))


def test_the_budget_ends_with_a_greedy_recipe(tmp_path, model_file):
    campaign = Campaign.create(Store(tmp_path), definition(model_file))
    campaign.run(progress=lambda _: None)              # to the budget, batches of 2
    optimizer = campaign.optimizer()
    assert campaign.n_measured == 10 and optimizer.n_initial % 2 == 0
    # Sobol' start, then hedge decisions, but the budget's very last recipe is greedy
    assert len(optimizer.steps) == 10 - optimizer.n_initial - 1


def test_an_interrupted_run_continues_as_if_never_stopped(tmp_path, model_file):
    straight = Campaign.create(Store(tmp_path / "a"), definition(model_file))
    straight.run(3, progress=lambda _: None)
    interrupted = Campaign.create(Store(tmp_path / "b"), definition(model_file))
    interrupted.ask(2)                               # ... and the process dies here
    resumed = Campaign(Store(tmp_path / "b"), "c1")
    resumed.run(2, progress=lambda _: None)          # evaluates the pending pair first
    columns = ["am_wt_pct", "sc_wt_pct", "cr_pct", "cost"]
    pd.testing.assert_frame_equal(resumed.measurements()[columns],
                                  straight.measurements()[columns])


def told(campaign, proposals, **changes):
    table = proposals[["proposal_id", *campaign.problem.names]].copy()
    table["tortuosity_factor"] = 2.0
    table["conductivity_s_m"] = 10.0
    table["active_surface_pct"] = 40.0
    table["density_g_cm3"] = 2.5
    for column, values in changes.items():       # None keeps the proposal's value
        table[column] = [old if new is None else new for old, new in zip(table[column], values)]
    return table


@pytest.mark.parametrize(
    ("change", "fragment"),
    [({"density_g_cm3": [2.5, float("nan")]}, "row 2: field 'density_g_cm3'.*finite"),
     ({"proposal_id": [1, 1]}, "appears twice"),
     ({"proposal_id": [1, 99]}, "no pending proposal has this id"),
     ({"cr_pct": [None, 80.0]}, "row 2: field 'cr_pct'.*outside"),
     ({"am_wt_pct": [90.0, 90.0], "proposal_id": [float("nan")] * 2}, "not a pending proposal")],
)
def test_bad_results_record_nothing(tmp_path, model_file, change, fragment):
    campaign = Campaign.create(Store(tmp_path), definition(model_file))
    proposals = campaign.ask(2)
    with pytest.raises(InputError, match=fragment):
        campaign.tell(told(campaign, proposals, **change), source="results.csv")
    assert campaign.n_measured == 0 and len(campaign.proposals("pending")) == 2
    assert campaign.optimizer().y == []


def test_lab_results_by_id_or_values_and_external_recipes(tmp_path, model_file):
    campaign = Campaign.create(Store(tmp_path), definition(model_file))
    proposals = campaign.ask(2)
    by_values = told(campaign, proposals).drop(columns="proposal_id").round(9)
    assert campaign.tell(by_values) == 2
    assert (campaign.proposals()["status"] == "told").all()
    outside = pd.DataFrame({"am_wt_pct": [90.0], "sc_wt_pct": [60.0], "cr_pct": [20.0],
                            **{p: [v] for p, v in zip(PROPERTIES, [2.0, 10.0, 40.0, 2.5])}})
    assert campaign.tell(outside, external=True) == 1
    assert list(campaign.measurements()["source"]) == ["lab", "lab", "external"]
    assert len(campaign.optimizer().y) == 3
    with pytest.raises(InputError, match="budget"):
        campaign.ask(8)


def test_two_processes_cannot_advance_one_campaign(tmp_path, model_file):
    store = Store(tmp_path)
    Campaign.create(store, definition(model_file))
    with store.lock("c1"):
        other = Campaign(Store(tmp_path), "c1")
        with pytest.raises(CampaignLockedError, match="pid .*another process"):
            other.run(1, progress=lambda _: None)
        with pytest.raises(CampaignLockedError):
            other.ask(1)
    assert other.n_measured == 0


def test_kill_in_the_middle_of_run_loses_nothing(tmp_path, model_file):
    Campaign.create(Store(tmp_path), definition(model_file, budget=40, batch_size=1))
    process = subprocess.Popen([sys.executable, "-m", "electroforge.cli", "campaign", "run",
                                "c1", "--workspace", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = sqlite3.connect(tmp_path / "electroforge.db")
    while db.execute("SELECT COUNT(*) FROM measurements").fetchone()[0] < 8:
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    campaign = Campaign(Store(tmp_path), "c1")
    before = campaign.measurements()
    assert len(before) >= 8 and len(campaign.optimizer().y) == len(before)
    campaign.run(2, progress=lambda _: None)          # the lock died with the process
    after = campaign.measurements()
    pd.testing.assert_frame_equal(after.iloc[:len(before)], before)
    assert len(campaign.proposals("pending")) == 0


def test_run_due_runs_each_fire_time_once(tmp_path, model_file):
    store = Store(tmp_path)
    Campaign.create(store, definition(model_file, schedule="0 6 * * *", iterations=1))
    Campaign.create(store, definition(model_file, name="lab", evaluator="lab",
                                      schedule="0 6 * * *",
                                      space=default_space().fix({"c_rate": 1.0})))
    created = dt.datetime.fromisoformat(store.campaign_row("c1")["created_at"])
    assert due_campaigns(store, created) == []
    later = created + dt.timedelta(days=1, hours=1)
    said = []
    assert run_due(store, now=later, say=said.append) == ["c1", "lab"]
    assert run_due(store, now=later, say=said.append) == []
    assert Campaign(store, "c1").n_measured == 2
    assert "nothing measured yet" in said[1]
    runs = store.db.execute("SELECT campaign, kind, status FROM runs").fetchall()
    assert [tuple(r) for r in runs] == [("c1", "scheduled", "done"), ("lab", "scheduled", "done")]


def test_store_schema_is_versioned(tmp_path):
    store = Store(tmp_path)
    assert store.schema_version == len(MIGRATIONS) == 3
    store.db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    store.close()
    with pytest.raises(InputError, match="newer electroforge"):
        Store(tmp_path)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("budget = 5", "field 'name'.*missing"),
     ("name = 'a b'\nbudget = 5", "field 'name'"),
     ("name = 'a'\nbudget = 0", "field 'budget'"),
     ("name = 'a'\nbudget = 5\nschedule = 'every day'", "cron"),
     ("name = 'a'\nbudget = 5\n[evaluator]\nkind = 'robot'", "evaluator.kind"),
     ("name = 'a'\nbudget = 5\n[evaluator]\nkind = 'surrogate'", "evaluator.model"),
     ("name = 'a'\nbudget = 5\n[evaluator]\nmodel = 'none.json'", "does not exist"),
     ("name = 'a'\nbudget = 5\ncolour = 1", "field 'colour'"),
     ("name = 'a'\nbudget = 5\n[optimizer]\neta = -1", "eta"),
     ("name = 'a'\nbudget = 5\n[optimizer]\nkernel = 'linear'", "optimizer.kernel"),
     ("name = 'a'\nbudget = 5\n[space]\nfix = { cr_pct = 99 }", "cr_pct"),
     ("name = 'a'\nbudget = 5\n[space]\nconstraints = ['am_wt_pct * cr_pct <= 9']",
      "not linear"),
     ("name = 'a'\nbudget = 5\n[space]\nconstraints = 'am_wt_pct <= 9'",
      "list of strings")],
)
def test_bad_definitions_name_the_file_and_field(tmp_path, text, fragment):
    path = tmp_path / "campaign.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment) as info:
        CampaignDefinition.load(path)
    assert str(path) in str(info.value)


def test_definition_file_round_trip(tmp_path, model_file):
    (tmp_path / "objective.toml").write_text(
        '[[targets]]\nname = "density_g_cm3"\ndirection = "max"\n')
    (tmp_path / "campaign.toml").write_text(
        f'name = "x"\nbudget = 8\nschedule = "0 6 * * 1"\n[objective]\nfile = "objective.toml"\n'
        f'[evaluator]\nmodel = "{model_file}"\n[space]\nbounds = {{ cr_pct = [10.0, 40.0] }}\n'
        '[optimizer]\nkernel = "auto"\n')
    loaded = CampaignDefinition.load(tmp_path / "campaign.toml")
    assert loaded.space["cr_pct"].high == 40.0 and loaded.objective.targets[0].name == "density_g_cm3"
    assert loaded.optimizer.kernel == "auto"
    assert CampaignDefinition.from_dict(json.loads(json.dumps(loaded.to_dict()))) == loaded


def test_a_neural_campaign_keeps_the_shipped_model_it_started_with(tmp_path, monkeypatch):
    from electroforge.campaigns.loop import file_sha256
    from electroforge.surrogates.fields import calendering

    toml = ('name = "old"\nbudget = 2\n[space]\nfix = { c_rate = 1.0 }\n[objective]\n'
            '[[objective.targets]]\nname = "porosity"\ndirection = "min"\nlow = 0.2\n'
            'high = 0.6\n[evaluator]\nkind = "line"\ncalendering = "neural"\n')
    (tmp_path / "campaign.toml").write_text(toml)
    direct, shipped = calendering.shipped_model_path("direct"), calendering.shipped_model_path
    with monkeypatch.context() as earlier:       # an electroforge that shipped the direct one
        earlier.setattr(calendering, "shipped_model_path", lambda task="direct": shipped(task))
        Campaign.create(Store(tmp_path / "ws"), CampaignDefinition.load(tmp_path / "campaign.toml"))
    old = Campaign(Store(tmp_path / "ws"), "old")                 # opens under today's default
    assert old.definition.calendering_model_sha256 == file_sha256(direct)
    assert old.evaluator.calendering_model == str(direct)
    (tmp_path / "new.toml").write_text(toml.replace('"old"', '"new"'))
    new = Campaign.create(Store(tmp_path / "ws"), CampaignDefinition.load(tmp_path / "new.toml"))
    assert new.evaluator.calendering_model == str(shipped()) != str(direct)
    assert new.definition.calendering_model_sha256 == file_sha256(shipped())
    assert new.calendering_model_path() == str(shipped())
    from dataclasses import replace

    # one pinned to a retired default (the first next model) keeps it
    retired = calendering.shipped_model_files()[-1]
    assert retired.name == "calendering.next.v1.safetensors" and retired.is_file()
    first = replace(CampaignDefinition.load(tmp_path / "new.toml"), name="first",
                    calendering_model_sha256=file_sha256(retired))
    assert Campaign.create(Store(tmp_path / "ws"), first).calendering_model_path() == str(retired)
    assert Campaign(Store(tmp_path / "ws"), "first").evaluator.calendering_model == str(retired)
    # a pin that no shipped model matches (a model of a later electroforge) is refused
    gone = replace(CampaignDefinition.load(tmp_path / "new.toml"), name="gone",
                   calendering_model_sha256="0" * 64)
    with pytest.raises(InputError, match="no model shipped with this electroforge is.*"
                                         "sha256 000000000000"):
        Campaign.create(Store(tmp_path / "ws"), gone)
        Campaign(Store(tmp_path / "ws"), "gone")


def test_a_line_campaign_takes_the_neural_calendering(tmp_path, monkeypatch):
    from electroforge.campaigns import evaluators
    from electroforge.surrogates.fields.calendering import shipped_model_path

    (tmp_path / "campaign.toml").write_text(
        'name = "n"\nbudget = 2\n[space]\nfix = { c_rate = 1.0 }\n[objective]\n'
        '[[objective.targets]]\nname = "porosity"\ndirection = "min"\nlow = 0.2\nhigh = 0.6\n'
        '[evaluator]\n'
        'kind = "line"\ncalendering = "neural"\n'
        f'calendering_model = "{shipped_model_path()}"\n')
    loaded = CampaignDefinition.load(tmp_path / "campaign.toml")
    assert (loaded.calendering, loaded.calendering_model) == ("neural", str(shipped_model_path()))
    assert CampaignDefinition.from_dict(json.loads(json.dumps(loaded.to_dict()))) == loaded
    seen = {}
    monkeypatch.setattr("electroforge.line.run", lambda recipes, **kw: seen.update(kw) or
                        recipes.assign(porosity=0.3, error=""))
    campaign = Campaign.create(Store(tmp_path / "ws"), loaded)
    assert isinstance(campaign.evaluator, evaluators.LineEvaluator)
    campaign.evaluator.evaluate(pd.DataFrame({"proposal_id": [0], "am_wt_pct": [90.0],
                                              "sc_wt_pct": [60.0], "cr_pct": [30.0]}))
    assert seen["calendering"] == "neural"
    assert seen["calendering_model"] == str(shipped_model_path())
    # the model is pinned: a campaign whose model file was replaced refuses to open
    import shutil

    from electroforge.campaigns.loop import file_sha256

    shutil.copyfile(shipped_model_path(), tmp_path / "mine.safetensors")
    (tmp_path / "mine.toml").write_text(
        (tmp_path / "campaign.toml").read_text().replace('name = "n"', 'name = "m"').replace(
            str(shipped_model_path()), "mine.safetensors"))
    mine = Campaign.create(Store(tmp_path / "ws"), CampaignDefinition.load(tmp_path / "mine.toml"))
    assert mine.definition.calendering_model_sha256 == file_sha256(shipped_model_path())
    Campaign(Store(tmp_path / "ws"), "m")                      # the same file opens
    (tmp_path / "mine.safetensors").write_bytes(b"another model")
    with pytest.raises(InputError, match="not the file the campaign started with"):
        Campaign(Store(tmp_path / "ws"), "m")
    Campaign(Store(tmp_path / "ws"), "n")                       # the other is untouched
    for text, fragment in (('kind = "line"\ncalendering = "fem"', "unknown calendering"),
                           ('kind = "lab"\ncalendering = "neural"', "the virtual line's"),
                           ('kind = "line"\ncalendering_model = "none.safetensors"',
                            "calendering = ")):
        (tmp_path / "bad.toml").write_text(f'name = "b"\nbudget = 2\n[evaluator]\n{text}\n')
        with pytest.raises(InputError, match=fragment):
            CampaignDefinition.load(tmp_path / "bad.toml")


def test_proposals_meet_the_space_constraints(tmp_path, model_file):
    campaign = Campaign.create(Store(tmp_path), definition(
        model_file, budget=12, constraints=("am_wt_pct + 0.5 * cr_pct <= 100",)))
    campaign.run(progress=lambda _: None)
    made = campaign.measurements()
    assert len(made) == 12 and (made.am_wt_pct + 0.5 * made.cr_pct <= 100 + 1e-4).all()
    assert Campaign(Store(tmp_path), "c1").definition.constraints == (
        "am_wt_pct + 0.5 * cr_pct <= 100",)


def test_a_line_campaign_runs_the_virtual_line(tmp_path, model_file):
    campaign = Campaign.create(Store(tmp_path), definition(
        model_file, name="line", evaluator="line", grid=48, budget=2, batch_size=1,
        space=default_space().fix({"c_rate": 1.0})))
    campaign.run(progress=lambda _: None)
    made = campaign.measurements()
    assert len(made) == 2 and set(made["source"]) == {"line"}
    assert made["porosity"].between(0.05, 0.8).all()       # the line's own outputs kept
    assert made["cost"].notna().all()
    # each evaluation drew its own particles, recorded beside it and reproducible
    from electroforge.campaigns.evaluators import EVALUATION_STREAM, particle_seed

    expected = [particle_seed(4, EVALUATION_STREAM, int(i)) for i in made["proposal_id"]]
    assert made["particle_seed"].astype(int).tolist() == expected
    assert made["particle_seed"].nunique() == 2


def test_the_recommendation_is_verified_on_the_line_with_seeds_of_its_own(tmp_path, model_file):
    campaign = Campaign.create(Store(tmp_path), definition(
        model_file, budget=4, grid=48, verify_seeds=3))
    lines = []
    recommendation = campaign.run(progress=lines.append)
    verification = recommendation["verification"]
    best = campaign.best()
    assert verification["measurement_id"] == best["measurement_id"]
    assert verification["predicted"] == {c: best["properties"][c]
                                         for c in verification["predicted"]}
    assert set(verification["predicted"]) >= set(campaign.problem.objective.columns)
    # three independent electrodes: distinct seeds, none an evaluation's, distinct results
    from electroforge.campaigns.evaluators import VERIFICATION_STREAM, particle_seed

    assert verification["seeds"] == [particle_seed(4, VERIFICATION_STREAM,
                                                   best["measurement_id"], k) for k in range(3)]
    assert len(set(verification["measured"]["porosity"])) == 3
    # the measured cost is the objective of the measured properties, replicate by replicate
    measured = pd.DataFrame(verification["measured"]).assign(**best["recipe"])
    costs, _ = campaign.problem.cost_of_table(measured)
    assert costs.tolist() == pytest.approx(verification["measured_cost"])
    assert any("measured" in line and "+-" in line for line in lines)
    # recorded once: asking again returns it without running the line
    again = Campaign(Store(tmp_path), "c1")
    assert again.verify(3) == verification and len(again.verifications()) == 1
    markdown = (Path(recommendation["path"])).read_text()
    assert "Verified on the virtual line with 3 particle seeds" in markdown


def test_verification_input_is_checked(tmp_path, model_file):
    with pytest.raises(InputError, match="verify_seeds"):
        definition(model_file, verify_seeds=-1)
    with pytest.raises(InputError, match="evaluator.grid.*too coarse"):   # before any record
        Campaign.create(Store(tmp_path / "grid"), definition(model_file, grid=24,
                                                             verify_seeds=3))
    with pytest.raises(InputError, match="lab campaign is not verified"):
        definition(model_file, evaluator="lab", verify_seeds=3)
    assert definition(model_file, evaluator="lab", verify_seeds=None).verification_seeds == 0
    assert definition(model_file, verify_seeds=None).verification_seeds == 3
    campaign = Campaign.create(Store(tmp_path), definition(model_file, budget=2))
    with pytest.raises(InputError, match="nothing measured"):
        campaign.verify(3)
    campaign.run(progress=lambda _: None)
    with pytest.raises(InputError, match="seeds"):
        campaign.verify(0)


@pytest.fixture(scope="module")
def narrow_model_file(tmp_path_factory):
    """A surrogate fitted on CR 10-30 % only, whose density rises with CR: its optimum
    for density is at the edge of whatever box the search is allowed."""
    from electroforge import design
    from electroforge.surrogates import SymbolicSurrogate

    space = default_space().fix({"c_rate": 1.0}).with_bounds({"cr_pct": (10.0, 30.0)})
    X = design.lhs(space, 30, seed=1)[["am_wt_pct", "sc_wt_pct", "cr_pct"]]
    Y = pd.DataFrame({"density_g_cm3": 2 + X.cr_pct / 50})
    path = tmp_path_factory.mktemp("narrow") / "model.json"
    SymbolicSurrogate(max_terms=1).fit(X, Y).save(path)
    return path


def test_the_trust_region_keeps_proposals_inside_the_data(tmp_path, narrow_model_file):
    from electroforge.objectives.spec import ObjectiveSpec

    # scaled over what the space could give (2 to 3 g/cm3), not the data's 2.2-2.6
    density = ObjectiveSpec.from_dict({"targets": [{"name": "density_g_cm3",
                                                    "direction": "max", "low": 2.0,
                                                    "high": 3.0}]})
    common = dict(budget=12, batch_size=4, objective=density,
                  space=default_space().fix({"c_rate": 1.0}))
    store = Store(tmp_path)
    data_cr = SymbolicSurrogate.load(narrow_model_file).training_inputs_[:, 2]
    low, high = data_cr.min(), data_cr.max()
    tight = Campaign.create(store, definition(narrow_model_file, name="tight",
                                              trust_margin=0.0, **common))
    tight.run(progress=lambda _: None)
    made = tight.measurements()
    assert made.cr_pct.between(low - 1e-9, high + 1e-9).all()
    recommendation = tight.recommend()
    assert recommendation["domain"]["outside"] == []
    # the default margin: 10 % of the CR range (5 points of CR) around the data
    default = Campaign.create(store, definition(narrow_model_file, name="default", **common))
    default.run(progress=lambda _: None)
    assert default.measurements().cr_pct.max() <= high + 5.0 + 1e-9
    # the whole space: the optimum runs to CR 50 %, and the recommendation says it is an
    # extrapolation, naming the parameter and the data's range
    free = Campaign.create(store, definition(narrow_model_file, name="free", trust_margin=None,
                                             **common))
    recommendation = free.run(progress=lambda _: None)
    assert recommendation["recipe"]["cr_pct"] > high + 10
    outside = {o["name"]: o for o in recommendation["domain"]["outside"]}
    assert outside["cr_pct"]["high"] == pytest.approx(high)
    text = Path(recommendation["path"]).read_text()
    assert "OUTSIDE the data: " in text and "cr_pct 50 beyond the data" in text
    # a stored campaign reloads with its trust region (the box check passes)
    assert Campaign(Store(tmp_path), "tight").optimizer().box[1][2] == pytest.approx(high)


def test_stores_and_definitions_from_before_verification_still_read(tmp_path, model_file):
    from electroforge import Space

    store = Store(tmp_path)
    Campaign.create(store, definition(model_file, budget=2)).run(progress=lambda _: None)
    # a version-1 store (no verifications table) opens read-only, as an archive would
    store.db.execute("DROP TABLE verifications")
    store.db.execute("DROP TABLE rounds")
    store.db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    store.close()
    archived = Campaign(Store(tmp_path, read_only=True), "c1")
    assert archived.verifications() == [] and archived.best() is not None
    assert archived.rounds() == []
    # a definition stored before verify_seeds and trust_margin: no verification, whole space
    stored = definition(model_file).to_dict()
    del stored["verify_seeds"], stored["trust_margin"]
    old = CampaignDefinition.from_dict(stored)
    assert old.verification_seeds == 0 and old.trust_margin is None
    # a space the line cannot make is not verified by default, and refused if asked
    other = Space.from_bounds({"x": (0.0, 1.0)})
    assert definition(model_file, space=other, verify_seeds=None).verification_seeds == 0
    with pytest.raises(InputError, match="cannot make this space"):
        definition(model_file, space=other, verify_seeds=3)


def test_a_trust_region_with_no_room_is_refused_before_any_record(tmp_path, narrow_model_file):
    space = default_space().fix({"c_rate": 1.0}).with_bounds({"cr_pct": (40.0, 50.0)})
    from electroforge.objectives.spec import ObjectiveSpec

    density = ObjectiveSpec.from_dict({"targets": [{"name": "density_g_cm3",
                                                    "direction": "max"}]})
    with pytest.raises(InputError, match="trust region.*no room.*cr_pct"):
        Campaign.create(Store(tmp_path), definition(narrow_model_file, space=space,
                                                    trust_margin=0.0, objective=density))
    assert Store(tmp_path).campaign_names() == []


def test_the_stopping_rule_stops_runs_and_schedules(tmp_path, model_file):
    # a threshold above any improvement the cost (in [0, 1]) could still make: the rule
    # fires after the first stop_decisions decisions
    store = Store(tmp_path)
    campaign = Campaign.create(store, definition(
        model_file, budget=20, batch_size=1, schedule="0 6 * * *",
        optimizer={"stop_improvement": 5.0, "stop_decisions": 2, "n_initial": 4}))
    said = []
    campaign.run(progress=said.append)
    assert campaign.n_measured == 4 + 2                 # the Sobol' start, two decisions
    assert any("the campaign stops: expected improvement below 5" in s for s in said)
    stopping = campaign.status()["stopping"]
    assert stopping["threshold"] == 5.0 and stopping["stopped"] is not None
    created = dt.datetime.fromisoformat(store.campaign_row("c1")["created_at"])
    later = created + dt.timedelta(days=1, hours=1)
    assert run_due(store, now=later, say=said.append) == ["c1"]
    assert campaign.n_measured == 6                     # the schedule evaluated nothing
    assert "c1: stopped for" in said[-1]
    last = store.db.execute("SELECT kind, status FROM runs ORDER BY id DESC").fetchone()
    assert tuple(last) == ("scheduled", "stopped")
    assert run_due(store, now=later, say=said.append) == []     # that fire time is done


def test_a_labs_standard_deviations_become_the_costs_noise_variances(tmp_path, model_file):
    campaign = Campaign.create(Store(tmp_path), definition(
        model_file, evaluator="lab", budget=12, space=default_space().fix({"c_rate": 1.0})))
    table = told(campaign, campaign.ask(4))
    table["density_g_cm3"] = [2.2, 2.3, 2.9, 2.4]
    bad = table.assign(density_g_cm3_sd=[0.05, -0.1, None, 0.02])
    with pytest.raises(InputError, match="row 2.*density_g_cm3_sd.*-0.1.*> 0"):
        campaign.tell(bad, source="sheet.csv")
    assert campaign.measurements().empty                 # nothing recorded
    campaign.tell(table.assign(density_g_cm3_sd=[0.05, 0.1, None, "0.02"]))
    told_variances = campaign.optimizer().variances
    assert told_variances[2] is None                     # blank: unknown
    # the delta method: (dC/d density)^2 sd^2, the slope by a wider difference here
    frame = table.drop(columns="proposal_id")
    for i, sd in ((0, 0.05), (1, 0.1), (3, 0.02)):
        up, down = frame.iloc[[i]].copy(), frame.iloc[[i]].copy()
        up["density_g_cm3"] += 1e-3
        down["density_g_cm3"] -= 1e-3
        slope = (campaign.problem.cost_of_table(up)[0][0]
                 - campaign.problem.cost_of_table(down)[0][0]) / 2e-3
        assert slope != 0
        assert told_variances[i] == pytest.approx(slope**2 * sd**2, rel=1e-4)
    assert campaign.measurements()["density_g_cm3_sd"].tolist()[:2] == [0.05, 0.1]


def test_a_noisy_lab_campaign_recommends_its_best_posterior_mean(tmp_path, model_file):
    campaign = Campaign.create(Store(tmp_path), definition(
        model_file, evaluator="lab", budget=12, space=default_space().fix({"c_rate": 1.0})))
    proposals = campaign.ask(6)
    table = told(campaign, proposals)
    # density decides the cost here; the third recipe measured twice
    table["density_g_cm3"] = [2.2, 2.3, 2.9, 2.4, 2.5, 2.6]
    campaign.tell(table)
    # two replicates in one sheet, the lab's rounding on one of them: pooled with the first
    again = table.iloc[[2, 2]].drop(columns="proposal_id").assign(density_g_cm3=[2.8, 2.75])
    again.iloc[1, again.columns.get_loc("am_wt_pct")] += 1e-8
    campaign.tell(again, external=True)
    recommendation = campaign.recommend()
    posterior = recommendation["posterior"]
    assert posterior["rule"] == "best posterior mean among evaluated points"
    assert posterior["replicates"] == 3 and posterior["low"] <= posterior["fun"] <= posterior["high"]
    assert recommendation["recipe"] == pytest.approx(
        {n: table.iloc[2][n] for n in campaign.problem.names})
    text = Path(recommendation["path"]).read_text()
    assert "Chosen as the best posterior mean among evaluated points" in text
