import numpy as np
import pytest

from electroforge import Space, default_space, design
from electroforge.errors import DesignError, DesignWarning


@pytest.mark.parametrize("second_order", [True, False])
@pytest.mark.parametrize("n", [8, 64])
def test_sizes(n, second_order):
    space = default_space()
    recipes = design.saltelli(space, n, seed=0, second_order=second_order)
    d = space.dim
    expected = n * (2 * d + 2) if second_order else n * (d + 2)
    assert len(recipes) == expected == design.saltelli_size(n, d, second_order=second_order)


def test_block_structure_is_saltellis_radial_scheme():
    # Each block: A, then A with column i taken from B (i = 0..D-1), [then B with column i
    # from A], then B. This is what SALib's analysis reads.
    space = Space.from_bounds({"a": (0, 1), "b": (0, 1), "c": (0, 1)})
    d = 3
    cube = design.saltelli(space, 8, seed=2).to_numpy().reshape(8, 2 * d + 2, d)
    a, b = cube[:, 0], cube[:, -1]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        np.testing.assert_array_equal(cube[:, 1 + i], ab)
        ba = b.copy()
        ba[:, i] = a[:, i]
        np.testing.assert_array_equal(cube[:, 1 + d + i], ba)


def test_fixed_parameters_are_left_out_of_the_sampling():
    recipes = design.saltelli(default_space().fix({"c_rate": 1.0}), 8, seed=0)
    assert len(recipes) == 8 * (2 * 3 + 2)
    assert (recipes["c_rate"] == 1.0).all()


def test_reproducible():
    space = default_space()
    assert design.saltelli(space, 16, seed=5).equals(design.saltelli(space, 16, seed=5))
    assert not design.saltelli(space, 16, seed=5).equals(design.saltelli(space, 16, seed=6))


def test_non_power_of_two_warns():
    with pytest.warns(DesignWarning, match="not a power of two"):
        design.saltelli(default_space(), 10, seed=0)


def test_second_order_needs_two_free_parameters():
    space = Space.from_bounds({"x": (0, 1)})
    with pytest.raises(DesignError, match="second-order"):
        design.saltelli(space, 8, seed=0)
    assert len(design.saltelli(space, 8, seed=0, second_order=False)) == 8 * 3


def test_two_parameters_repeat_a_row_by_construction():
    # With D = 2, A with column 1 from B equals B with column 0 from A: both are (a0, b1).
    space = Space.from_bounds({"a": (0, 1), "b": (0, 1)})
    cube = design.saltelli(space, 4, seed=0).to_numpy().reshape(4, 6, 2)
    np.testing.assert_array_equal(cube[:, 2], cube[:, 3])
