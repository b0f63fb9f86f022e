"""Validation of a calendering surrogate beside its baselines
(electroforge.surrogates.fields.validation), on the synthetic rigid-particle series."""

from __future__ import annotations

import numpy as np
import pytest

from electroforge.surrogates.fields import load_field_model
from electroforge.surrogates.fields.calendering import CalenderingModel
from electroforge.surrogates.fields.training import train_calendering
from electroforge.surrogates.fields.validation import FINAL_PROPERTIES, validate_calendering

from helpers import write_series


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("validation")
    frames = write_series(folder / "frames")
    train_calendering(frames, folder / "m.safetensors", epochs=400, seed=1)
    return frames, CalenderingModel(*load_field_model(folder / "m.safetensors"))


def test_the_validation_scores_the_model_and_both_baselines_on_every_series(trained):
    frames, model = trained
    result = validate_calendering(model, frames)
    final = result.frames[result.frames["final"]]
    assert sorted(final["method"].unique()) == ["affine", "calender_particles", "copy", "dem",
                                                "model", "particles"]
    assert len(final) == 2 * 6                                # 2 series x 6 methods
    r2 = final.groupby("method")["r2"].mean()
    assert r2["dem"] == 1.0 and r2["model"] > 0.95 > max(r2["affine"], r2["copy"])
    # the model keeps the AM: its film's AM fraction is the DEM's to a voxel
    dem = final[final["method"] == "dem"].set_index("series")
    ours = final[final["method"] == "model"].set_index("series")
    assert np.allclose(ours["am_fraction"] * ours["film_layers"],
                       dem["am_fraction"] * dem["film_layers"], rtol=0.05)
    # every final property for every method, errors against the DEM's own value
    assert set(result.final["property"]) == set(FINAL_PROPERTIES)
    row = result.final.iloc[0]
    assert row["rel_error"] == pytest.approx((row["value"] - row["dem"]) / row["dem"])
    summary = result.summary()
    assert summary["porosity_mean_err_model"] < 0.05
    assert summary["r2_final_model"] == pytest.approx(r2["model"])
    assert result.seconds_per_frame > 0
    assert set(result.slices) == {"dem", "model", "affine", "particles", "calender_particles",
                                  "copy", "dried"}
    # the particle baseline keeps the masses and is given the DEM's film height
    squeezed = final[final["method"] == "particles"].set_index("series")
    assert np.allclose(squeezed["am_fraction"] * squeezed["film_layers"],
                       dem["am_fraction"] * dem["film_layers"])
    assert (squeezed["film_layers"] == dem["film_layers"]).all()
    # the film top's move over each frame, from the series' strains (SCHEDULE x CR)
    moves = final.groupby("series")["step_pct"].first()
    assert moves.tolist() == pytest.approx([100 * 0.2 * 0.1, 100 * 0.2 * 0.3])
    assert result.by_step().empty                    # a direct model has no one-step score
    # beside it, the R2 as the reference computed it: raw labels (void 4), void counted
    from electroforge.datasets.frames import read_frames
    from electroforge.surrogates.fields.metrics import reference_r2

    labels = read_frames(frames).series(1)["labels"]
    copy = final[(final["method"] == "copy") & (final["series"] == 1)].iloc[0]
    assert copy["r2_reference"] == pytest.approx(reference_r2(labels[0], labels[-1]))
    assert copy["r2_reference"] > copy["r2"]         # the void it counts is right
    assert (final.loc[final["method"] == "dem", "r2_reference"] == 1.0).all()
    assert summary["r2_reference_final_copy"] == pytest.approx(
        final.loc[final["method"] == "copy", "r2_reference"].mean())


def test_a_rerun_of_series_the_line_did_not_make_is_refused_before_any_work(trained,
                                                                           monkeypatch):
    from electroforge.errors import DatasetError

    frames, model = trained                          # synthetic: line version "test"
    monkeypatch.setattr(model, "calender", None)     # no series may be predicted first
    with pytest.raises(DatasetError, match="line_version.*test"):
        validate_calendering(model, frames, dem_rerun_um=1e-9)
    with pytest.raises(ValueError, match="perturbation_um"):
        validate_calendering(model, frames, dem_rerun_um=-1.0)


def test_a_subset_of_a_frames_folder_is_written_as_a_whole(trained, tmp_path):
    from electroforge.datasets.frames import read_frames, subset_frames
    from electroforge.errors import DatasetError

    frames, _ = trained
    subset = subset_frames(frames, [1], tmp_path / "one")
    assert len(subset) == 1 and subset.table["cr_pct"].tolist() == [30.0]
    assert (tmp_path / "one" / "series_0000.npz").read_bytes() == \
        (frames / "series_0001.npz").read_bytes()
    with pytest.raises(DatasetError, match="new or empty folder"):
        subset_frames(frames, [0], frames)
    with pytest.raises(DatasetError, match="no such series"):
        subset_frames(frames, [5], tmp_path / "none")
    assert not (tmp_path / "none").exists() and len(read_frames(frames)) == 2


def test_the_validation_scores_the_dem_against_itself_beside_the_model(tmp_path):
    """On real line series: the DEM made again without a perturbation agrees with itself
    exactly, from the dried structure (beside the rollout) and one frame at a time (beside
    the one-step score), in every frame's R2 and every final property."""
    import pandas as pd

    from electroforge.datasets.frames import read_frames
    from helpers import small_line_frames

    recipes = pd.DataFrame({"am_wt_pct": [92.0], "sc_wt_pct": [60.0], "cr_pct": [30.0]})
    frames = small_line_frames(tmp_path, recipes)
    train_calendering(frames, tmp_path / "next.safetensors", task="next", epochs=1, seed=0)
    model = CalenderingModel(*load_field_model(tmp_path / "next.safetensors"))
    result = validate_calendering(model, frames, rollout_stride=3, dem_rerun_um=0.0)
    scored = result.frames.groupby("method")["frame"].apply(sorted)
    assert scored["dem_rerun"] == scored["dem_one_step"] == scored["model"]
    for method in ("dem_rerun", "dem_one_step"):
        rows = result.frames[result.frames["method"] == method]
        assert (rows["r2"] == 1.0).all()
        errors = result.final[result.final["method"] == method]
        assert set(errors["property"]) == set(FINAL_PROPERTIES)
        assert (errors["rel_error"] == 0.0).all()
    summary = result.summary()
    assert summary["r2_final_dem_rerun"] == summary["r2_final_dem_one_step"] == 1.0
    # one step at a time, by the film top's move over the frame: every scored frame once
    strain = np.asarray(read_frames(frames).series(0)["strain"])
    rows = result.frames[result.frames["method"] == "one_step"]
    assert rows["step_pct"].to_numpy() == pytest.approx(
        100 * np.abs(strain[rows["frame"]] - strain[rows["frame"] - 1]))
    table = result.by_step()
    moves = rows["step_pct"].to_numpy()
    expected = {"0": moves == 0, "0-0.5": (moves > 0) & (moves <= 0.5),
                "0.5-1": (moves > 0.5) & (moves <= 1.0), "1-1.5": (moves > 1.0) & (moves <= 1.5),
                "1.5-2": (moves > 1.5) & (moves <= 2.0), "2-3": (moves > 2.0) & (moves <= 3.0),
                ">3": moves > 3.0}
    assert table[("frames", "one_step")].to_dict() == {
        band: int(held.sum()) for band, held in expected.items() if held.any()}
    r2 = rows["r2"].to_numpy()
    for band, held in expected.items():
        if held.any():
            assert table.loc[band, ("mean", "one_step")] == pytest.approx(r2[held].mean())
            assert table.loc[band, ("worst", "one_step")] == r2[held].min()
    assert "dem_rerun" not in validate_calendering(model, frames).frames["method"].values


def test_film_top_moves_are_banded_with_their_edges_and_bad_moves_refused():
    import pandas as pd

    from electroforge.surrogates.fields.validation import CalenderingValidation, step_band

    # a 30 % roll in 20 frames: every move is 1.5 % a frame, whatever the strain's rounding
    strain = np.array([0.3 * k / 20 for k in range(21)])
    assert set(step_band(100 * np.abs(np.diff(strain)))) == {"1-1.5"}
    assert step_band([0.5, 1.0, 3.0, 3.1], (0.5, 1.0, 3.0, np.inf)).tolist() == [
        "0-0.5", "0.5-1", "1-3", ">3"]
    for bad in ([np.nan], [-0.1], [np.inf]):
        with pytest.raises(ValueError, match="film-top move"):
            step_band(bad)
    for bands in ((1.0, 2.0), (2.0, 1.0, np.inf), (0.0, np.inf)):
        with pytest.raises(ValueError, match="bands_pct"):
            step_band(1.0, bands)
    # a frame without a finite move is left out of the table, the others kept
    frames = pd.DataFrame({"method": ["one_step", "copy", "one_step", "copy"],
                           "step_pct": [np.nan, np.nan, 0.7, 0.7], "r2": [0.1, 0.2, 0.9, 0.8]})
    table = CalenderingValidation(frames, pd.DataFrame(), 0.0).by_step()
    assert table.index.tolist() == ["0.5-1"]
    assert table.loc["0.5-1", ("frames", "one_step")] == 1
    assert CalenderingValidation(frames.iloc[:2], pd.DataFrame(), 0.0).by_step().empty
