import numpy as np
import pandas as pd
import pytest

import electroforge.line.runner as runner
from electroforge import line
from electroforge.errors import InputError
from electroforge.line.film import image_properties

from helpers import SMALL_GRID, small_line

RECIPES = pd.DataFrame({"am_wt_pct": [90.0, 90.0, 94.0], "sc_wt_pct": [60.0, 60.0, 66.0],
                        "cr_pct": [0.0, 30.0, 20.0], "c_rate": [1.0, 1.0, 2.0]})


@pytest.fixture
def run_small(tmp_path):
    def run(recipes=RECIPES, **kwargs):
        options = dict(grid=SMALL_GRID, seed=0, workers=0, params=small_line(),
                       cache_dir=tmp_path / "cache", progress=False)
        return line.run(recipes, **(options | kwargs))
    return run


def test_properties_for_every_recipe(run_small):
    out = run_small()
    assert list(out.columns[:4]) == list(RECIPES.columns)
    assert (out["error"] == "").all()
    for name in ("porosity", "density_g_cm3", "tortuosity_factor", "conductivity_s_m",
                 "active_surface_pct", "capacity_mah_g", "thickness_um"):
        assert np.isfinite(out[name]).all(), name
    assert out.loc[1, "porosity"] < out.loc[0, "porosity"]        # compression closes pores
    assert out.loc[0, "dried_porosity"] == out.loc[1, "dried_porosity"]   # same slurry


def test_pores_percolate_in_the_corners_of_the_space_at_the_strongest_compression(run_small):
    corners = pd.DataFrame([(am, sc, 50.0) for am in (85.0, 97.0) for sc in (55.0, 72.0)],
                           columns=["am_wt_pct", "sc_wt_pct", "cr_pct"])
    out = run_small(corners)
    assert (out["error"] == "").all()
    assert np.isfinite(out["pore_tortuosity_factor"]).all()
    # the film stops at the porosity floor; the binder springs it back a little above
    assert (out["porosity"] >= small_line().porosity_floor).all()
    assert (out["film_cr_pct"] <= 50.0 + 1e-9).all()


def test_cache_resumes_without_recomputing(run_small, monkeypatch):
    first = run_small()
    calls = []
    original = runner.simulate_slurry
    monkeypatch.setattr(runner, "simulate_slurry",
                        lambda *a, **k: calls.append(a) or original(*a, **k))
    again = run_small()
    assert calls == []
    pd.testing.assert_frame_equal(first, again)
    more = pd.concat([RECIPES, RECIPES.iloc[[0]].assign(cr_pct=10.0)], ignore_index=True)
    run_small(more)
    assert len(calls) == 1 and len(calls[0][2]) == 1   # only the new recipe ran


def test_a_seed_per_recipe_gives_each_its_own_particles(run_small):
    # one recipe three times: one seed for all makes the same electrode three times, a
    # seed per recipe makes three replicates, each equal to that seed's single run
    same = pd.concat([RECIPES.iloc[[1]]] * 3, ignore_index=True)
    shared = run_small(same)
    assert shared["porosity"].nunique() == 1
    replicates = run_small(same, seed=[0, 1, 2])
    assert replicates["porosity"].nunique() == 3
    assert replicates.loc[0, "porosity"] == shared.loc[0, "porosity"]
    alone = run_small(same.iloc[[2]], seed=2)
    assert alone["porosity"].iloc[0] == replicates.loc[2, "porosity"]
    with pytest.raises(InputError, match="one seed per recipe"):
        run_small(same, seed=[0, 1])
    with pytest.raises(InputError, match=r"seed\[1\]"):
        run_small(same, seed=[0, -1, 2])


def test_a_failing_recipe_is_reported_and_the_others_kept(run_small, monkeypatch):
    original = runner.simulate_slurry

    def flaky(am, sc, conditions, **kwargs):
        if am == 94.0:
            raise RuntimeError("solver exploded")
        return original(am, sc, conditions, **kwargs)

    monkeypatch.setattr(runner, "simulate_slurry", flaky)
    out = run_small()
    assert out.loc[2, "error"] == "RuntimeError: solver exploded"
    assert np.isnan(out.loc[2, "porosity"])
    assert (out.loc[:1, "error"] == "").all() and np.isfinite(out.loc[:1, "porosity"]).all()


def test_no_c_rate_column_means_no_discharge(run_small):
    out = run_small(RECIPES.drop(columns="c_rate").iloc[:1])
    assert "capacity_mah_g" not in out.columns and out.loc[0, "error"] == ""


def test_bad_input_fails_before_any_work(run_small, monkeypatch):
    monkeypatch.setattr(runner, "simulate_slurry", lambda *a, **k: pytest.fail("work started"))
    with pytest.raises(InputError, match="am_wt_pct"):
        run_small(RECIPES.assign(am_wt_pct=[90.0, 99.0, 94.0]))
    with pytest.raises(InputError, match="grid too coarse"):
        run_small(grid=8)
    with pytest.raises(InputError, match="cr_pct"):
        run_small(RECIPES.drop(columns="cr_pct"))


def test_frames_are_written_compactly_and_any_frame_can_be_measured(run_small, tmp_path):
    out = run_small(RECIPES.iloc[[1]], frames_dir=tmp_path / "frames")
    (path,) = (tmp_path / "frames").glob("*.npz")
    last = line.frame_properties(path, -1, params=small_line())
    for name in ("porosity", "tortuosity_factor", "conductivity_s_m", "active_surface_pct"):
        assert last[name] == pytest.approx(out.loc[0, name]), name
    dried = line.frame_properties(path, 0, params=small_line(), transport=False)
    assert dried["porosity"] > last["porosity"]
    frames = line.load_frames(path)
    assert frames["curve_capacity_mah_g"][-1] == pytest.approx(out.loc[0, "capacity_mah_g"])
    with pytest.raises(InputError, match="no such frame"):
        line.frame_properties(path, 99)
    with np.load(path) as data:
        labels = data["labels"]
        params = small_line()
        assert labels.dtype == np.uint8
        assert labels.shape[0] == 1 + params.load_frames + params.unload_frames + 1
        assert labels.shape[2:] == (SMALL_GRID, SMALL_GRID)
        assert set(np.unique(labels)) <= {0, 1, 2, 3}
        assert data["positions_um"].shape[0] == labels.shape[0]
        older = {name: data[name] for name in data.files if not name.endswith("volume_um3")}
    # a file of line version 2 (no conserved volumes) is measured on its stored labels
    np.savez(tmp_path / "v2.npz", **older)
    stored = image_properties(older["labels"][-1], voxel_um=float(older["voxel_um"]),
                              params=small_line(), transport=False)
    assert line.frame_properties(tmp_path / "v2.npz", -1, params=small_line(),
                                 transport=False) == stored
    assert stored["thickness_um"] != pytest.approx(last["thickness_um"])  # whole layers there


def test_dask_workers_give_the_serial_results_bit_for_bit(run_small, tmp_path):
    serial = run_small()
    parallel = run_small(workers=2, cache_dir=tmp_path / "other-cache")
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)


def test_chunking_a_slurry_changes_nothing(run_small, tmp_path, monkeypatch):
    whole = run_small()
    monkeypatch.setattr(runner, "CHUNK", 1)   # every recipe remakes its slurry
    chunked = run_small(cache_dir=tmp_path / "chunked-cache")
    pd.testing.assert_frame_equal(whole, chunked, check_exact=True)


SCRIPT = """import pandas as pd
from electroforge import line
recipes = pd.DataFrame({"am_wt_pct": [90.0], "sc_wt_pct": [60.0], "cr_pct": [10.0]})
line.run(recipes, grid=48, workers=2)
"""


def test_workers_from_a_script_without_main_guard_fail_in_one_line(tmp_path):
    """The parent refuses before spawning: no worker starts, no nanny traceback."""
    import subprocess
    import sys

    script = tmp_path / "noguard.py"
    script.write_text(SCRIPT)
    for how in ({"args": [sys.executable, str(script)]},
                {"args": [sys.executable, "-"], "input": SCRIPT}):
        result = subprocess.run(**how, cwd=tmp_path, capture_output=True, text=True,
                                timeout=300, check=False)
        assert result.returncode == 1
        assert "nanny" not in result.stderr.lower() and result.stderr.count("Traceback") == 1
        last = result.stderr.strip().splitlines()[-1]
        assert "InputError" in last and '__name__ == "__main__"' in last and "workers=0" in last
        assert ("noguard.py:4" in last) == ("input" not in how)


def test_under_main_guard_reads_the_script(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("x = 1\nif __name__ == '__main__':\n    run()\n    more()\n"
                      "if '__main__' == __name__:\n    again()\nif __name__ != '__main__':\n"
                      "    no()\n")
    assert [runner.under_main_guard(str(script), n) for n in range(1, 9)] == [
        False, False, True, True, False, True, False, False]
