import numpy as np
import pandas as pd
import pytest

from electroforge import Space, default_space, design
from electroforge.errors import DesignError


def test_known_discrepancy_value_from_scipy_docs():
    # scipy.stats.qmc.discrepancy's documented example: CD = 0.008142039609053464.
    space = Space.from_bounds({"a": (0.5, 6.5), "b": (0.5, 6.5)})
    points = pd.DataFrame([[1, 3], [2, 6], [3, 2], [4, 5], [5, 1], [6, 4]], columns=["a", "b"],
                          dtype=float)
    assert design.discrepancy(space, points) == pytest.approx(0.008142039609053464, rel=1e-12)


def test_designs_rank_as_theory_says():
    space = default_space()
    n = 256
    sob = design.space_filling(space, design.sobol(space, n, seed=0))
    lhs = design.space_filling(space, design.lhs(space, n, seed=0))
    assert sob.value < lhs.value < sob.random_median
    assert sob.ratio_to_random < 0.2
    assert "CD discrepancy" in str(sob) and sob.n_points == n


def test_large_designs_are_subsampled(monkeypatch):
    import electroforge.design.quality as quality

    monkeypatch.setattr(quality, "MAX_POINTS", 100)
    space = default_space()
    report = design.space_filling(space, design.sobol(space, 256, seed=0))
    assert report.n_points == 100


def test_errors():
    space = default_space()
    recipes = design.sobol(space, 8, seed=0)
    with pytest.raises(DesignError, match="unknown discrepancy method"):
        design.discrepancy(space, recipes, method="XX")
    with pytest.raises(DesignError, match="at least two"):
        design.discrepancy(space, recipes.iloc[:1])
    outside = recipes.assign(cr_pct=80.0)
    with pytest.raises(DesignError, match="outside the space"):
        design.discrepancy(space, outside)
    with pytest.raises(DesignError, match="outside the space"):
        design.discrepancy(space, recipes.assign(cr_pct=np.nan))
