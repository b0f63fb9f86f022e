import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from electroforge import Space, default_space
from electroforge.errors import SpaceError
from electroforge.space import Parameter


def test_default_space_matches_the_spec():
    space = default_space()
    assert space.names == ("am_wt_pct", "sc_wt_pct", "cr_pct", "c_rate")
    assert space.bounds.tolist() == [[85, 97], [55, 72], [0, 50], [0.25, 4]]
    assert space.units == {"am_wt_pct": "wt%", "sc_wt_pct": "wt%", "cr_pct": "%", "c_rate": "1/h"}
    assert space.slurry_names() == ("am_wt_pct", "sc_wt_pct")


def test_from_bounds_takes_units_of_known_names():
    space = Space.from_bounds({"cr_pct": (10, 40), "x1": (0, 1)})
    assert space["cr_pct"].unit == "%" and space["cr_pct"].stage == "calendering"
    assert space["x1"].unit == "-" and space["x1"].stage is None


@pytest.mark.parametrize("pair", [5, (1,), (1, 2, 3), None])
def test_from_bounds_refuses_non_pairs(pair):
    with pytest.raises(SpaceError, match=r"\(low, high\)"):
        Space.from_bounds({"x": pair})


def test_duplicate_names_empty_and_all_fixed_are_refused():
    with pytest.raises(SpaceError, match="duplicate"):
        Space((Parameter("x", 0, 1), Parameter("x", 0, 2)))
    with pytest.raises(SpaceError, match="at least one parameter"):
        Space(())
    with pytest.raises(SpaceError, match="every parameter is fixed"):
        Space((Parameter.fixed_at("x", 1.0),))


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(SpaceError) as info:
        default_space()["porosity"]
    assert "am_wt_pct, sc_wt_pct, cr_pct, c_rate" in str(info.value)


def test_fixed_parameters_leave_the_cube_but_stay_as_columns():
    space = default_space().fix({"c_rate": 1.0})
    assert space.dim == 3 and space.free_names == ("am_wt_pct", "sc_wt_pct", "cr_pct")
    recipes = space.from_unit_cube([[0, 0.5, 1]])
    assert recipes.to_dict("records") == [
        {"am_wt_pct": 85.0, "sc_wt_pct": 63.5, "cr_pct": 50.0, "c_rate": 1.0}]


def test_with_bounds_and_fix_return_new_spaces():
    space = default_space()
    narrowed = space.with_bounds({"cr_pct": (10, 20)})
    assert (narrowed["cr_pct"].low, narrowed["cr_pct"].high) == (10.0, 20.0)
    assert space["cr_pct"].high == 50  # the original is unchanged


def test_unit_cube_shape_is_checked():
    with pytest.raises(SpaceError, match="wrong shape"):
        default_space().from_unit_cube(np.zeros((3, 2)))


def test_to_unit_cube_needs_every_free_column():
    with pytest.raises(SpaceError, match="lack a parameter column"):
        default_space().to_unit_cube(pd.DataFrame({"am_wt_pct": [90.0]}))


bounds = st.tuples(st.floats(-1e6, 1e6), st.floats(1e-3, 1e6)).map(lambda p: (p[0], p[0] + p[1]))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), bounds,
                       min_size=1, max_size=5),
       st.integers(1, 20), st.integers(0, 2**32))
def test_unit_cube_round_trip_and_bounds(mapping, n, seed):
    space = Space.from_bounds(mapping)
    cube = np.random.default_rng(seed).random((n, space.dim))
    recipes = space.from_unit_cube(cube)
    assert list(recipes.columns) == list(space.names)
    assert ((recipes.to_numpy() >= space.bounds[:, 0]) & (recipes.to_numpy() <= space.bounds[:, 1])).all()
    np.testing.assert_allclose(space.to_unit_cube(recipes), cube, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), bounds,
                       min_size=1, max_size=5))
def test_dict_round_trip_is_exact(mapping):
    space = Space.from_bounds(mapping)
    assert Space.from_dict(space.to_dict()) == space
    assert Space.from_dict(json.loads(json.dumps(space.to_dict()))) == space


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_file_round_trip(tmp_path, suffix):
    space = default_space().fix({"c_rate": 1.0}).with_bounds({"cr_pct": (5.5, 45.25)})
    path = tmp_path / f"space{suffix}"
    space.save(path)
    loaded = Space.load(path)
    assert loaded == space
    assert [p.description for p in loaded] == [p.description for p in space]


def test_toml_table_form_and_fixed_without_bounds(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text('[parameters.cr_pct]\nlow = 0\nhigh = 40\nunit = "%"\n'
                    '[parameters.c_rate]\nfixed = 2\nunit = "C"\n')
    space = Space.load(path)
    assert space.names == ("cr_pct", "c_rate")
    assert space["c_rate"].fixed == 2.0 and space["c_rate"].unit == "1/h"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[[parameters]]\nname = "x"\nlow = 1\nhigh = 0\n', "space.toml: field 'x': value 1:0"),
        ('[[parameters]]\nname = "x"\nlow = 0\nhigh = 1\ncolour = "red"\n', "field 'x.colour'"),
        ('[[parameters]]\nname = "x"\nlow = 0\n', "missing key 'high'"),
        ('[[parameters]]\nlow = 0\nhigh = 1\n', "needs a name"),
        ('[[parameters]]\nname = "x"\nlow = 0\nhigh = 1\nunit = "parsec"\n', "unknown unit"),
        ('title = "x"\n', "field 'title'"),
        ('parameters = 3\n', "list or a table"),
        ('parameters = [1]\n', "must be a table"),
        ('[parameters\n', "not valid TOML"),
        ('[[parameters]]\nname = "x"\nlow = 0\nhigh = 1\n[[parameters]]\nname = "x"\nlow = 0\nhigh = 2\n',
         "duplicate parameter name"),
    ],
)
def test_bad_space_files_name_the_file_and_field(tmp_path, text, fragment):
    path = tmp_path / "space.toml"
    path.write_text(text)
    with pytest.raises(SpaceError) as info:
        Space.load(path)
    assert "space.toml" in str(info.value)
    assert fragment in str(info.value)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(SpaceError, match="cannot read the file"):
        Space.load(tmp_path / "absent.toml")
    with pytest.raises(SpaceError, match="unsupported space file type"):
        Space.load(tmp_path / "space.yaml")
    with pytest.raises(SpaceError, match="unsupported space file type"):
        default_space().save(tmp_path / "space.yaml")
