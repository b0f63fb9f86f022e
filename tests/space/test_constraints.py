import pandas as pd
import pytest

from electroforge.errors import InputError
from electroforge.space.constraints import LinearConstraint

NAMES = ("am_wt_pct", "sc_wt_pct", "cr_pct", "c_rate")


def test_parse_and_evaluate():
    c = LinearConstraint.parse("2*am_wt_pct - cr_pct >= 150 + sc_wt_pct", NAMES)
    assert c.coefficients == (("am_wt_pct", 2.0), ("cr_pct", -1.0), ("sc_wt_pct", -1.0))
    assert c.op == ">=" and c.bound == 150.0
    table = pd.DataFrame({"am_wt_pct": [90.0, 100.0], "sc_wt_pct": [10.0, 10.0],
                          "cr_pct": [20.0, 20.0]})
    assert c.slack(table).tolist() == [0.0, 20.0]      # 180 - 20 - 10 - 150


def test_botorch_form_folds_fixed_parameters():
    c = LinearConstraint.parse("am_wt_pct + 0.5*cr_pct + 10*c_rate <= 120", NAMES)
    indices, coefficients, rhs = c.botorch(["cr_pct", "am_wt_pct"], {"c_rate": 1.0})
    # -x_am - 0.5 x_cr >= -(120 - 10)
    assert indices == [1, 0] and coefficients == [-1.0, -0.5] and rhs == -110.0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("am_wt_pct < 3", "cannot read"), ("am_wt_pct*cr_pct <= 3", "not linear"),
     ("am_wt_pct**2 >= 1", "not linear"), ("colour <= 2", "unknown parameter"),
     ("3 <= 4", "names no parameter"), ("am_wt_pct + <= 3", "cannot read")],
)
def test_bad_constraints(text, fragment):
    with pytest.raises(InputError, match=fragment):
        LinearConstraint.parse(text, NAMES)
