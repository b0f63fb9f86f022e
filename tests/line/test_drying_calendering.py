import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.line.calendering import calender, calendering_steps, densest_thickness_um
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
        # the roll goes to H0 (1 - CR), or stops where the film reaches the porosity floor
        assert result.min_roll_um == pytest.approx(
            max(film.thickness_um * (1 - cr / 100), densest_thickness_um(film, small)))
        assert result.thickness_um >= result.min_roll_um - 1e-9   # spring-back, never below
        assert porosity[-1] >= small.porosity_floor
    assert all(a > b for a, b in zip(porosity, porosity[1:]))


def test_the_floor_thickness_holds_the_floor_porosity_by_mass_balance(dried, small):
    slurry, film = dried
    floor = densest_thickness_um(film, small)
    solids = slurry.composition.solids_volume_um3 / slurry.composition.area_um2
    assert 1 - solids / floor == pytest.approx(small.porosity_floor, rel=1e-12)
    # far beyond the floor the film ends the same: the press takes the rest
    deep = [calender(film, cr, small, contact_model(small)) for cr in (70.0, 90.0)]
    assert deep[0].min_roll_um == pytest.approx(floor) == deep[1].min_roll_um
    thickness = [result.thickness_um for result in deep]
    assert thickness[0] == pytest.approx(thickness[1], rel=0.05)


@pytest.mark.parametrize("cr", [10.0, 30.0])
def test_spring_back_at_every_compression(dried, small, cr):
    result = calender(dried[1], cr, small, contact_model(small))
    # the binder's recovery alone: binder_recovery x compression / minimum gap
    binder = 100 * small.binder_recovery * cr / (100 - cr)
    assert result.spring_back_pct >= binder * 0.99
    assert 0 < result.spring_back_pct < 15


def test_mass_is_conserved_through_drying_and_calendering(dried, small):
    slurry, film = dried
    comp = slurry.composition
    dry_volume = 4 / 3 * np.pi * film.state.radii**3
    kinds = film.state.kinds
    # the dried spheres hold exactly the AM and the dry CBD volumes of the recipe ...
    assert dry_volume[kinds == AM].sum() == pytest.approx(comp.am_volume_um3, rel=1e-9)
    assert dry_volume[kinds != AM].sum() == pytest.approx(comp.cbd_volume_um3, rel=1e-9)
    # ... whose masses are the recipe's solids at its areal loading
    mass_mg = (comp.am_volume_um3 * small.am_density_g_cm3
               + comp.cbd_volume_um3 * small.cbd_density_g_cm3) * 1e-12 * 1e3
    assert mass_mg / (comp.area_um2 * 1e-8) == pytest.approx(small.areal_loading_mg_cm2, rel=1e-9)
    result = calender(film, 30.0, small, contact_model(small))
    assert np.array_equal(result.radii_um, film.state.radii)
    assert len(result.frames[-1].positions_um) == len(film.state.radii)


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
    with pytest.raises(InputError, match="cr_pct"):        # on the call, not on the first frame
        calendering_steps(dried[1], 100.0, small, contact_model(small))


def test_a_particle_moved_between_frames_changes_the_frames_from_there_on(dried, small):
    model = contact_model(small)
    plain = calender(dried[1], 30.0, small, model)
    for calendering, state in calendering_steps(dried[1], 30.0, small, model):
        if len(calendering.frames) == 3:                   # before frame 3 is made
            state.positions[0, 0] += 0.4
    assert len(calendering.frames) == len(plain.frames)
    for before, after in zip(plain.frames[:3], calendering.frames[:3]):
        assert np.array_equal(before.positions_um, after.positions_um)
    assert not np.array_equal(plain.frames[3].positions_um, calendering.frames[3].positions_um)
