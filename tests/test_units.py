import pytest

from electroforge.errors import SpaceError
from electroforge.units import KNOWN_UNITS, canonical_unit


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("wt%", "wt%"), ("wt.%", "wt%"), ("WT %", "wt%"), ("µm", "um"), ("g/cc", "g/cm3"),
     ("C", "1/h"), ("h^-1", "1/h"), ("", "-"), ("s/m", "S/m"), ("MAH/G", "mAh/g")],
)
def test_aliases_map_to_canonical(written, canonical):
    assert canonical_unit(written) == canonical


def test_every_known_unit_is_its_own_canonical_form():
    assert all(canonical_unit(unit) == unit for unit in KNOWN_UNITS)


def test_unknown_unit_names_field_and_lists_allowed():
    with pytest.raises(SpaceError) as info:
        canonical_unit("furlongs", field="cr_pct")
    message = str(info.value)
    assert "cr_pct" in message and "'furlongs'" in message and "wt%" in message


def test_non_text_unit_is_refused():
    with pytest.raises(SpaceError, match="unit must be text"):
        canonical_unit(3)
