"""A tiny workspace for the bad-input suite, built once: model, tables, objective, space and
campaign files, and a store with a surrogate campaign (``c1``: proposal 1 told, 2 pending)
and a lab campaign at a fixed 1 C (``lab``: proposals 3 and 4 pending)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from electroforge import default_space, design
from electroforge.campaigns.campaign import Campaign
from electroforge.campaigns.definition import CampaignDefinition
from electroforge.campaigns.store import Store
from electroforge.datasets import write_dataset
from electroforge.surrogates import SymbolicSurrogate

PROPERTIES = ("tortuosity_factor", "density_g_cm3", "conductivity_s_m", "active_surface_pct")
OBJECTIVE = """
[[targets]]
name = "density_g_cm3"
direction = "max"

[[targets]]
name = "conductivity_s_m"
direction = "max"
"""
CAMPAIGN = """
name = "new"
budget = 6
batch_size = 2
[evaluator]
kind = "surrogate"
model = "model.json"
verify_seeds = 0
"""


def _properties(X: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"tortuosity_factor": 1 + X.cr_pct / 25, "density_g_cm3": 2 + X.cr_pct / 50,
                         "conductivity_s_m": 100 - X.am_wt_pct,
                         "active_surface_pct": X.am_wt_pct - 50})


@pytest.fixture(scope="session")
def fixture_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bad-input-fixture")
    space = default_space().fix({"c_rate": 1.0})
    X = design.lhs(space, 40, seed=3)[["am_wt_pct", "sc_wt_pct", "cr_pct"]]
    SymbolicSurrogate(max_terms=1).fit(X, _properties(X)).save(root / "model.json")
    write_dataset(pd.concat([X.assign(c_rate=1.0), _properties(X)], axis=1), root / "props.parquet")
    write_dataset(design.sobol(default_space(), 8, seed=0), root / "design.csv")
    (root / "objective.toml").write_text(OBJECTIVE)
    (root / "space.toml").write_text("[parameters.cr_pct]\nlow = 5.0\nhigh = 40.0\n")
    (root / "campaign.toml").write_text(CAMPAIGN)

    workspace = root / "electroforge-workspace"
    store = Store(workspace)
    shutil.copy(root / "model.json", workspace / "model.json")
    c1 = Campaign.create(store, CampaignDefinition(
        name="c1", budget=8, batch_size=2, seed=1, model=str(workspace / "model.json"),
        verify_seeds=0))
    asked = c1.ask(2)
    told = asked.iloc[[0]].assign(**_properties(asked.iloc[[0]]))
    c1.tell(told, source="fixture")
    lab = Campaign.create(store, CampaignDefinition(
        name="lab", budget=6, batch_size=2, evaluator="lab", space=space,
        model=str(workspace / "model.json")))
    pending = lab.ask(2)
    sheet = pending[["proposal_id", "am_wt_pct", "sc_wt_pct", "cr_pct"]]
    sheet.assign(**_properties(sheet)).to_csv(root / "lab-results.csv", index=False)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return root


@pytest.fixture
def workspace_copy(fixture_root, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the fixture, the working directory of the test."""
    copy = tmp_path / "w"
    shutil.copytree(fixture_root, copy)
    monkeypatch.chdir(copy)
    return copy
