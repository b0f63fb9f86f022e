import math

import numpy as np
import pandas as pd
import pytest

from electroforge.errors import InputError
from electroforge.sensitivity import sensitivity_plot, sobol_indices
from electroforge.space import Space

PI = math.pi
ISHIGAMI = Space.from_bounds({"x1": (-PI, PI), "x2": (-PI, PI), "x3": (-PI, PI)})


def ishigami(recipes, a=7.0, b=0.1):
    x1, x2, x3 = recipes.x1, recipes.x2, recipes.x3
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def ishigami_analytic(a=7.0, b=0.1):
    """Sobol' indices of the Ishigami function (Saltelli et al. 2008, Eq. 4.34)."""
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return {"S1": [v1 / total, v2 / total, 0.0],
            "ST": [(v1 + v13) / total, v2 / total, v13 / total],
            "S13": v13 / total}


@pytest.fixture(scope="module")
def table():
    return sobol_indices(ishigami, ISHIGAMI, n=2**14, seed=1)


def test_ishigami_indices_match_the_analytic_values(table):
    exact = ishigami_analytic()
    assert table["S1"].to_numpy() == pytest.approx(exact["S1"], abs=0.02)
    assert table["ST"].to_numpy() == pytest.approx(exact["ST"], abs=0.02)
    assert (table["S1_conf"] < 0.05).all() and (table["ST_conf"] < 0.05).all()
    second = pd.DataFrame(table.attrs["second_order"]).set_index(["parameter", "other"])
    assert second.loc[("x1", "x3"), "S2"] == pytest.approx(exact["S13"], abs=0.03)
    assert second.loc[("x1", "x2"), "S2"] == pytest.approx(0.0, abs=0.03)
    assert table.attrs["evaluations"] == 2**14 * 8


def test_several_outputs_from_a_predict_method_and_fixed_parameters():
    class Model:
        def predict(self, recipes):
            return pd.DataFrame({"lin": 3 * recipes.a + recipes.b,
                                 "only_b": recipes.b ** 2 + 0 * recipes.c})

    space = Space.from_bounds({"a": (0, 1), "b": (0, 1), "c": (0, 1)}).fix({"c": 0.5})
    table = sobol_indices(Model(), space, n=512, seed=0, second_order=False)
    assert list(table["output"]) == ["lin", "lin", "only_b", "only_b"]
    lin = table[table.output == "lin"].set_index("parameter")
    assert lin.loc["a", "S1"] == pytest.approx(0.9, abs=0.03)     # 9/12 over 10/12
    only_b = table[table.output == "only_b"].set_index("parameter")
    assert only_b.loc["a", "ST"] == pytest.approx(0.0, abs=1e-9)


def test_a_constant_output_among_others_gets_zero_indices_and_a_warning():
    from electroforge.errors import ElectroforgeWarning

    def func(r):
        return pd.DataFrame({"moving": 4 * r.x1 + r.x2, "pinned": np.full(len(r), 2.5)})

    with pytest.warns(ElectroforgeWarning, match="pinned does not vary"):
        table = sobol_indices(func, ISHIGAMI, n=256, seed=0)
    pinned = table[table.output == "pinned"]
    assert len(pinned) == 3 and (pinned[["S1", "ST", "S1_conf", "ST_conf"]] == 0).all().all()
    assert table[table.output == "moving"]["ST"].iloc[0] > 0.9
    second = pd.DataFrame(table.attrs["second_order"])
    assert (second[second.output == "pinned"]["S2"] == 0).all()


def test_plot(table, tmp_path):
    assert sensitivity_plot(table, tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("func", "fragment"),
    [(lambda r: np.zeros(len(r)), "does not vary"),
     (lambda r: np.where(r.x1 > 0, np.nan, 1.0), "non-finite"),
     (lambda r: np.ones(3), "wrong number of rows"),
     (lambda r: np.ones((len(r), 2, 2)), "one value or one row")],
)
def test_bad_functions(func, fragment):
    with pytest.raises(InputError, match=fragment):
        sobol_indices(func, ISHIGAMI, n=64, second_order=False)
