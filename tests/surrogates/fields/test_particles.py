import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.surrogates.fields.baselines import affine_conserving, film_height
from electroforge.surrogates.fields.particles import (particle_squeeze, particles_of,
                                                      relax_overlaps)
from electroforge.surrogates.fields.phases import AM, CBD, VOID

VOXEL_UM, GRID = 0.5, 40          # a 20 um box
#: AM spheres (x, y, z, r um): two layers, one cut by the periodic boundary in x
AM_SPHERES = np.array([[0.4, 5.0, 3.2, 3.0], [10.0, 5.5, 3.0, 2.8], [5.0, 14.0, 3.1, 3.1],
                       [15.0, 15.0, 3.0, 2.9], [5.5, 6.0, 9.6, 3.0], [14.5, 8.0, 9.4, 2.7],
                       [9.0, 16.0, 9.8, 3.0]])
CBD_SPHERES = np.array([[3.3, 5.0, 3.2, 0.8], [12.7, 5.5, 3.0, 0.8], [5.0, 11.0, 9.6, 0.8],
                        [9.0, 13.2, 9.8, 0.8]])


def dried_image() -> np.ndarray:
    from electroforge.line.voxels import voxelize

    spheres = np.vstack([AM_SPHERES, CBD_SPHERES])
    kinds = np.array([AM] * len(AM_SPHERES) + [CBD] * len(CBD_SPHERES))
    volume = lambda s: float((4.0 / 3.0 * np.pi * s[:, 3] ** 3).sum())  # noqa: E731
    return voxelize(spheres[:, :3], spheres[:, 3], kinds, footprint_um=GRID * VOXEL_UM,
                    top_um=13.0, grid=GRID, am_volume_um3=volume(AM_SPHERES),
                    cbd_volume_um3=1.2 * volume(CBD_SPHERES), cbd_neck_fraction=0.25)


def am_faces(labels: np.ndarray) -> int:
    """Voxel faces between AM and anything else (the collector's and the periodic x, y)."""
    am = labels == AM
    return sum(int((am != np.roll(am, 1, axis)).sum()) for axis in (1, 2)) + int(
        (am[1:] != am[:-1]).sum())


def test_particles_of_finds_the_spheres_a_line_image_was_drawn_from():
    particles = particles_of(dried_image(), VOXEL_UM)
    assert len(particles) == len(AM_SPHERES)
    for x, y, z, r in AM_SPHERES:
        apart = particles.centres_um - [x, y, z]
        apart[:, :2] -= GRID * VOXEL_UM * np.round(apart[:, :2] / (GRID * VOXEL_UM))
        found = int(np.argmin(np.linalg.norm(apart, axis=1)))
        # the one cut by the boundary is one particle, its centre where it was drawn
        assert np.linalg.norm(apart[found]) < 0.5 * VOXEL_UM
        assert particles.radii_um[found] == pytest.approx(r, rel=0.08)


def test_the_spheres_drawn_again_give_the_image_back():
    from electroforge.line.voxels import draw_to_volume

    dried = dried_image()
    particles = particles_of(dried, VOXEL_UM)
    drawn = np.zeros_like(dried)
    drawn[dried == VOID] = VOID
    draw_to_volume(drawn, particles.centres_um, particles.radii_um, AM, int((dried == AM).sum()),
                   VOXEL_UM, keep=(VOID,))
    same = ((drawn == AM) & (dried == AM)).sum() / (dried == AM).sum()
    assert same > 0.97
    assert am_faces(drawn) == pytest.approx(am_faces(dried), rel=0.02)


def test_relaxation_separates_a_pair_and_keeps_their_centre_of_volume():
    centres = np.array([[5.0, 5.0, 4.0], [6.0, 5.5, 4.0]])
    radii = np.array([2.0, 1.0])
    moved = relax_overlaps(centres, radii, box_um=20.0, top_um=10.0, allowed_overlap=0.0)
    assert np.linalg.norm(moved[1] - moved[0]) == pytest.approx(3.0, abs=2e-3)
    # each move is the other's share of the excess: the volume-weighted centre stays
    weights = radii[:, None] ** 3
    assert (weights * moved).sum(axis=0) == pytest.approx((weights * centres).sum(axis=0))
    # the smaller sphere moved 8 times as far, along the line of centres
    assert np.linalg.norm(moved[1] - centres[1]) == pytest.approx(
        8 * np.linalg.norm(moved[0] - centres[0]))
    # an allowed overlap is kept
    kept = relax_overlaps(centres, radii, box_um=20.0, top_um=10.0, allowed_overlap=0.2)
    assert np.linalg.norm(kept[1] - kept[0]) == pytest.approx(3.0 - 0.2 * 1.0, abs=2e-3)


def test_relaxation_is_periodic_and_stays_inside_the_film():
    # across the boundary in x: pushed apart across it, not through the whole box
    moved = relax_overlaps(np.array([[0.5, 5.0, 3.0], [19.5, 5.0, 3.0]]), np.array([1.5, 1.5]),
                           box_um=20.0, top_um=10.0, allowed_overlap=0.0)
    assert moved[0, 0] == pytest.approx(1.5, abs=2e-3) and moved[1, 0] == pytest.approx(18.5,
                                                                                        abs=2e-3)
    # a stack taller than the film cannot separate in z: it slides sideways, inside the film
    stacked = relax_overlaps(np.array([[5.0, 5.0, 1.0], [5.0, 5.2, 1.5]]), np.array([2.0, 2.0]),
                             box_um=20.0, top_um=5.0, allowed_overlap=0.0)
    assert np.all(stacked[:, 2] >= 2.0 - 1e-9) and np.all(stacked[:, 2] <= 3.0 + 1e-9)
    apart = stacked[1] - stacked[0]
    assert np.linalg.norm(apart) == pytest.approx(4.0, abs=2e-3)
    # two spheres at one centre: parted (along x), not left as they were
    same = relax_overlaps(np.array([[5.0, 5.0, 3.0], [5.0, 5.0, 3.0]]), np.array([1.0, 1.0]),
                          box_um=20.0, top_um=10.0, allowed_overlap=0.0)
    assert np.linalg.norm(same[1] - same[0]) == pytest.approx(2.0, abs=2e-3)
    # a box of two sides: periodic over each
    across = relax_overlaps(np.array([[5.0, 0.5, 3.0], [5.0, 9.5, 3.0]]), np.array([1.5, 1.5]),
                            box_um=(20.0, 10.0), top_um=10.0, allowed_overlap=0.0)
    assert across[:, 1] == pytest.approx([1.5, 8.5], abs=2e-3)
    with pytest.raises(InputError, match="allowed_overlap"):
        relax_overlaps(np.zeros((2, 3)), np.ones(2), box_um=1.0, top_um=1.0, allowed_overlap=1.0)


def test_particle_squeeze_keeps_the_masses_the_film_and_the_particles():
    dried = dried_image()
    height = film_height(dried)
    top = round(0.7 * height)
    squeezed = particle_squeeze(dried, VOXEL_UM, top)
    for phase in (AM, CBD):
        assert (squeezed == phase).sum() == (dried == phase).sum()
    assert film_height(squeezed) == top and (squeezed[top:] == VOID).all()
    assert not (squeezed[:top] == VOID).any()
    # the particles keep their size: as many, as large (the squeeze flattens them instead)
    moved = particles_of(squeezed, VOXEL_UM)
    assert len(moved) == len(AM_SPHERES)
    assert np.sort(moved.radii_um) == pytest.approx(np.sort(AM_SPHERES[:, 3]), rel=0.1)
    # and their surface but what their contacts take (at most the allowed overlap), where
    # the affine squeeze presses the layers of particles into one another (here -5.3 %
    # against -3.5 %; -18 % on the line's held-out series)
    assert am_faces(squeezed) == pytest.approx(am_faces(dried), rel=0.05)
    assert am_faces(affine_conserving(dried, top / height)) < am_faces(squeezed)
    # the whole film given: the image back (its spheres do not overlap)
    same = particle_squeeze(dried, VOXEL_UM, height)
    assert ((same == AM) == (dried == AM)).mean() > 0.99


def test_particle_squeeze_refuses_what_it_cannot_squeeze():
    dried = dried_image()
    with pytest.raises(InputError, match="film_layers"):
        particle_squeeze(dried, VOXEL_UM, 0)
    with pytest.raises(InputError, match="AM particles"):
        particle_squeeze(np.where(dried == AM, 0, dried).astype(np.uint8), VOXEL_UM, 10)


def test_a_rectangular_image_is_periodic_over_each_side():
    dried = dried_image()
    wide = np.concatenate([dried, dried], axis=2)              # 40 x 80 in plane, periodic
    assert len(particles_of(wide, VOXEL_UM)) == 2 * len(AM_SPHERES)
    squeezed = particle_squeeze(wide, VOXEL_UM, round(0.8 * film_height(wide)))
    for phase in (AM, CBD):
        assert (squeezed == phase).sum() == (wide == phase).sum()
    assert am_faces(squeezed) == pytest.approx(am_faces(wide), rel=0.05)


def test_a_film_too_thin_for_its_solids_is_refused():
    dried = dried_image()
    solids = int(np.isin(dried, (AM, CBD)).sum())
    fewest = -(-solids // (GRID * GRID))
    with pytest.raises(InputError, match=f"film_layers.*value {fewest - 1}: a film too thin "
                                         f"for its solids; allowed: at least {fewest} layers"):
        particle_squeeze(dried, VOXEL_UM, fewest - 1)


def test_a_next_model_decoded_as_particles_springs_back_as_its_law_states(monkeypatch):
    from electroforge.surrogates.fields.calendering import film_layers, load_calendering_model
    from electroforge.surrogates.fields.training import gap_ratio

    model = load_calendering_model()                    # the shipped next-frame model
    assert model.task == "next"
    # this film is too porous for the law to spring it back (it clips to 0): given 10 %
    monkeypatch.setattr(model, "spring_back", lambda dried, gap_strain: 0.1)
    dried = dried_image()
    out = model.calender(dried, 30.0, decode="particles")
    gap = gap_ratio(dried, 0.3, model.header["porosity_floor"])
    assert film_height(out) == film_layers(dried, 1.0 - 1.1 * gap) > film_layers(dried,
                                                                                 1.0 - gap)
    for phase in (AM, CBD):
        assert (out == phase).sum() == (dried == phase).sum()
