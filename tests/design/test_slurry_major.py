import numpy as np
import pytest

from electroforge import Space, default_space, design
from electroforge.errors import DesignError
from electroforge.space import Parameter

SLURRY = ["am_wt_pct", "sc_wt_pct"]


def strata(values, low, high, n):
    return np.floor((np.asarray(values) - low) / (high - low) * n).astype(int)


def test_structure_slurry_by_slurry():
    space = default_space()
    recipes = design.slurry_major(space, 5, 8, seed=0)
    assert len(recipes) == 40
    slurries = recipes[SLURRY].to_numpy().reshape(5, 8, 2)
    assert (slurries == slurries[:, :1]).all()                 # constant within a block
    assert len({tuple(block[0]) for block in slurries}) == 5   # distinct across blocks
    meta = recipes.attrs["design"]
    assert (meta["method"], meta["n_slurries"], meta["n_per_slurry"]) == ("slurry-major", 5, 8)
    assert meta["slurry_parameters"] == SLURRY


def test_slurries_form_a_latin_hypercube():
    space = default_space()
    k = 6
    recipes = design.slurry_major(space, k, 3, seed=7).drop_duplicates(SLURRY)
    for name in SLURRY:
        param = space[name]
        assert sorted(strata(recipes[name], param.low, param.high, k)) == list(range(k))


@pytest.mark.parametrize("per_slurry", [4, 8, 16])
def test_each_slurry_gets_a_stratified_sweep_of_conditions(per_slurry):
    space = default_space()
    recipes = design.slurry_major(space, 6, per_slurry, seed=3)
    for _, block in recipes.groupby(SLURRY, sort=False):
        for name in ("cr_pct", "c_rate"):
            param = space[name]
            assert sorted(strata(block[name], param.low, param.high, per_slurry)) == list(
                range(per_slurry))


def test_all_conditions_together_are_one_balanced_sobol_sequence():
    space = default_space()
    recipes = design.slurry_major(space, 4, 16, seed=1)   # 64 conditions
    assert sorted(strata(recipes["cr_pct"], 0, 50, 64)) == list(range(64))


def test_reproducible_and_seed_sensitive():
    space = default_space()
    first = design.slurry_major(space, 3, 4, seed=9)
    assert first.equals(design.slurry_major(space, 3, 4, seed=9))
    assert not first.equals(design.slurry_major(space, 3, 4, seed=10))


def test_explicit_slurry_parameters_and_fixed_c_rate():
    space = Space.from_bounds({"a": (0, 1), "b": (0, 1), "c": (0, 1)})
    recipes = design.slurry_major(space, 2, 4, seed=0, slurry_parameters=["a"])
    assert recipes["a"].nunique() == 2 and recipes["b"].nunique() == 8
    fixed = design.slurry_major(default_space().fix({"c_rate": 0.5}), 2, 4, seed=0)
    assert (fixed["c_rate"] == 0.5).all() and fixed["cr_pct"].nunique() == 8


def test_errors():
    space = default_space()
    with pytest.raises(DesignError, match="field 'n_slurries'"):
        design.slurry_major(space, 0, 4, seed=0)
    with pytest.raises(DesignError, match="field 'n_per_slurry'"):
        design.slurry_major(space, 2, 0, seed=0)
    with pytest.raises(DesignError, match="not a free parameter"):
        design.slurry_major(space, 2, 2, seed=0, slurry_parameters=["porosity"])
    with pytest.raises(DesignError, match="outside the slurry"):
        design.slurry_major(space, 2, 2, seed=0, slurry_parameters=list(space.names))
    unstaged = Space.from_bounds({"x": (0, 1), "y": (0, 1)})
    with pytest.raises(DesignError, match="no free parameter belongs to the slurry"):
        design.slurry_major(unstaged, 2, 2, seed=0)
    only_slurry = Space((Parameter("am_wt_pct", 85, 97, stage="slurry", unit="wt%"),))
    with pytest.raises(DesignError, match="outside the slurry"):
        design.slurry_major(only_slurry, 2, 2, seed=0)
