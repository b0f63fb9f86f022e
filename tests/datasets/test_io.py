import json

import numpy as np
import pandas as pd
import pytest

from electroforge import default_space, design
from electroforge.datasets import metadata_path, read_dataset, write_dataset
from electroforge.errors import DatasetError


@pytest.fixture
def table():
    recipes = design.sobol(default_space(), 16, seed=3)
    return recipes.assign(porosity=np.linspace(0.2, 0.5, 16), label=[f"r{i}" for i in range(16)])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_is_exact_with_units_and_provenance(tmp_path, table, suffix):
    path = tmp_path / f"t{suffix}"
    write_dataset(table, path, units={"label": "-"}, metadata={"command": "electroforge doe"})
    back = read_dataset(path)
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    assert back[list(default_space().names)].to_numpy().tobytes() == \
        table[list(default_space().names)].to_numpy().tobytes()  # bit-exact floats
    assert back.attrs["units"] == {"am_wt_pct": "wt%", "sc_wt_pct": "wt%", "cr_pct": "%",
                                   "c_rate": "1/h", "porosity": "-", "label": "-"}
    assert back.attrs["design"] == {"method": "sobol", "seed": 3, "n": 16}
    assert back.attrs["metadata"]["command"] == "electroforge doe"


def test_csv_stays_a_plain_table_with_a_sidecar(tmp_path, table):
    path = tmp_path / "t.csv"
    write_dataset(table, path)
    assert path.read_text().splitlines()[0] == ",".join(table.columns)
    assert len(pd.read_csv(path)) == 16
    meta = json.loads(metadata_path(path).read_text())
    assert meta["format"] == "electroforge-dataset" and meta["units"]["cr_pct"] == "%"


def test_same_table_same_bytes(tmp_path, table):
    for name in ("a", "b"):
        write_dataset(table, tmp_path / f"{name}.csv")
        write_dataset(table, tmp_path / f"{name}.parquet")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_csv_without_sidecar_gets_known_units(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text("cr_pct,density_g_cm3,operator\n10,2.9,ann\n")
    back = read_dataset(path)
    assert back.attrs["units"] == {"cr_pct": "%", "density_g_cm3": "g/cm3"}


def test_metadata_units_are_validated(tmp_path, table):
    with pytest.raises(DatasetError, match="field 'porosity'.*unknown unit"):
        write_dataset(table, tmp_path / "t.csv", units={"porosity": "parsec"})
    path = tmp_path / "t.parquet"
    write_dataset(table, path)
    csv = tmp_path / "u.csv"
    csv.write_text("cr_pct\n1\n")
    metadata_path(csv).write_text(json.dumps({"units": {"cr_pct": "furlong"}}))
    with pytest.raises(DatasetError, match=r"u\.csv: field 'cr_pct'.*unknown unit"):
        read_dataset(csv)


def test_read_errors_name_the_file(tmp_path):
    with pytest.raises(DatasetError, match="absent.csv: no such file"):
        read_dataset(tmp_path / "absent.csv")
    with pytest.raises(DatasetError, match="unsupported table format.*allowed: .csv, .parquet"):
        read_dataset(tmp_path / "t.xlsx")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(DatasetError, match="broken.parquet: cannot read the PARQUET file"):
        read_dataset(broken)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DatasetError, match="empty.csv: cannot read the CSV file"):
        read_dataset(empty)


def test_failed_write_keeps_the_previous_file(tmp_path, table, monkeypatch):
    path = tmp_path / "t.csv"
    write_dataset(table, path)
    before = path.read_bytes()

    def explode(self, target, **kwargs):
        with open(target, "w") as handle:
            handle.write("am_wt_pct\n1")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", explode)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(table.head(2), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.csv.meta.json"]


def test_only_tables_are_written(tmp_path):
    with pytest.raises(DatasetError, match="not a table"):
        write_dataset({"a": [1]}, tmp_path / "t.csv")
