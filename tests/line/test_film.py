import math

import numpy as np
import pytest

from electroforge.line.calendering import calender
from electroforge.line.chain import contact_model
from electroforge.line.drying import dry
from electroforge.line.film import film_labels, film_properties, image_properties
from electroforge.line.particles import make_slurry
from electroforge.line.voxels import voxel_size_um

from helpers import SMALL_GRID


@pytest.fixture(scope="module")
def calendered(small):
    slurry = make_slurry(90.0, 62.0, small, rng=np.random.default_rng(5))
    result = calender(dry(slurry, small, contact_model(small)), 30.0, small, contact_model(small))
    final = result.frames[-1]
    state = dict(positions_um=final.positions_um, radii_um=result.radii_um,
                 kinds=result.kinds, grid=SMALL_GRID,
                 am_volume_um3=slurry.composition.am_volume_um3,
                 cbd_volume_um3=slurry.composition.cbd_volume_um3, params=small)
    return state, final.top_um, slurry.composition


def one_image(state, top_um):
    """What line version 2 measured: one image, cut at the layer nearest the top."""
    params = state["params"]
    return image_properties(film_labels(**state, top_um=top_um),
                            voxel_um=voxel_size_um(params.footprint_um, state["grid"]),
                            params=params)


def test_properties_do_not_jump_where_one_image_would(calendered):
    state, top, _ = calendered
    voxel = voxel_size_um(state["params"].footprint_um, SMALL_GRID)
    # one image gains a layer where the top passes a layer's centre; the blend has no
    # step there, nor where the top passes a layer boundary
    centre = (math.floor(top / voxel) + 0.5) * voxel
    step = 1e-6
    jumped = [one_image(state, centre + sign * step)["porosity"] for sign in (-1, 1)]
    assert abs(jumped[1] - jumped[0]) > 0.01
    for edge in (centre, math.ceil(top / voxel) * voxel):
        below, above = (film_properties(**state, top_um=edge + sign * step) for sign in (-1, 1))
        for name in ("porosity", "density_g_cm3", "tortuosity_factor", "conductivity_s_m",
                     "active_surface_pct", "thickness_um"):
            assert above[name] == pytest.approx(below[name], rel=1e-4), name


def test_thickness_is_the_top_and_porosity_conserves_the_solids(calendered):
    state, top, composition = calendered
    props = film_properties(**state, top_um=top, transport=False)
    assert props["thickness_um"] == pytest.approx(top, rel=1e-12)
    # each image holds every solid voxel (volumes are conserved), so its porosity is
    # 1 - solids / (area x its height); the film's is their blend at the top's position
    voxel = voxel_size_um(state["params"].footprint_um, SMALL_GRID)
    layers = top / voxel
    below, weight = math.floor(layers), layers - math.floor(layers)
    assert 0 < weight < 1

    def porosity(height_um):
        return 1 - composition.solids_volume_um3 / (composition.area_um2 * height_um)

    expected = (1 - weight) * porosity(below * voxel) + weight * porosity((below + 1) * voxel)
    assert props["porosity"] == pytest.approx(expected, abs=2e-3)


def test_a_top_on_a_layer_boundary_is_measured_on_that_one_image(calendered):
    state, top, _ = calendered
    voxel = voxel_size_um(state["params"].footprint_um, SMALL_GRID)
    boundary = math.ceil(top / voxel) * voxel
    assert film_properties(**state, top_um=boundary) == pytest.approx(one_image(state, boundary))
