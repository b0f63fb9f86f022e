import numpy as np
import pytest

from electroforge.line.dem import AM, CBD
from electroforge.line.particles import make_slurry


def test_phase_volumes_are_exact_and_spheres_do_not_overlap(small):
    slurry = make_slurry(90.0, 60.0, small, rng=np.random.default_rng(1))
    comp = slurry.composition
    dry_volume = 4 / 3 * np.pi * slurry.dry_radii_um**3
    assert dry_volume[slurry.kinds == AM].sum() == pytest.approx(comp.am_volume_um3, rel=1e-9)
    assert dry_volume[slurry.kinds == CBD].sum() == pytest.approx(comp.cbd_volume_um3, rel=1e-9)
    wet_cbd = 4 / 3 * np.pi * slurry.radii_um[slurry.kinds == CBD] ** 3
    bound = small.bound_solvent_fraction * comp.solvent_volume_um3
    assert wet_cbd.sum() == pytest.approx(comp.cbd_volume_um3 + bound, rel=1e-9)
    pos, r = slurry.positions_um, slurry.radii_um
    delta = pos[:, None] - pos[None]
    delta[..., :2] -= small.footprint_um * np.round(delta[..., :2] / small.footprint_um)
    gap = np.linalg.norm(delta, axis=-1) - (r[:, None] + r[None])
    np.fill_diagonal(gap, np.inf)
    assert gap.min() >= -1e-9


def test_same_seed_same_particles(small):
    a = make_slurry(92.0, 65.0, small, rng=np.random.default_rng(3))
    b = make_slurry(92.0, 65.0, small, rng=np.random.default_rng(3))
    assert np.array_equal(a.positions_um, b.positions_um) and np.array_equal(a.radii_um, b.radii_um)


def test_more_solvent_swells_the_wet_cbd(small):
    dilute = make_slurry(90.0, 55.0, small, rng=np.random.default_rng(0))
    thick = make_slurry(90.0, 70.0, small, rng=np.random.default_rng(0))
    assert dilute.radii_um[dilute.kinds == CBD][0] > thick.radii_um[thick.kinds == CBD][0]


def test_sauter_radius_is_the_lognormals_without_truncation():
    from electroforge.line import LineParameters
    from electroforge.line.particles import sauter_radius_um

    # untruncated lognormal: Sauter diameter = median x exp(2.5 sigma^2)
    wide = LineParameters(am_min_diameter_um=0.01, am_max_diameter_um=1000.0)
    expected = wide.am_median_diameter_um * np.exp(2.5 * wide.am_diameter_sigma**2) / 2
    assert sauter_radius_um(wide) == pytest.approx(expected, rel=1e-6)
    # truncation at 2-14 um cuts the large particles that weigh most in d^3 / d^2
    assert sauter_radius_um(LineParameters()) < expected
