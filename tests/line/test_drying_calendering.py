import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.line.calendering import calender
from electroforge.line.chain import contact_model
from electroforge.line.dem import AM, overlap_stats
from electroforge.line.drying import dry
from electroforge.line.particles import make_slurry


@pytest.fixture(scope="module")
def dried(small):
    slurry = make_slurry(90.0, 62.0, small, rng=np.random.default_rng(5))
    return slurry, dry(slurry, small, contact_model(small))


def test_dried_film_is_consolidated_and_shrunk(dried):
    slurry, film = dried
    assert film.thickness_um < slurry.height_um          # the wet film shrank
    assert np.array_equal(film.state.radii, slurry.dry_radii_um)
    assert 0.3 < film.porosity < 0.75
    # porosity is 1 - solids / film volume
    expected = 1 - slurry.composition.solids_volume_um3 / (slurry.composition.area_um2 * film.thickness_um)
    assert film.porosity == pytest.approx(expected)


def test_lower_solid_content_dries_more_porous(small):
    porosity = []
    for sc in (56.0, 70.0):
        slurry = make_slurry(90.0, sc, small, rng=np.random.default_rng(2))
        porosity.append(dry(slurry, small, contact_model(small)).porosity)
    assert porosity[0] > porosity[1]


def test_porosity_falls_monotonically_with_compression(dried, small):
    slurry, film = dried
    solids = slurry.composition.solids_volume_um3
    porosity = []
    for cr in (0.0, 15.0, 30.0, 45.0):
        result = calender(film, cr, small, contact_model(small))
        porosity.append(1 - solids / (slurry.composition.area_um2 * result.thickness_um))
        assert len(result.frames) == 1 + small.load_frames + small.unload_frames + 1
        assert result.min_roll_um == pytest.approx(film.thickness_um * (1 - cr / 100))
        assert result.thickness_um >= result.min_roll_um - 1e-9   # spring-back, never below
    assert all(a > b for a, b in zip(porosity, porosity[1:]))


def test_particles_and_am_mass_are_conserved(dried, small):
    slurry, film = dried
    result = calender(film, 30.0, small, contact_model(small))
    am = result.kinds == AM
    for frame in result.frames:
        assert frame.positions_um.shape == film.state.positions.shape
        assert np.isfinite(frame.positions_um).all()
        assert (frame.positions_um[:, 2] >= -1e-6).all()
    volume = (4 / 3 * np.pi * result.radii_um[am] ** 3).sum()
    assert volume == pytest.approx(slurry.composition.am_volume_um3, rel=1e-9)
    assert overlap_stats(result.state())[0] < 1.0


def test_same_seed_same_microstructure_bit_for_bit(small):
    runs = []
    for _ in range(2):
        slurry = make_slurry(93.0, 60.0, small, rng=np.random.default_rng(11))
        film = dry(slurry, small, contact_model(small))
        runs.append(calender(film, 25.0, small, contact_model(small)).frames[-1].positions_um)
    assert np.array_equal(runs[0], runs[1])


def test_impossible_compression(dried, small):
    with pytest.raises(InputError, match="cr_pct"):
        calender(dried[1], 100.0, small, contact_model(small))
