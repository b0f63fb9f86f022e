import pandas as pd

from electroforge import Space
from electroforge.campaigns.campaign import Campaign
from electroforge.campaigns.store import Store
from electroforge.cli.demo import demo_space
from electroforge.datasets import read_dataset

SHORT = ("--iterations", "8", "--resplits", "3", "--sensitivity-n", "16", "--verify-seeds", "1")


def test_demo_runs_the_study_end_to_end_and_again_identically(cli, tmp_path):
    result = cli("demo", "--workspace", "ws", *SHORT)
    assert result.code == 0, result.err
    folder = tmp_path / "ws" / "demo"
    recipes = read_dataset(folder / "design.csv")
    assert len(recipes) == 174
    assert recipes.groupby(["am_wt_pct", "sc_wt_pct"]).ngroups == 6
    # every calendering condition has its own C-rate (the capacity at rate can be modelled);
    # the campaign optimizes at 1 C, as the reference
    assert recipes["c_rate"].between(0.25, 4.0).all() and recipes["c_rate"].nunique() > 100
    assert Space.load(folder / "space.toml") == demo_space()
    assert (folder / "design.png").read_bytes().startswith(b"\x89PNG")
    for name in ("space.toml", "design.csv", "design.png"):
        assert f"wrote {folder.relative_to(tmp_path) / name}" in result.out
    for method in ("slurry-major", "sobol", "lhs", "random"):
        assert method in result.out
    # the shipped dataset is the line's output for exactly this design, with its command
    props = read_dataset(folder / "props.parquet")
    columns = ["am_wt_pct", "sc_wt_pct", "cr_pct", "c_rate"]
    pd.testing.assert_frame_equal(props[columns], recipes[columns], check_exact=False,
                                  rtol=1e-12)
    assert "electroforge line run" in props.attrs["metadata"]["command"]
    # equations, the campaign 'demo' and its recommendation, the sensitivity
    assert "density_g_cm3 = " in result.out and "0.968" in result.out
    campaign = Campaign(Store(tmp_path / "ws"), "demo")
    assert campaign.n_measured == 8 and campaign.status()["last_recommendation"]
    assert (folder / "model.json").is_file() and (folder / "sensitivity.png").is_file()
    assert "demo finished" in result.out
    # the recommendation was made again on the line, beside what the equations predicted
    verification = campaign.verifications()[-1]
    assert len(verification["seeds"]) == 1 and "| cost |" in result.out
    assert "Verified on the virtual line with 1 particle seeds" in result.out
    report = tmp_path / "ws" / "demo" / "report" / "report.html"
    assert f"report: {report.relative_to(tmp_path)}" in result.out and report.is_file()
    # the C-rate in the loop: capacity and energy at rate with the rate an input, and both
    # forms of the SPEC, each saying which it used
    assert "capacity_mah_g = " in result.out and "c_rate" in result.out
    context = Campaign(Store(tmp_path / "ws"), "demo-2c")
    assert context.problem.fixed == {"c_rate": 2.0} and "c_rate" not in context.problem.names
    assert "C-rate fixed at 2 C (context)" in result.out
    free = Campaign(Store(tmp_path / "ws"), "demo-rate")
    assert "c_rate" in free.problem.names and "C-rate free" in result.out
    assert "C-rate free" in free.recommend()["objective"]
    assert 0.25 <= free.best()["recipe"]["c_rate"] <= 4.0

    # a second run gives the same design and the same campaign, replacing the first
    before = (folder / "design.csv").read_bytes()
    first = campaign.measurements()["cost"]
    result = cli("demo", "--workspace", "ws", *SHORT)
    assert result.code == 0 and "replacing the campaign 'demo'" in result.out
    assert (folder / "design.csv").read_bytes() == before
    again = Campaign(Store(tmp_path / "ws"), "demo").measurements()["cost"]
    pd.testing.assert_series_equal(again, first)               # same seed, same campaign



def test_regenerate_runs_the_line_on_the_design(cli, tmp_path, monkeypatch):
    """--regenerate hands the design to the virtual line, keeps what it returns and fits
    equations to it (the line itself is tested in tests/line; here an analytic stand-in
    keeps the test short, and the run stops once the equations are written: the stages
    after them are those of the test above)."""
    import electroforge.line
    from electroforge.cli import demo

    seen = {}

    def fake_line(recipes, *, seed, grid=None, **_):
        seen.setdefault("recipes", recipes)      # the dataset (the verification comes later)
        seen.setdefault("grid", grid)
        capacity = 150 - 10 * recipes.c_rate
        return recipes.assign(tortuosity_factor=1 + recipes.cr_pct / 25,
                              density_g_cm3=2 + recipes.cr_pct / 50,
                              conductivity_s_m=100 - recipes.am_wt_pct,
                              active_surface_pct=recipes.am_wt_pct - 50,
                              capacity_mah_g=capacity, energy_wh_kg=3.7 * capacity, error="")

    def stop(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(electroforge.line, "run", fake_line)
    monkeypatch.setattr(demo, "_campaign", stop)
    result = cli("demo", "--workspace", "ws", "--regenerate", *SHORT)
    assert result.code == 130 and result.err == "electroforge: interrupted\n", result.err
    assert (tmp_path / "ws" / "demo" / "model.json").is_file()
    assert len(seen["recipes"]) == 174 and seen["grid"] is None   # the line's default box
    props = read_dataset(tmp_path / "ws" / "demo" / "props.parquet")
    assert "electroforge line run" in props.attrs["metadata"]["command"]
    assert "(--regenerate)" in result.out and "density_g_cm3 = " in result.out


def test_the_shipped_equations_are_those_of_the_shipped_dataset(cli, tmp_path):
    from importlib.resources import as_file, files

    from electroforge.cli.demo import SHIPPED_DATASET, SHIPPED_MODEL
    from electroforge.surrogates import SymbolicSurrogate

    result = cli("demo", "--workspace", "ws", "--iterations", "4", "--sensitivity-n", "16",
                 "--verify-seeds", "0")
    assert result.code == 0, result.err
    assert "shipped with it (75 re-splits" in result.out and "0.968" in result.out
    model_file = tmp_path / "ws" / "demo" / "model.json"
    shipped = SymbolicSurrogate.load(model_file)
    with as_file(files("electroforge.data") / SHIPPED_DATASET) as path:
        table = read_dataset(path)
    refit = SymbolicSurrogate(seed=0).fit(table[["am_wt_pct", "sc_wt_pct", "cr_pct"]],
                                          table[list(shipped.output_names_)], space=demo_space())
    assert {k: str(v) for k, v in refit.equations().items()} == {
        k: str(v) for k, v in shipped.equations().items()}
    with as_file(files("electroforge.data") / SHIPPED_MODEL) as path:
        assert model_file.read_bytes() == path.read_bytes()
