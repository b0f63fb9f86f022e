import pytest

from electroforge.errors import DatasetError, InputError, SpaceError


def test_message_names_every_part_in_order():
    error = DatasetError("outside the space", source="d.csv", row=3, field="cr_pct", value=60.0,
                         allowed="0 <= cr_pct <= 50 %")
    assert str(error) == ("d.csv: row 3: field 'cr_pct': value 60.0: outside the space; "
                          "allowed: 0 <= cr_pct <= 50 %")


def test_errors_refine_value_error_and_keep_their_parts():
    error = SpaceError("bad", field="x", value=1, allowed="2")
    assert isinstance(error, ValueError) and isinstance(error, InputError)
    with pytest.raises(ValueError):
        raise error


def test_with_source_keeps_class_and_fields():
    error = SpaceError("bad", field="x", value=1, allowed="2").with_source("space.toml")
    assert type(error) is SpaceError
    assert (error.source, error.field, error.value, error.allowed) == ("space.toml", "x", 1, "2")
    assert str(error).startswith("space.toml: field 'x'")
