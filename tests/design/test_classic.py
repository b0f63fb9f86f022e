import numpy as np
import pytest

from electroforge import default_space, design


def test_lhs_puts_one_point_in_every_stratum_of_every_parameter():
    space = default_space()
    n = 37
    recipes = design.lhs(space, n, seed=5)
    for param in space:
        cells = np.floor((recipes[param.name] - param.low) / param.span * n).astype(int)
        assert sorted(cells) == list(range(n))


@pytest.mark.parametrize("method", [design.lhs, design.random])
def test_inside_bounds_and_reproducible(method):
    space = default_space()
    recipes = method(space, 200, seed=1)
    assert ((recipes.to_numpy() >= space.bounds[:, 0]) & (recipes.to_numpy() <= space.bounds[:, 1])).all()
    assert recipes.equals(method(space, 200, seed=1))
    assert not recipes.equals(method(space, 200, seed=2))


def test_random_is_uniform():
    # Mean of U(low, high) is the midpoint; with 20000 points the error is below 4 sigma.
    space = default_space()
    recipes = design.random(space, 20000, seed=0)
    for param in space:
        sigma = param.span / np.sqrt(12 * 20000)
        assert abs(recipes[param.name].mean() - (param.low + param.high) / 2) < 4 * sigma
