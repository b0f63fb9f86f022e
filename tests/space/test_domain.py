import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.space.domain import DataDomain, check_trust_margin, domain_text

BOUNDS = ((0.0, 10.0), (0.0, 100.0))


def grid_domain():
    # the data: a 5 x 5 grid over x in [2, 6], y in [20, 60]
    xs, ys = np.meshgrid(np.linspace(2, 6, 5), np.linspace(20, 60, 5))
    return DataDomain(("x", "y"), np.column_stack([xs.ravel(), ys.ravel()]), BOUNDS)


def test_ranges_distance_and_trust_bounds_have_known_values():
    domain = grid_domain()
    assert domain.low.tolist() == [2.0, 20.0] and domain.high.tolist() == [6.0, 60.0]
    # in the unit cube (x / 10, y / 100): (7, 60) is 0.1 from the data's corner (6, 60)
    assert domain.distance([[7.0, 60.0]])[0] == pytest.approx(0.1)
    assert domain.distance([[4.0, 40.0]])[0] == 0.0
    # the box widened by 10 % of each range, clipped to the space
    assert np.allclose(domain.trust_bounds(0.1), [(1.0, 7.0), (10.0, 70.0)])
    assert np.allclose(domain.trust_bounds(0.0), [(2.0, 6.0), (20.0, 60.0)])
    assert np.allclose(domain.trust_bounds(1.0), BOUNDS)
    # in the grid's box no point is farther than half a cell's diagonal: 0.05 * sqrt(2)
    assert 0.03 < domain.gap_limit <= 0.05 * np.sqrt(2) + 1e-12


def test_a_recipe_outside_the_data_is_flagged_with_its_parameter_and_distance():
    domain = grid_domain()
    inside = domain.check({"x": 3.0, "y": 30.0})
    assert inside["inside"] and inside["outside"] == []
    assert domain_text(inside).startswith("inside the data")
    beyond = domain.check({"x": 9.0, "y": 40.0})
    assert not beyond["inside"]
    assert beyond["outside"] == [{"name": "x", "value": 9.0, "low": 2.0, "high": 6.0}]
    assert beyond["distance"] == pytest.approx(0.3)
    text = domain_text(beyond)
    assert "x 9 beyond the data's 2-6" in text and "0.300 from the nearest" in text
    # inside every range but in a hole of the data: flagged by its distance alone
    ring = grid_domain().points[[not (2 < x < 6 and 20 < y < 60)
                                 for x, y in grid_domain().points]]
    hole = DataDomain(("x", "y"), ring, BOUNDS).check({"x": 4.0, "y": 40.0})
    assert hole["outside"] == [] and not hole["inside"]


def test_bad_margins_and_data_are_refused():
    assert check_trust_margin(None) is None and check_trust_margin(0) == 0.0
    for bad in (-0.1, 1.5, "wide", True, float("nan")):
        with pytest.raises(InputError, match="trust"):
            check_trust_margin(bad)
    with pytest.raises(InputError, match="one column per parameter"):
        DataDomain(("x", "y"), [[1.0, 2.0, 3.0]], BOUNDS)
    with pytest.raises(InputError, match="finite"):
        DataDomain(("x", "y"), [[1.0, np.nan]], BOUNDS)
