import pandas as pd

from electroforge import Space
from electroforge.cli.demo import demo_space
from electroforge.datasets import read_dataset


def test_demo_writes_the_reference_design(cli, tmp_path):
    result = cli("demo", "--workspace", "ws")
    assert result.code == 0, result.err
    folder = tmp_path / "ws" / "demo"
    recipes = read_dataset(folder / "design.csv")
    assert len(recipes) == 174
    assert recipes.groupby(["am_wt_pct", "sc_wt_pct"]).ngroups == 6
    assert (recipes["c_rate"] == 1.0).all()
    assert Space.load(folder / "space.toml") == demo_space()
    assert (folder / "design.png").read_bytes().startswith(b"\x89PNG")
    for name in ("space.toml", "design.csv", "design.png"):
        assert f"wrote {folder.relative_to(tmp_path) / name}" in result.out
    for method in ("slurry-major", "sobol", "lhs", "random"):
        assert method in result.out


def test_demo_default_workspace_and_rerun_is_identical(cli, tmp_path):
    assert cli("demo").code == 0
    design_file = tmp_path / "electroforge-workspace" / "demo" / "design.csv"
    before = design_file.read_bytes()
    assert cli("demo").code == 0
    assert design_file.read_bytes() == before
    assert len(pd.read_csv(design_file)) == 174
