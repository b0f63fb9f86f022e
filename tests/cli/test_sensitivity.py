"""``electroforge sensitivity`` on the analytic surrogate of ``conftest.model_file``."""

import pandas as pd
import pytest

from helpers import assert_one_line_error


def test_indices_of_every_property_and_of_the_cost(cli, tmp_path, model_file):
    result = cli("sensitivity", str(model_file), "--n", "256", "--out", "sens")
    assert result.code == 0, result.err
    table = pd.read_csv(tmp_path / "sens" / "sobol_indices.csv").set_index(["output", "parameter"])
    # tortuosity = 1 + cr/25 depends on cr_pct alone; conductivity on am_wt_pct alone
    assert table.loc[("tortuosity_factor", "cr_pct"), "S1"] == pytest.approx(1.0, abs=0.02)
    assert table.loc[("conductivity_s_m", "am_wt_pct"), "ST"] == pytest.approx(1.0, abs=0.02)
    assert table.loc[("cost", "sc_wt_pct"), "ST"] == pytest.approx(0.0, abs=1e-9)
    # Cf = ((u - 1/2)^2 + (v - 1/2)^2) / 2 + 1/4: additive, equal shares of am and cr
    assert table.loc[("cost", "am_wt_pct"), "S1"] == pytest.approx(0.5, abs=0.05)
    assert "cost" in result.out and "C-rate not an input" in result.out
    second = pd.read_csv(tmp_path / "sens" / "sobol_second_order.csv")
    assert set(second["output"]) == set(table.index.get_level_values(0))
    assert (tmp_path / "sens" / "sensitivity.png").read_bytes().startswith(b"\x89PNG")


def test_errors(cli, model_file):
    assert_one_line_error(cli("sensitivity", "nope.json"), "nope.json")
    assert_one_line_error(cli("sensitivity", str(model_file), "--n", "0"), "--n")
    assert_one_line_error(cli("sensitivity", str(model_file), "--fix", "cr_pct=80"), "cr_pct")
