"""The virtual line with the roll predicted by a calendering field model
(line.run(..., calendering="neural")): particles and drying as the DEM line, the same
property and discharge code, cached apart from the DEM's results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from electroforge import line
from electroforge.errors import InputError

from helpers import SMALL_GRID, small_line, tiny_calendering_model

RECIPES = pd.DataFrame({"am_wt_pct": [90.0, 90.0], "sc_wt_pct": [60.0, 60.0],
                        "cr_pct": [10.0, 40.0], "c_rate": [1.0, 1.0]})


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_calendering_model(tmp_path_factory.mktemp("neural-line"))


def run(tmp_path, **kwargs):
    return line.run(RECIPES, grid=SMALL_GRID, seed=0, workers=0, params=small_line(),
                    cache_dir=tmp_path / "cache", progress=False, **kwargs)


def test_the_neural_roll_keeps_the_slurry_and_its_material(tmp_path, model):
    dem = run(tmp_path)
    neural = run(tmp_path, calendering="neural", calendering_model=model)
    assert (neural["error"] == "").all(), neural["error"].tolist()
    # the same slurry, dried the same way
    assert np.allclose(neural["dried_porosity"], dem["dried_porosity"])
    assert np.allclose(neural["dried_thickness_um"], dem["dried_thickness_um"])
    # AM kept: AM per footprint (fraction x thickness) as the DEM's, to the voxelization
    def am_um(table):
        return table["am_fraction"] * table["thickness_um"]

    assert np.allclose(am_um(neural), am_um(dem), rtol=0.03)
    for name in ("porosity", "tortuosity_factor", "conductivity_s_m", "capacity_mah_g"):
        assert np.isfinite(neural[name]).all(), name
    # cached apart: a second run reads the neural results, the DEM's stay the DEM's
    again = run(tmp_path, calendering="neural", calendering_model=model)
    pd.testing.assert_frame_equal(again, neural)
    pd.testing.assert_frame_equal(run(tmp_path), dem)


def test_a_neural_roll_is_refused_where_it_cannot_run(tmp_path, model):
    with pytest.raises(InputError, match="unknown calendering"):
        run(tmp_path, calendering="fem")
    with pytest.raises(InputError, match="calendering='neural'"):
        run(tmp_path, calendering_model=model)
    with pytest.raises(InputError, match="frames are written by the DEM"):
        run(tmp_path, calendering="neural", calendering_model=model, frames_dir=tmp_path / "f")
    with pytest.raises(InputError, match="field model"):
        run(tmp_path, calendering="neural", calendering_model=tmp_path / "none.safetensors")
    # a model of other voxels: refused before any work, nothing is cached
    with pytest.raises(InputError, match="another voxel size.*grid = 24"):
        line.run(RECIPES, grid=12, seed=0, workers=0, params=small_line(),
                 cache_dir=tmp_path / "cache2", progress=False, calendering="neural",
                 calendering_model=model)
    assert not (tmp_path / "cache2").exists()



def test_the_shipped_model_gives_plausible_films_beside_the_dem(tmp_path):
    # the small line has the shipped model's 0.5 um voxels (smaller particles than it saw)
    recipes = pd.DataFrame({"am_wt_pct": [94.0, 88.0], "sc_wt_pct": [60.0, 70.0],
                            "cr_pct": [30.0, 48.0], "c_rate": [1.0, 1.0]})
    options = dict(grid=SMALL_GRID, seed=0, workers=0, params=small_line(),
                   cache_dir=tmp_path / "cache", progress=False)
    dem = line.run(recipes, **options)
    neural = line.run(recipes, calendering="neural", **options)
    assert (neural["error"] == "").all(), neural["error"].tolist()
    # the roll stops at the porosity floor (CR 48 %) where the DEM's stops, and the film
    # springs back about as the DEM's (4.6 % and 12.6 %: this box's DEM springs back far at
    # the floor)
    assert np.allclose(neural["film_cr_pct"], dem["film_cr_pct"], atol=2.0)
    assert neural["spring_back_pct"].between(0.0, 25.0).all(), neural["spring_back_pct"]
    assert (neural["spring_back_pct"] - dem["spring_back_pct"]).abs().max() < 8.0
    assert np.allclose(neural["porosity"], dem["porosity"], atol=0.06)
    assert (neural["conductivity_s_m"] > 0).all()          # the network conducts
    assert np.allclose(neural["capacity_mah_g"], dem["capacity_mah_g"], rtol=0.1)
