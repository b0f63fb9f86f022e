import math

import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.line.conduction import effective_conductivity
from electroforge.line.dem import AM, CBD
from electroforge.line.properties import (
    film_region, ionic_tortuosity_factor, tortuosity_factor, voxel_properties)
from electroforge.line.voxels import PORE, VOID, voxelize


def test_volumes_are_conserved_even_where_spheres_overlap():
    positions = np.array([[4.0, 4.0, 3.0], [6.0, 4.0, 3.0], [4.0, 7.0, 3.0]])
    radii = np.array([1.5, 1.5, 1.0])
    kinds = np.array([AM, AM, CBD])
    am_volume = 2 * 4 / 3 * np.pi * 1.5**3          # the two AM spheres overlap by 1 um
    cbd_volume = 4 / 3 * np.pi * 1.0**3
    labels = voxelize(positions, radii, kinds, footprint_um=10.0, top_um=6.0, grid=40,
                      am_volume_um3=am_volume, cbd_volume_um3=cbd_volume, cbd_neck_fraction=0.5)
    cell = 0.25**3
    assert np.count_nonzero(labels == AM) == round(am_volume / cell)
    assert np.count_nonzero(labels == CBD) == round(cbd_volume / cell)
    assert labels.shape == (24, 40, 40) and labels.dtype == np.uint8


def test_void_above_the_film_and_coarse_grid_error():
    labels = voxelize(np.array([[5.0, 5.0, 2.0]]), np.array([2.0]), np.array([AM]),
                      footprint_um=10.0, top_um=4.0, grid=20, am_volume_um3=4 / 3 * np.pi * 8,
                      cbd_volume_um3=0.0, cbd_neck_fraction=0.5)
    assert (labels[8:] == VOID).all() and labels.shape[0] == 8
    with pytest.raises(InputError, match="grid too coarse"):
        voxelize(np.array([[5.0, 5.0, 2.0]]), np.array([0.4]), np.array([AM]), footprint_um=10.0,
                 top_um=4.0, grid=10, am_volume_um3=1.0, cbd_volume_um3=0.0, cbd_neck_fraction=0)


#: The CBD's nanoporosity and transport factor of discharge-4d-ar-msnet Table 1.
TABLE_1 = {"cbd_nanoporosity": 0.27, "cbd_transport_factor": 0.05}


def test_straight_channels_have_tortuosity_one_and_blocked_ones_infinity():
    labels = np.full((20, 10, 10), AM, dtype=np.uint8)
    labels[:, 2:5, 2:5] = PORE
    assert tortuosity_factor(labels) == pytest.approx(1.0, abs=1e-3)
    assert ionic_tortuosity_factor(labels, **TABLE_1) == pytest.approx(1.0, abs=1e-2)
    labels[10] = AM
    assert tortuosity_factor(labels) == math.inf
    assert ionic_tortuosity_factor(labels, **TABLE_1) == math.inf
    # a CBD plug instead: ions cross it at f = 0.05 of the bulk diffusivity
    labels[10, 2:5, 2:5] = CBD
    assert tortuosity_factor(labels) == math.inf
    tau = ionic_tortuosity_factor(labels, **TABLE_1)
    # series of 19 pore layers (D 1) and 1 CBD layer (D 0.05): D_eff = 20 / (19 + 1 / 0.05)
    eps = 9 / 100 * (19 + 0.27) / 20
    d_eff = 9 / 100 * 20 / (19 + 1 / 0.05)
    assert tau == pytest.approx(eps / d_eff, rel=0.03)


def test_series_and_parallel_slabs_conduct_as_resistors():
    series = np.full((20, 6, 6), CBD, dtype=np.uint8)
    series[10:] = AM
    assert effective_conductivity(series, {CBD: 1.0, AM: 4.0}) == pytest.approx(
        1 / (0.5 / 1.0 + 0.5 / 4.0), rel=1e-6)
    parallel = np.full((20, 6, 6), CBD, dtype=np.uint8)
    parallel[:, :3] = AM
    assert effective_conductivity(parallel, {CBD: 1.0, AM: 4.0}) == pytest.approx(2.5, rel=1e-6)
    parallel[:, 3:] = PORE   # an insulating half: half the area conducts
    assert effective_conductivity(parallel, {CBD: 1.0, AM: 4.0}) == pytest.approx(2.0, rel=1e-6)
    series[5] = PORE
    assert effective_conductivity(series, {CBD: 1.0, AM: 4.0}) == 0.0


def test_voxel_properties_of_a_known_image():
    labels = np.zeros((10, 8, 8), dtype=np.uint8)
    labels[:, :4] = AM               # half AM, a straight pore channel beside it
    labels[:, 4:5] = CBD
    labels = np.concatenate([labels, np.full((3, 8, 8), VOID, np.uint8)])
    props = voxel_properties(labels, voxel_um=0.5, am_density_g_cm3=4.0, cbd_density_g_cm3=1.0,
                             am_conductivity_s_m=2.0, cbd_conductivity_s_m=8.0,
                             face_count_correction=1.0, **TABLE_1)
    assert film_region(labels).shape[0] == 10 and props["thickness_um"] == 5.0
    assert props["porosity"] == pytest.approx(3 / 8)
    assert props["density_g_cm3"] == pytest.approx(0.5 * 4.0 + 0.125 * 1.0)
    assert props["pore_tortuosity_factor"] == pytest.approx(1.0, abs=1e-3)
    # pores and CBD in parallel: eps_e = 3/8 + 0.27/8, D_eff = 3/8 + 0.05/8
    assert props["electrolyte_fraction"] == pytest.approx(3.27 / 8)
    assert props["tortuosity_factor"] == pytest.approx((3.27 / 8) / ((3 + 0.05) / 8), rel=0.02)
    assert props["conductivity_s_m"] == pytest.approx(0.5 * 2.0 + 0.125 * 8.0, rel=1e-6)
    # AM touches CBD on one plane (10 x 8 faces), pore across the periodic edge (10 x 8)
    # and the void above (4 x 8 faces); 0.25 um2 a face
    assert props["area_am_cbd_um2"] == pytest.approx(80 * 0.25)
    assert props["area_pore_am_um2"] == pytest.approx(112 * 0.25)
    assert props["active_surface_pct"] == pytest.approx(100 * 112 / 192)


def test_cbd_bridges_sit_at_am_contacts_before_coating_lone_particles():
    # two AM spheres touching at (5, 5, 3), and a lone one far from both
    positions = np.array([[3.5, 5.0, 3.0], [6.5, 5.0, 3.0], [5.0, 13.0, 3.0]])
    radii = np.array([1.5, 1.5, 1.5])
    kinds = np.array([AM, AM, AM])
    am_volume = 3 * 4 / 3 * np.pi * 1.5**3
    cell = 0.2**3
    bridge_volume = 40 * cell
    labels = voxelize(positions, radii, kinds, footprint_um=16.0, top_um=6.0, grid=80,
                      am_volume_um3=am_volume, cbd_volume_um3=bridge_volume,
                      cbd_neck_fraction=1.0, cbd_bridge_um=3.0)
    k, j, i = np.nonzero(labels == CBD)
    assert len(k) == 40
    centres = np.column_stack([(i + 0.5) * 0.2, (j + 0.5) * 0.2, (k + 0.5) * 0.2])
    # every CBD voxel is within a micron of the contact point: a ring around the neck
    assert np.linalg.norm(centres - [5.0, 5.0, 3.0], axis=1).max() < 1.0
    # with more CBD than the neck holds, films follow on every particle, the lone one too
    labels = voxelize(positions, radii, kinds, footprint_um=16.0, top_um=6.0, grid=80,
                      am_volume_um3=am_volume, cbd_volume_um3=2000 * cell,
                      cbd_neck_fraction=1.0, cbd_bridge_um=0.4)
    k, j, i = np.nonzero(labels == CBD)
    assert ((j + 0.5) * 0.2 > 10).sum() > 100


def test_top_contact_follows_the_surface_but_spans_pits():
    slab = np.full((12, 6, 6), AM, dtype=np.uint8)
    slab[-1] = PORE
    slab[-1, 2, 2] = AM       # one cap pokes into the last layer
    # the contact lies on the surface: the cap does not decide whether the film conducts
    # (and the thickness is the contact's mean height: a homogeneous film conducts at its
    # bulk value)
    full = effective_conductivity(slab, {AM: 1.0})
    assert full == pytest.approx(1.0, rel=0.01)
    # a pit down to the current collector is spanned, not contacted at its bottom (which
    # would short the column over one voxel)
    pitted = slab.copy()
    pitted[1:, 0, 0] = PORE
    assert effective_conductivity(pitted, {AM: 1.0}) < full
