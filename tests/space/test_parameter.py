import math

import pytest

from electroforge.errors import SpaceError
from electroforge.space import Parameter


def test_numbers_are_stored_as_floats_and_unit_canonical():
    param = Parameter("am_wt_pct", 85, 97, unit="wt.%", stage="slurry")
    assert (param.low, param.high, param.unit) == (85.0, 97.0, "wt%")
    assert isinstance(param.low, float) and param.span == 12.0


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"name": "am_wt_pct", "low": 97, "high": 85}, "low bound must be below high bound"),
        ({"name": "am_wt_pct", "low": 5, "high": 5}, "low bound must be below high bound"),
        ({"name": "x", "low": math.nan, "high": 1}, "low bound must be finite"),
        ({"name": "x", "low": 0, "high": math.inf}, "high bound must be finite"),
        ({"name": "x", "low": "0", "high": 1}, "low bound must be a number"),
        ({"name": "x", "low": True, "high": 2}, "low bound must be a number"),
        ({"name": "2x", "low": 0, "high": 1}, "identifier"),
        ({"name": "x y", "low": 0, "high": 1}, "identifier"),
        ({"name": "x", "low": 0, "high": 1, "unit": "parsec"}, "unknown unit"),
        ({"name": "x", "low": 0, "high": 1, "stage": "mixing"}, "unknown stage"),
        ({"name": "x", "low": 0, "high": 1, "fixed": 2}, "fixed value is outside the bounds"),
    ],
)
def test_invalid_parameters_are_refused_with_a_precise_message(kwargs, fragment):
    with pytest.raises(SpaceError, match=fragment) as info:
        Parameter(**kwargs)
    assert info.value.allowed


def test_reversed_bounds_message_names_the_parameter_value_and_rule():
    with pytest.raises(SpaceError) as info:
        Parameter("am_wt_pct", 97, 85)
    assert str(info.value) == ("field 'am_wt_pct': value 97:85: low bound must be below high "
                               "bound; allowed: low < high")


def test_fixed_parameters():
    held = Parameter.fixed_at("c_rate", 1.0, unit="C")
    assert held.is_fixed and held.low == held.high == held.fixed == 1.0
    free = Parameter("c_rate", 0.25, 4, unit="1/h")
    assert free.with_fixed(2).fixed == 2.0
    assert not free.with_fixed(2).with_fixed(None).is_fixed
    with pytest.raises(SpaceError, match="outside the bounds"):
        free.with_fixed(5)


def test_parameters_are_frozen():
    param = Parameter("x", 0, 1)
    with pytest.raises(AttributeError):
        param.low = 0.5  # type: ignore[misc]


def test_to_dict_omits_unset_fields():
    assert Parameter("x", 0, 1).to_dict() == {"name": "x", "low": 0.0, "high": 1.0, "unit": "-"}
