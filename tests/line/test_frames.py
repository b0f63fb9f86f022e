"""Calendering frames made again by the line (electroforge.line.frames.rerun_series): the
DEM against itself."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from electroforge.datasets.frames import read_frames
from electroforge.errors import DatasetError
from electroforge.line.frames import rerun_series

from helpers import small_line_frames


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    recipes = pd.DataFrame({"am_wt_pct": [92.0], "sc_wt_pct": [60.0], "cr_pct": [30.0]})
    return small_line_frames(tmp_path_factory.mktemp("rerun"), recipes)


def test_a_series_made_again_without_a_perturbation_is_the_series_itself(frames):
    stored = read_frames(frames).series(0)["labels"]
    last = len(stored) - 1
    made = rerun_series(frames, 0, perturbation_um=0.0, one_step_frames=[1, last])
    assert np.array_equal(made["from_dried"], stored)
    assert sorted(made["one_step"]) == [1, last]
    for t, labels in made["one_step"].items():
        assert np.array_equal(labels, stored[t])


def test_a_perturbed_rerun_moves_the_centres_before_the_frame_it_names(frames):
    stored = read_frames(frames).series(0)["labels"]
    made = rerun_series(frames, 0, perturbation_um=0.05, one_step_frames=[1, 4])
    assert made["from_dried"].shape == stored.shape
    assert np.array_equal(made["from_dried"][0], stored[0])
    assert not np.array_equal(made["from_dried"][1], stored[1])
    assert not np.array_equal(made["one_step"][4], stored[4])
    # each run draws its own moves: frame 1 made from moved dried centres is the same run
    # as the rerun from the dried structure, and a frame does not depend on the others asked
    assert np.array_equal(made["one_step"][1], made["from_dried"][1])
    alone = rerun_series(frames, 0, perturbation_um=0.05, one_step_frames=[4])
    assert np.array_equal(alone["one_step"][4], made["one_step"][4])


def test_a_rerun_refuses_another_line_version_and_impossible_requests(frames, tmp_path):
    with pytest.raises(ValueError, match="one_step_frames"):
        rerun_series(frames, 0, one_step_frames=[0])
    with pytest.raises(ValueError, match="perturbation_um"):
        rerun_series(frames, 0, perturbation_um=-1.0)
    with pytest.raises(DatasetError, match="index.*value 1.*no such series.*0 to 0"):
        rerun_series(frames, 1)
    manifest = json.loads((frames / "manifest.json").read_text())
    other = tmp_path / "other"
    other.mkdir()
    (other / "series_0000.npz").write_bytes((frames / "series_0000.npz").read_bytes())
    (other / "manifest.json").write_text(json.dumps(manifest | {"line_version": "3"}))
    with pytest.raises(DatasetError, match="line_version.*3"):
        rerun_series(other, 0)
