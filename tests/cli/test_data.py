import numpy as np
import pandas as pd

from electroforge.datasets import read_dataset

from helpers import assert_one_line_error


def write_lab(tmp_path, changes=None):
    table = pd.DataFrame({"am_wt_pct": [90.0, 92.0, 94.0], "sc_wt_pct": [60.0, 65.0, 70.0],
                          "cr_pct": [10.0, 20.0, 30.0], "c_rate": [1.0, 1.0, 1.0],
                          "porosity": [0.4, 0.35, 0.3]})
    for (row, column), value in (changes or {}).items():
        table.loc[row, column] = value
    table.to_csv(tmp_path / "lab.csv", index=False)
    return tmp_path / "lab.csv"


def test_valid_file_summary(cli, tmp_path):
    write_lab(tmp_path)
    result = cli("data", "check", "lab.csv", "--properties", "porosity")
    assert result.code == 0 and "lab.csv: 3 valid rows" in result.out
    assert "cr_pct [%]: 10 .. 30" in result.out and "porosity [-]: 0.3 .. 0.4" in result.out


def test_invalid_row_exits_2_with_row_column_value_allowed(cli, tmp_path):
    write_lab(tmp_path, {(1, "cr_pct"): 75.0})
    line = assert_one_line_error(cli("data", "check", "lab.csv"), "lab.csv", "row 2", "cr_pct",
                                 "75.0", "0 <= cr_pct <= 50 %")
    assert "CSV line 3" in line


def test_nan_property(cli, tmp_path):
    write_lab(tmp_path, {(0, "porosity"): np.nan})
    assert_one_line_error(cli("data", "check", "lab.csv", "--properties", "porosity"),
                          "row 1", "porosity", "NaN")


def test_drop_invalid_reports_and_writes_clean_copy(cli, tmp_path):
    write_lab(tmp_path, {(0, "am_wt_pct"): 99.0})
    before = (tmp_path / "lab.csv").read_bytes()
    result = cli("data", "check", "lab.csv", "--drop-invalid", "--out", "clean.parquet")
    assert result.code == 0
    assert "dropped: lab.csv: row 1: field 'am_wt_pct': value 99.0: outside the space" in result.out
    assert "2 valid rows, 1 dropped" in result.out
    clean = read_dataset(tmp_path / "clean.parquet")
    assert clean["am_wt_pct"].tolist() == [92.0, 94.0]
    assert clean.attrs["metadata"]["dropped_rows"] == [1]
    assert (tmp_path / "lab.csv").read_bytes() == before   # the input is never touched


def test_bounds_option_applies(cli, tmp_path):
    write_lab(tmp_path)
    result = cli("data", "check", "lab.csv", "--bounds", "cr_pct=0:25", "--drop-invalid")
    assert result.code == 0 and "2 valid rows, 1 dropped" in result.out


def test_errors(cli, tmp_path):
    assert_one_line_error(cli("data", "check", "absent.csv"), "absent.csv",
                          "No such file")
    write_lab(tmp_path)
    assert_one_line_error(cli("data", "check", "lab.csv", "--drop-invalid", "--out", "lab.csv"),
                          "--out", "input")
    assert_one_line_error(cli("data", "check", "lab.csv", "--properties", "capacity_mah_g"),
                          "capacity_mah_g", "missing column")
    assert_one_line_error(cli("data"), "ACTION")


def test_saltelli_of_two_parameters_needs_allow_duplicates(cli):
    fixed = ["--fix", "sc_wt_pct=60", "--fix", "c_rate=1"]
    assert cli("doe", "saltelli", "--n", "8", "--out", "s.csv", *fixed).code == 0
    assert_one_line_error(cli("data", "check", "s.csv", *fixed), "duplicate row")
    result = cli("data", "check", "s.csv", "--allow-duplicates", *fixed)
    assert result.code == 0 and "s.csv: 48 valid rows" in result.out
