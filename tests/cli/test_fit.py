import numpy as np
import pandas as pd

from electroforge import default_space, design
from electroforge.surrogates import SymbolicSurrogate

from helpers import assert_one_line_error


def write_props(tmp_path, n=48, **changes):
    X = design.lhs(default_space().fix({"c_rate": 1.0}), n, seed=1)
    props = X.assign(density_g_cm3=1.2 + 0.03 * X.cr_pct + 0.004 * X.am_wt_pct,
                     tortuosity_factor=1.0 + 0.002 * X.cr_pct ** 2 / (X.am_wt_pct - 80),
                     error="")
    for column, value in changes.items():
        props[column] = value
    props.to_parquet(tmp_path / "props.parquet")


def test_fit_prints_the_table_and_writes_a_model(cli, tmp_path):
    write_props(tmp_path)
    result = cli("fit", "props.parquet", "--out", "model.json", "--resplits", "10",
                 "--plot", "parity.png")
    assert result.code == 0, result.err
    assert "48 recipes, inputs am_wt_pct, sc_wt_pct, cr_pct" in result.out
    assert "tortuosity_factor" in result.out and "0.979" in result.out   # the reference beside
    assert "density_g_cm3 = " in result.out
    model = SymbolicSurrogate.load(tmp_path / "model.json")
    assert model.output_names_ == ["tortuosity_factor", "density_g_cm3"]
    assert (tmp_path / "parity.png").read_bytes().startswith(b"\x89PNG")


def test_failed_line_recipes_are_left_out(cli, tmp_path):
    write_props(tmp_path, error=[""] * 46 + ["RuntimeError: x"] * 2)
    result = cli("fit", "props.parquet", "--out", "m.json", "--resplits", "5")
    assert result.code == 0 and "leaving out 2 recipes" in result.out


def test_errors(cli, tmp_path):
    write_props(tmp_path)
    assert_one_line_error(cli("fit", "props.parquet", "--out", "m.json", "--properties", "nope"),
                          "props.parquet", "nope", "missing column")
    write_props(tmp_path, tortuosity_factor=np.nan)
    assert_one_line_error(cli("fit", "props.parquet", "--out", "m.json"),
                          "tortuosity_factor", "NaN")
    pd.DataFrame({"cr_pct": [1.0, 2.0]}).to_csv(tmp_path / "few.csv", index=False)
    assert_one_line_error(cli("fit", "few.csv", "--out", "m.json"), "no property column")
    write_props(tmp_path)
    assert_one_line_error(cli("fit", "props.parquet", "--out", "m.json", "--backend", "pysr"),
                          "pysr", "not available")
    assert not (tmp_path / "m.json").exists()


def test_operon_backend_when_installed(cli, tmp_path):
    import pytest

    from electroforge.surrogates.backends import available

    if not available("operon"):
        pytest.skip("pyoperon is not installed")
    write_props(tmp_path)
    result = cli("fit", "props.parquet", "--out", "m.json", "--backend", "operon",
                 "--resplits", "2", "--properties", "density_g_cm3")
    assert result.code == 0, result.err
    model = SymbolicSurrogate.load(tmp_path / "m.json")
    assert model.backend_ == "operon" and "density_g_cm3 = " in result.out


def test_gp_and_mlp_for_comparison(cli, tmp_path):
    from electroforge.surrogates import GPSurrogate, MLPSurrogate

    write_props(tmp_path)
    for backend, kind in (("gp", GPSurrogate), ("mlp", MLPSurrogate)):
        result = cli("fit", "props.parquet", "--out", f"{backend}.json", "--backend", backend,
                     "--resplits", "3", "--properties", "density_g_cm3")
        assert result.code == 0, result.err
        assert kind.load(tmp_path / f"{backend}.json").output_names_ == ["density_g_cm3"]
