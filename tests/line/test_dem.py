import numpy as np
import pytest

from electroforge.line.dem import AM, CBD, ContactModel, DemState, relax

BOX = 50.0


def pair(kind_a, kind_b, gap):
    positions = np.array([[10.0, 10.0, 10.0], [10.0 + 2.0 + gap, 10.0, 10.0]])
    return DemState(positions, np.array([1.0, 1.0]), np.array([kind_a, kind_b]), BOX)


def distance(state):
    return float(np.linalg.norm(state.positions[1] - state.positions[0]))


def test_elastic_overlap_relaxes_until_the_spheres_just_touch():
    # Any separated pair is an equilibrium; the minimizer may coast a little past contact
    # (FIRE keeps momentum) but never further than a few per cent of a radius.
    state = pair(AM, AM, -0.2)
    _, converged = relax(state, None, ContactModel(elastic=True), tolerance=1e-8, max_steps=20000)
    assert converged and 2.0 - 1e-8 <= distance(state) <= 2.1
    # action equals reaction: the centre of the pair stays put
    assert state.positions[:, 0].mean() == pytest.approx(10.9, abs=1e-9)


def test_separated_spheres_do_not_interact():
    state = pair(AM, AM, 0.3)
    before = state.positions.copy()
    relax(state, None, ContactModel(), tolerance=1e-8, max_steps=100)
    assert np.array_equal(state.positions, before)


def test_walls_push_a_sphere_inside_the_gap():
    state = DemState(np.array([[5.0, 5.0, 0.5]]), np.array([1.0]), np.array([AM]), BOX)
    relax(state, 3.0, ContactModel(), tolerance=1e-9, max_steps=20000)
    assert 1.0 - 1e-8 <= state.positions[0, 2] <= 1.1
    state = DemState(np.array([[5.0, 5.0, 2.5]]), np.array([1.0]), np.array([AM]), BOX)
    relax(state, 3.0, ContactModel(), tolerance=1e-9, max_steps=20000)
    assert 1.9 <= state.positions[0, 2] <= 2.0 + 1e-8


def test_periodic_neighbours_across_the_box_edge():
    positions = np.array([[0.5, 10.0, 10.0], [BOX - 1.0, 10.0, 10.0]])  # 1.5 apart through x = 0
    state = DemState(positions, np.array([1.0, 1.0]), np.array([AM, AM]), BOX)
    relax(state, None, ContactModel(elastic=True), tolerance=1e-9, max_steps=20000)
    delta = state.positions[0, 0] - state.positions[1, 0]
    assert 2.0 - 1e-8 <= delta - BOX * np.round(delta / BOX) <= 2.1


def test_hysteresis_leaves_the_plastic_overlap_of_walton_braun():
    # Squeeze two CBD spheres between walls to overlap d_max, release: the contact unloads
    # along k2 and the force vanishes at d0 = d_max (1 - k1 / k2). The minimizer may coast
    # one step past the force-free point: 3 % of a radius at most.
    model = ContactModel(cbd_unloading_ratio=4.0, cbd_adhesion=0.0)
    state = DemState(np.array([[5.0, 5.0, 1.0], [5.0, 5.0, 3.0]]), np.array([1.0, 1.0]),
                     np.array([CBD, CBD]), BOX)
    relax(state, 3.6, model, tolerance=1e-10, max_steps=50000)
    d_max = 2.0 - distance(state)
    assert d_max > 0.1
    relax(state, 10.0, model, tolerance=1e-10, max_steps=50000)  # roll lifted
    assert 2.0 - distance(state) == pytest.approx(d_max * (1 - 1 / 4.0), abs=0.03)
    elastic = DemState(np.array([[5.0, 5.0, 1.0], [5.0, 5.0, 3.0]]), np.array([1.0, 1.0]),
                       np.array([AM, AM]), BOX)
    relax(elastic, 3.6, ContactModel(am_unloading_ratio=1.0), tolerance=1e-10, max_steps=50000)
    relax(elastic, 10.0, ContactModel(am_unloading_ratio=1.0), tolerance=1e-10, max_steps=50000)
    assert 2.0 - 1e-6 <= distance(elastic) <= 2.1  # fully elastic: springs back


def test_adhesion_holds_cbd_contacts_together():
    model = ContactModel(cbd_unloading_ratio=2.0, cbd_adhesion=0.5)
    state = pair(CBD, CBD, -0.3)
    relax(state, None, model, tolerance=1e-10, max_steps=50000)
    # unloading line k2 (d - d0) reaches zero at d0 = 0.15; adhesion keeps the neck there
    assert 2.0 - distance(state) == pytest.approx(0.15, abs=0.03)
