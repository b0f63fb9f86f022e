import numpy as np
import pandas as pd
import pytest

from electroforge import Space, default_space
from electroforge.datasets import validate_dataset
from electroforge.errors import DatasetError


@pytest.fixture
def lab():
    return pd.DataFrame({
        "am_wt_pct": [90.0, 92.0, 94.0],
        "sc_wt_pct": [60.0, 65.0, 70.0],
        "cr_pct": [10.0, 20.0, 30.0],
        "c_rate": [1.0, 1.0, 1.0],
        "porosity": [0.40, 0.35, 0.30],
    })


def error_of(frame, **kwargs):
    with pytest.raises(DatasetError) as info:
        validate_dataset(frame, space=default_space(), **kwargs)
    return info.value


def test_valid_table_passes_unchanged(lab):
    result = validate_dataset(lab, space=default_space(), properties=["porosity"])
    pd.testing.assert_frame_equal(result.frame, lab)
    assert result.dropped == ()


def test_missing_column_names_it_and_what_was_found(lab):
    error = error_of(lab.drop(columns="cr_pct"), source="lab.csv")
    assert error.field == "cr_pct" and error.source == "lab.csv"
    assert "found: am_wt_pct, sc_wt_pct, c_rate, porosity" in str(error)
    assert error_of(lab, properties=["density_g_cm3"]).field == "density_g_cm3"


def test_nan_names_row_column_and_csv_line(lab):
    lab.loc[1, "porosity"] = np.nan
    error = error_of(lab, properties=["porosity"], source="lab.csv")
    assert (error.row, error.field) == (2, "porosity")
    assert str(error) == ("lab.csv: row 2: field 'porosity': value nan: missing value (NaN) "
                          "(CSV line 3); allowed: a finite number")


@pytest.mark.parametrize(
    ("value", "problem"),
    [(np.inf, "infinite value"), (-np.inf, "infinite value"), ("12,5", "not a number"),
     (None, "missing value (NaN)")],
)
def test_non_finite_and_non_numeric_cells(lab, value, problem):
    lab = lab.astype({"cr_pct": object})
    lab.loc[2, "cr_pct"] = value
    error = error_of(lab)
    assert (error.row, error.field) == (3, "cr_pct") and problem in error.problem


def test_out_of_bounds_names_the_bounds(lab):
    lab.loc[0, "am_wt_pct"] = 98.5
    error = error_of(lab)
    assert (error.row, error.field, error.value) == (1, "am_wt_pct", 98.5)
    assert error.allowed == "85 <= am_wt_pct <= 97 wt%"


def test_bounds_tolerate_text_round_off_only(lab):
    lab.loc[0, "cr_pct"] = 50.0 + 1e-12
    assert len(validate_dataset(lab, space=default_space()).frame) == 3
    lab.loc[0, "cr_pct"] = 50.001
    assert error_of(lab).field == "cr_pct"


def test_fixed_parameter_must_match_and_is_filled_when_absent(lab):
    space = default_space().fix({"c_rate": 1.0})
    filled = validate_dataset(lab.drop(columns="c_rate"), space=space).frame
    assert (filled["c_rate"] == 1.0).all()
    lab.loc[1, "c_rate"] = 2.0
    with pytest.raises(DatasetError, match="differs from the fixed value") as info:
        validate_dataset(lab, space=space)
    assert info.value.allowed == "c_rate = 1 (fixed)"


def test_duplicates_point_at_the_first_occurrence(lab):
    table = pd.concat([lab, lab.iloc[[0]]], ignore_index=True)
    error = error_of(table)
    assert error.row == 4 and "same as row 1" in error.allowed


def test_duplicates_can_be_allowed(lab):
    table = pd.concat([lab, lab.iloc[[0]]], ignore_index=True)
    result = validate_dataset(table, space=default_space(), allow_duplicates=True)
    assert len(result.frame) == 4 and result.dropped == ()


def test_first_error_counts_the_rest(lab):
    lab.loc[0, "am_wt_pct"] = 80.0
    lab.loc[2, "cr_pct"] = np.nan
    error = error_of(lab)
    assert error.row == 1 and "and 1 more problems in 2 rows" in str(error)
    assert "--drop-invalid" in str(error)


def test_drop_invalid_reports_and_keeps_the_rest(lab):
    table = pd.concat([lab, lab.iloc[[1]]], ignore_index=True)
    table.loc[0, "sc_wt_pct"] = 99.0
    result = validate_dataset(table, space=default_space(), drop_invalid=True)
    assert result.dropped_rows == [1, 4]
    assert result.frame["cr_pct"].tolist() == [20.0, 30.0]
    assert [p.problem for p in result.dropped] == ["outside the space", "duplicate row"]


def test_every_row_invalid_and_empty_table(lab):
    lab["cr_pct"] = 99.0
    with pytest.raises(DatasetError, match="every row is invalid"):
        validate_dataset(lab, space=default_space(), drop_invalid=True)
    with pytest.raises(DatasetError, match="no rows"):
        validate_dataset(lab.iloc[:0], space=default_space())


def test_extra_columns_are_kept_and_index_reset():
    space = Space.from_bounds({"x": (0, 1)})
    table = pd.DataFrame({"x": [0.5, 0.25], "note": ["a", "b"]}, index=[10, 11])
    result = validate_dataset(table, space=space)
    assert result.frame.index.tolist() == [0, 1] and result.frame["note"].tolist() == ["a", "b"]
