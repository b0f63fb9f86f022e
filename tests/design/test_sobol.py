import numpy as np
import pytest

from electroforge import Space, default_space, design
from electroforge.errors import DesignError, DesignWarning


def strata(values, low, high, n):
    """Index of the 1/n-wide stratum of [low, high] each value falls in."""
    return np.floor((np.asarray(values) - low) / (high - low) * n).astype(int)


@pytest.mark.parametrize("m", [3, 5, 7])
def test_power_of_two_sizes_are_balanced_in_every_dimension(m):
    space = default_space()
    n = 2**m
    recipes = design.sobol(space, n, seed=11)
    for param in space:
        assert sorted(strata(recipes[param.name], param.low, param.high, n)) == list(range(n))


def test_first_two_dimensions_form_a_zero_net():
    # Sobol' dims 1-2 have t = 0: every elementary box of volume 1/n holds one point.
    space = Space.from_bounds({"a": (0, 1), "b": (0, 1)})
    n = 64
    cube = design.sobol(space, n, seed=3).to_numpy()
    for a in range(7):
        cells = strata(cube[:, 0], 0, 1, 2**a) * 2 ** (6 - a) + strata(cube[:, 1], 0, 1, 2 ** (6 - a))
        assert sorted(cells) == list(range(n))


def test_same_seed_same_design_other_seed_other_design():
    space = default_space()
    first = design.sobol(space, 32, seed=1)
    assert first.equals(design.sobol(space, 32, seed=1))
    assert not first.equals(design.sobol(space, 32, seed=2))


def test_columns_order_and_metadata():
    recipes = design.sobol(default_space(), 16, seed=4)
    assert list(recipes.columns) == ["am_wt_pct", "sc_wt_pct", "cr_pct", "c_rate"]
    assert recipes.attrs["design"] == {"method": "sobol", "seed": 4, "n": 16}


def test_non_power_of_two_warns_with_the_nearest_sizes():
    with pytest.warns(DesignWarning, match=r"n=100 is not a power of two.*n=64 or n=128"):
        recipes = design.sobol(default_space(), 100, seed=0)
    assert len(recipes) == 100


def test_fixed_parameter_is_constant():
    recipes = design.sobol(default_space().fix({"c_rate": 2.0}), 8, seed=0)
    assert (recipes["c_rate"] == 2.0).all()


@pytest.mark.parametrize("n", [0, -4, 2.5, "8", True])
def test_bad_sizes_are_refused(n):
    with pytest.raises(DesignError, match="field 'n'"):
        design.sobol(default_space(), n, seed=0)


def test_a_space_is_required():
    with pytest.raises(DesignError, match="not a Space"):
        design.sobol({"x": (0, 1)}, 8, seed=0)
