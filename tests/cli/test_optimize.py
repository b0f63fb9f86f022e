"""``electroforge optimize`` on the analytic surrogate of ``conftest.model_file``, whose
Cf (Eq. 3) is a bowl with its minimum at am_wt_pct = 91 and cr_pct = 25."""

import json

import pandas as pd
import pytest

from helpers import assert_one_line_error


def test_optimize_finds_the_known_optimum_and_writes_its_figures(cli, tmp_path, model_file):
    result = cli("optimize", str(model_file), "--iterations", "24", "--seed", "1", "--out", "run")
    assert result.code == 0, result.err
    assert "reference (Eq. 3)" in result.out and "C-rate not an input of the model" in result.out
    record = json.loads((tmp_path / "run" / "result.json").read_text())
    assert record["recipe"]["am_wt_pct"] == pytest.approx(91.0, abs=1.0)
    assert record["recipe"]["cr_pct"] == pytest.approx(25.0, abs=2.5)
    assert record["cost"] == pytest.approx(0.25, abs=0.01)     # (2 * 0.5^2 + 2 * 0.5^2) / 4
    assert len(record["hedge"]) == 24 - 6 - 1          # Sobol' start, hedge, greedy last call
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    assert len(history) == 24 and history["cost"].min() == pytest.approx(record["cost"])
    for figure in ("convergence.png", "partial_dependence.png"):
        assert (tmp_path / "run" / figure).read_bytes().startswith(b"\x89PNG")
    assert "best cost" in result.err                              # progress
    # the model's data cover the whole box (its corners included): the optimum is inside
    assert "data of the model: inside the data" in result.out
    assert record["domain"]["inside"] and record["trust_margin"] == 0.1
    # the outcome warp, chosen by the evidence by default, and what weighed in the choice
    assert record["warp"]["setting"] == "auto"
    assert record["warp"]["kind"] in ("none", "log", "boxcox")
    assert set(record["warp"]["evidence"]) >= {"none"}


def test_objective_file_with_a_constraint(cli, tmp_path, model_file):
    (tmp_path / "objective.toml").write_text(
        'constraints = ["tortuosity_factor <= 1.6"]\n'
        '[[targets]]\nname = "density_g_cm3"\ndirection = "max"\n')
    result = cli("optimize", str(model_file), "--objective", "objective.toml",
                 "--iterations", "16", "--out", "run")
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "run" / "result.json").read_text())
    # the densest electrode the constraint allows: cr_pct = 15
    assert record["feasible"] and record["recipe"]["cr_pct"] == pytest.approx(15.0, abs=1.0)


def test_errors(cli, tmp_path, model_file):
    assert_one_line_error(cli("optimize", "missing.json"), "missing.json", "cannot read")
    (tmp_path / "bad.toml").write_text('[[targets]]\nname = "wetting_time_s"\n')
    assert_one_line_error(cli("optimize", str(model_file), "--objective", "bad.toml"),
                          "wetting_time_s", "unknown property")
    assert_one_line_error(cli("optimize", str(model_file), "--iterations", "5",
                              "--initial", "8"), "--initial")
    assert_one_line_error(cli("optimize", str(model_file), "--bounds", "cr_pct=40:10"),
                          "cr_pct")
    assert_one_line_error(cli("optimize", str(model_file), "--trust-margin", "wide"),
                          "--trust-margin")
    assert_one_line_error(cli("optimize", str(model_file), "--verify", "-1"), "--verify")
    assert_one_line_error(cli("optimize", str(model_file), "--warp", "sqrt"), "--warp", "sqrt")
    assert_one_line_error(cli("optimize", str(model_file), "--kernel", "linear"), "--kernel",
                          "linear")


def test_an_outcome_warp_is_set_on_request_and_recorded(cli, tmp_path, model_file):
    from electroforge.campaigns.warping import WARPS
    from electroforge.cli.optimize import WARPS as offered

    assert offered == WARPS
    result = cli("optimize", str(model_file), "--iterations", "16", "--warp", "log",
                 "--out", "log")
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "log" / "result.json").read_text())
    assert record["warp"]["setting"] == "log" and record["warp"]["kind"] == "log"
    # the warp set, not chosen: only the kernel is (the default, auto)
    warps = {key.split(",")[0] for key in record["warp"]["evidence"]}
    assert len(warps) == 1 and warps.pop().startswith("log")
    assert record["recipe"]["am_wt_pct"] == pytest.approx(91.0, abs=2.0)


def test_the_gp_kernel_is_set_on_request_and_recorded(cli, tmp_path, model_file):
    from electroforge.campaigns.hedge import KERNELS
    from electroforge.cli.optimize import KERNELS as offered

    assert offered == KERNELS
    result = cli("optimize", str(model_file), "--iterations", "12", "--kernel", "additive",
                 "--out", "additive")
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "additive" / "result.json").read_text())
    assert record["warp"]["kernel_setting"] == "additive"
    assert record["warp"]["kernel"] == "additive"


def test_optimize_verifies_on_request(cli, tmp_path, model_file):
    result = cli("optimize", str(model_file), "--iterations", "8", "--verify", "1", "--out", "v")
    assert result.code == 0, result.err
    assert "Verified on the virtual line with 1 particle seeds" in result.out
    record = json.loads((tmp_path / "v" / "result.json").read_text())
    verification = record["verification"]
    assert verification["predicted_cost"] == pytest.approx(record["cost"])
    assert len(verification["measured_cost"]) == 1 and verification["recipe"] == {
        n: record["recipe"][n] for n in verification["recipe"]}
