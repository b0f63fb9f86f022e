"""The voxel half-cell (electroforge.line.halfcell): bad input refused before the solve,
conservation of charge, lithium and salt, the layered geometry against PyBaMM's DFN,
the open-circuit limit and grid refinement."""

from __future__ import annotations

import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.line.halfcell import HalfCellParameters, build_mesh, halfcell_discharge
from electroforge.line.halfcell.checks import layered_against_pybamm, layered_image
from electroforge.line.halfcell.solver import FIELD_NAMES
from helpers import small_electrode


def test_bad_input_is_refused_before_the_solve_with_one_clear_line():
    params = HalfCellParameters()
    labels = small_electrode()
    with pytest.raises(InputError, match="unknown labels"):
        build_mesh(np.where(labels == 1, 7, labels), 0.5, params)
    with pytest.raises(InputError, match="no AM"):
        build_mesh(np.where(labels == 2, 0, labels), 0.5, params)
    with pytest.raises(InputError, match="no CBD"):
        build_mesh(np.where(labels == 1, 2, labels), 0.5, params)
    lifted = labels.copy()
    lifted[0] = 0                        # the film lifted off the collector
    with pytest.raises(InputError, match="no path for the current"):
        build_mesh(lifted, 0.5, params)
    with pytest.raises(InputError, match="C-rate"):
        halfcell_discharge(labels, voxel_um=0.5, c_rate=0.0)
    with pytest.raises(InputError, match="C-rate"):
        halfcell_discharge(labels, voxel_um=0.5, c_rate=50.0)
    with pytest.raises(InputError, match="cutoff"):
        halfcell_discharge(labels, voxel_um=0.5, c_rate=1.0, cutoff_v=4.5)
    with pytest.raises(InputError, match="voxel"):
        halfcell_discharge(labels, voxel_um=-1.0, c_rate=1.0)
    with pytest.raises(InputError, match="separator_porosity"):
        HalfCellParameters(separator_porosity=1.5)
    with pytest.raises(InputError, match="sei_resistance"):
        HalfCellParameters(sei_resistance_ohm_m2=-1.0)
    with pytest.raises(InputError, match="tolerance"):
        halfcell_discharge(labels, voxel_um=0.5, c_rate=1.0, tolerance=0.0)
    with pytest.raises(InputError, match="frames"):
        halfcell_discharge(labels, voxel_um=0.5, c_rate=1.0, frames=True)


def test_a_cbd_particle_adrift_in_a_pore_keeps_its_electrolyte_and_loses_its_solid():
    labels = small_electrode()
    assert (labels[5:7, 3:6, 0] == 0).all()     # pores touching no AM or CBD
    labels[6, 4, 0] = 1
    mesh = build_mesh(labels, 0.5, HalfCellParameters())
    assert mesh.solid_index[6, 4, 0] == -1 and mesh.electrolyte_index[6, 4, 0] >= 0
    # the CBD pillar on the collector keeps both
    assert mesh.solid_index[1, 2, 3] >= 0 and mesh.electrolyte_index[1, 2, 3] >= 0
    cell = halfcell_discharge(labels, voxel_um=0.5, c_rate=2.0, frames=1)
    assert cell.reached_cutoff and np.isfinite(cell.capacity_mah_g)


def test_sealed_pockets_and_am_cut_off_from_the_collector_leave_the_network():
    labels = small_electrode()
    pocket = labels.copy()
    pocket[1, 1, 1] = 0                 # a pore sealed inside the AM block on the collector
    mesh = build_mesh(pocket, 0.5, HalfCellParameters())
    assert mesh.electrolyte_index[1, 1, 1] == -1          # no ion reaches it
    # its six AM faces do not react: the faces are those of the image without it
    assert mesh.reaction[0].size == build_mesh(labels, 0.5, HalfCellParameters()).reaction[0].size
    adrift = labels.copy()
    assert (adrift[5:8, 3:6, 0] != 2).all() and (adrift[6, 4, [1, 5]] == 0).all()
    adrift[6, 4, 0] = 2                 # an AM voxel in a pore, touching no solid
    mesh = build_mesh(adrift, 0.5, HalfCellParameters())
    assert mesh.am_index[6, 4, 0] == -1 and mesh.solid_index[6, 4, 0] == -1
    assert mesh.n_am == (adrift == 2).sum() - 1
    assert mesh.dead_am_volume_m3 == pytest.approx(0.5e-6**3)   # mass without capacity


def test_the_network_counts_what_the_image_holds():
    labels = small_electrode()
    params = HalfCellParameters(separator_layers=3)
    mesh = build_mesh(labels, 0.5, params)
    h = 0.5e-6
    assert mesh.film_layers == 8 and mesh.phases.shape == (11, 6, 6)
    assert mesh.n_am == (labels == 2).sum()
    assert mesh.am_volume_m3.sum() == pytest.approx((labels == 2).sum() * h**3)
    # electrolyte: pores and void in full, CBD at its porosity, separator at its own
    pores = ((labels == 0) | (labels == 3)).sum()
    expected = (pores + params.cbd_porosity * (labels == 1).sum()) * h**3 \
        + params.separator_porosity * 36 * h * h * params.separator_thickness_um * 1e-6
    assert mesh.electrolyte_volume_m3.sum() == pytest.approx(expected)
    # every AM face against pore or CBD is a reaction face, scaled by the voxel correction
    assert mesh.reaction[3].max() == pytest.approx(h * h * params.reaction_area_factor)


@pytest.fixture(scope="module")
def discharged():
    return halfcell_discharge(small_electrode(), voxel_um=0.5, c_rate=2.0, frames=5,
                              tolerance=1e-8)


def test_charge_lithium_and_salt_are_conserved_to_the_solver_tolerance(discharged):
    # iterated to 1e-8 V and 1e-8 of the concentrations (the default 1e-6 leaves
    # ~1e-4 of the current and ~1e-6 of the lithium)
    assert discharged.conservation["charge"] < 1e-5
    assert discharged.conservation["lithium"] < 1e-6
    assert discharged.conservation["salt"] < 1e-10
    curve = discharged.discharge
    assert curve.voltage_v[-1] == pytest.approx(3.0)
    assert np.all(np.diff(curve.capacity_curve_mah_g) >= 0)
    assert 100 < curve.capacity_mah_g <= curve.practical_capacity_mah_g


def test_fields_are_stored_at_the_frames_on_their_phases(discharged):
    labels = discharged.labels
    assert set(discharged.fields) == set(FIELD_NAMES)
    lithiation = discharged.fields["lithiation"]
    assert lithiation.dtype == np.float16 and lithiation.shape[1:] == labels.shape
    assert len(lithiation) == len(discharged.frame_times_s) >= 4
    am = labels == 2
    assert np.all(lithiation[:, ~am] == 0)
    mean = lithiation[:, am].astype(float).mean(axis=1)
    assert np.all(np.diff(mean) > 0) and 0.45 < mean[0] and mean[-1] <= 1.0
    # the AM's mean lithiation at a frame is the charge passed by then (within float16)
    p = HalfCellParameters()
    charge = np.interp(discharged.frame_times_s, discharged.discharge.time_s,
                       discharged.discharge.capacity_curve_mah_g)
    expected = p.initial_lithiation + charge / (
        96485.33212 * p.c_max_mol_m3 / (p.am_density_g_cm3 * 1e6) / 3.6)
    assert mean == pytest.approx(expected, abs=2e-3)
    assert 0 < discharged.reacting_share <= 1


@pytest.mark.parametrize("c_rate", [0.5, 2.0])
def test_a_layered_electrode_matches_pybamm(c_rate):
    check = layered_against_pybamm(c_rate, thickness_um=10.0)
    assert abs(check["capacity_error"]) < 0.02
    assert check["voltage_rms_mv"] < 10.0


def test_an_electrolyte_limited_thick_film_matches_pybamm():
    # 80 um at 4C: the salt runs out near the collector, the capacity is half the window,
    # and the first steps' potentials move far (damped sweeps)
    check = layered_against_pybamm(4.0, thickness_um=80.0, voxel_um=1.0)
    assert check["capacity_pybamm_mah_g"] < 0.6 * 147.0
    assert abs(check["capacity_error"]) < 0.02
    assert check["voltage_rms_mv"] < 10.0


def test_a_slow_discharge_reaches_the_practical_window():
    labels = layered_image(5.0, 0.5)
    slow = halfcell_discharge(labels, voxel_um=0.5, c_rate=0.02, frames=1, require_cbd=False,
                              params=HalfCellParameters(reaction_area_factor=1.0))
    assert slow.capacity_mah_g == pytest.approx(slow.discharge.practical_capacity_mah_g,
                                                rel=0.02)


def test_refining_the_grid_changes_the_capacity_little():
    params = HalfCellParameters(reaction_area_factor=1.0)
    coarse, fine = (halfcell_discharge(layered_image(24.0, voxel, am_voxels=2, pore_voxels=2),
                                       voxel_um=voxel, c_rate=2.0, frames=1, params=params,
                                       require_cbd=False) for voxel in (1.0, 0.5))
    assert fine.capacity_mah_g == pytest.approx(coarse.capacity_mah_g, rel=0.02)


def test_the_line_discharges_with_the_voxel_half_cell(tmp_path):
    import pandas as pd

    from electroforge import line
    from electroforge.line.frames import load_frames
    from electroforge.line.runner import frames_files
    from helpers import small_line

    GRID = 16               # 0.75 um voxels: the half-cell's network a third of 0.5 um's

    recipe = pd.DataFrame({"am_wt_pct": [92.0], "sc_wt_pct": [62.0], "cr_pct": [30.0],
                           "c_rate": [2.0]})

    def run(**kwargs):
        return line.run(recipe, grid=GRID, seed=0, workers=0, params=small_line(),
                        cache_dir=tmp_path / "cache", progress=False, **kwargs)

    dfn = run()
    cell = run(discharge="halfcell", frames_dir=tmp_path / "frames")
    assert cell.at[0, "error"] == "" and dfn.at[0, "error"] == ""
    # the same film: every property but the discharge's is the DFN run's
    for name in ("porosity", "tortuosity_factor", "conductivity_s_m", "thickness_um"):
        assert cell.at[0, name] == dfn.at[0, name]
    practical = cell.at[0, "practical_capacity_mah_g"]
    assert 0.5 * practical < cell.at[0, "capacity_mah_g"] <= practical
    assert abs(cell.at[0, "capacity_mah_g"] - dfn.at[0, "capacity_mah_g"]) < 0.15 * practical
    assert 0 < cell.at[0, "reacting_surface_share"] <= 1
    # its fields lie beside the calendering frames, float16 on the film's voxels
    (stored,) = frames_files(recipe, tmp_path / "frames", grid=GRID, params=small_line(),
                             discharge="halfcell")
    frames = load_frames(stored)
    lithiation = frames["halfcell_lithiation"]
    assert lithiation.dtype == np.float16
    assert lithiation.shape[1:] == frames["halfcell_labels"].shape
    assert len(frames["halfcell_frame_times_s"]) == len(lithiation) >= 10
    # cached apart from the DFN's results, and found again without a solve
    import electroforge.line.halfcell as halfcell

    def refuse(*args, **kwargs):
        raise AssertionError("solved again")

    original, halfcell.halfcell_discharge = halfcell.halfcell_discharge, refuse
    try:
        pd.testing.assert_frame_equal(run(discharge="halfcell"), cell)
    finally:
        halfcell.halfcell_discharge = original
    with pytest.raises(InputError, match="unknown discharge"):
        run(discharge="comsol")
    with pytest.raises(InputError, match="unknown device"):
        run(discharge="halfcell", device="tpu")
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA device here"):
            run(discharge="halfcell", device="cuda")
    with pytest.raises(InputError, match="the device runs the voxel half-cell"):
        run(device="cuda")
    with pytest.raises(InputError, match="needs a C-rate"):
        line.run(recipe.drop(columns="c_rate"), grid=GRID, workers=0,
                 params=small_line(), cache_dir=tmp_path / "cache", progress=False,
                 discharge="halfcell")
