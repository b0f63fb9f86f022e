import pandas as pd
import pytest

from electroforge import default_space
from electroforge.datasets import read_dataset

from helpers import assert_one_line_error, run_process


def test_sobol_128_inside_bounds_and_identical_twice(cli, tmp_path):
    first = cli("doe", "sobol", "--n", "128", "--seed", "1", "--out", "d.csv")
    assert first.code == 0 and "wrote 128 recipes" in first.out
    before = (tmp_path / "d.csv").read_bytes()
    assert cli("doe", "sobol", "--n", "128", "--seed", "1", "--out", "d.csv").code == 0
    assert (tmp_path / "d.csv").read_bytes() == before
    recipes = pd.read_csv(tmp_path / "d.csv")
    space = default_space()
    assert len(recipes) == 128 and list(recipes.columns) == list(space.names)
    for param in space:
        assert recipes[param.name].between(param.low, param.high).all()


def test_reversed_bounds_exit_2_naming_the_parameter(cli, tmp_path):
    result = cli("doe", "sobol", "--n", "128", "--bounds", "am_wt_pct=97:85", "--out", "d.csv")
    assert_one_line_error(result, "am_wt_pct", "97:85", "low < high")
    assert not (tmp_path / "d.csv").exists()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--n", "abc"], ["--n", "'abc'", "integer"]),
        (["--n", "0"], ["--n", "value 0", ">= 1"]),
        (["--n", "8", "--seed", "-1"], ["--seed", ">= 0"]),
        (["--n", "8", "--seed", "x"], ["--seed", "'x'"]),
        (["--n", "8", "--bounds", "am_wt_pct"], ["--bounds", "NAME=LOW:HIGH"]),
        (["--n", "8", "--bounds", "porosity=0:1"], ["--bounds", "porosity", "am_wt_pct, sc_wt_pct"]),
        (["--n", "8", "--bounds", "cr_pct=a:10"], ["--bounds", "cr_pct", "value a",
                                                    "finite number"]),
        (["--n", "8", "--bounds", "cr_pct=0:inf"], ["cr_pct", "finite number"]),
        (["--n", "8", "--bounds", "cr_pct=10"], ["cr_pct", "LOW:HIGH"]),
        (["--n", "8", "--fix", "c_rate=9"], ["--fix", "c_rate", "0.25 <= c_rate <= 4"]),
        (["--n", "8", "--fix", "c_rate"], ["--fix", "NAME=VALUE"]),
        (["--n", "8", "--space", "absent.toml"], ["absent.toml", "cannot read"]),
        (["--n", "8", "--space", "space.yaml"], ["space.yaml", ".toml, .json"]),
    ],
)
def test_option_errors(cli, args, fragments):
    result = cli("doe", "sobol", *args, "--out", "d.csv")
    assert_one_line_error(result, *fragments)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["doe", "halton", "--n", "8", "--out", "d.csv"], ["invalid choice", "'halton'", "sobol"]),
        (["doe", "sobol", "--n", "8"], ["--out"]),
        (["doe", "sobol", "--out", "d.csv"], ["--n"]),
        (["doe", "sobol", "--n", "8", "--out", "d.xlsx"], ["--out", "d.xlsx", ".csv, .parquet"]),
        (["doe", "sobol", "--n", "8", "--out", "d.csv", "--plot", "d.gif"], ["--plot", ".png"]),
        (["doe", "slurry-major", "--n", "8", "--out", "d.csv"], ["--slurries"]),
        (["doe", "slurry-major", "--n", "10", "--slurries", "3", "--out", "d.csv"],
         ["--n", "value 10", "multiple of 3"]),
        (["doe", "sobol", "--n", "8", "--slurries", "2", "--out", "d.csv"], ["--slurries", "sobol"]),
        (["doe", "lhs", "--n", "8", "--first-order-only", "--out", "d.csv"], ["--first-order-only"]),
        (["doe", "saltelli", "--n", "8", "--fix", "am_wt_pct=90", "--fix", "sc_wt_pct=60",
          "--fix", "c_rate=1", "--out", "d.csv"], ["second_order", "False"]),
        (["frobnicate"], ["invalid choice", "'frobnicate'", "doe"]),
        ([], ["COMMAND"]),
    ],
)
def test_command_errors(cli, tmp_path, args, fragments):
    result = cli(*args)
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "d.csv").exists()


def test_bad_space_file_names_file_and_field(cli, tmp_path):
    (tmp_path / "space.toml").write_text('[[parameters]]\nname = "cr_pct"\nlow = 60\nhigh = 10\n')
    result = cli("doe", "sobol", "--n", "8", "--space", "space.toml", "--out", "d.csv")
    assert_one_line_error(result, "space.toml", "cr_pct", "60:10")


@pytest.mark.filterwarnings("default::electroforge.errors.DesignWarning")
def test_non_power_of_two_sobol_warns_in_one_line_and_still_writes(cli, tmp_path):
    result = cli("doe", "sobol", "--n", "100", "--out", "d.csv")
    assert result.code == 0
    assert result.err.strip() == ("electroforge: warning: Sobol' design of n=100 is not a power "
                                  "of two: its points lose the balance property; use n=64 or n=128")
    assert len(pd.read_csv(tmp_path / "d.csv")) == 100


def test_every_method_writes_its_size(cli, tmp_path):
    sizes = {"sobol": 16, "lhs": 16, "random": 16, "saltelli": 16 * 10, "slurry-major": 16}
    for method, rows in sizes.items():
        extra = ["--slurries", "4"] if method == "slurry-major" else []
        out = f"{method}.parquet"
        result = cli("doe", method, "--n", "16", "--seed", "2", "--out", out, *extra)
        assert result.code == 0, result.err
        table = read_dataset(tmp_path / out)
        assert len(table) == rows and table.attrs["design"]["method"] == method
        assert table.attrs["metadata"]["command"].startswith(f"electroforge doe {method}")


def test_space_file_bounds_and_fix_options(cli, tmp_path):
    default_space().with_bounds({"am_wt_pct": (88, 96)}).save(tmp_path / "space.json")
    result = cli("doe", "lhs", "--n", "20", "--space", "space.json", "--bounds", "cr_pct=10:40",
                 "--fix", "c_rate=2", "--out", "d.csv", "--plot", "d.png")
    assert result.code == 0, result.err
    recipes = pd.read_csv(tmp_path / "d.csv")
    assert recipes["am_wt_pct"].between(88, 96).all() and recipes["cr_pct"].between(10, 40).all()
    assert (recipes["c_rate"] == 2).all()
    assert (tmp_path / "d.png").read_bytes().startswith(b"\x89PNG")
    assert "c_rate = 2 1/h (fixed)" in result.out and "plot: d.png" in result.out


def test_real_process_exit_code_and_single_line(tmp_path):
    process = run_process("doe", "sobol", "--n", "128", "--bounds", "am_wt_pct=97:85",
                          "--out", "d.csv", cwd=tmp_path)
    assert process.returncode == 2
    assert process.stderr.count("\n") == 1 and "am_wt_pct" in process.stderr
    assert process.stdout == ""
