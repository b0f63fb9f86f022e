import pytest

from electroforge import default_space, design
from electroforge.errors import DesignError

PNG = b"\x89PNG\r\n\x1a\n"


def test_png_is_written_atomically(tmp_path):
    space = default_space()
    out = design.pairplot(space, design.sobol(space, 32, seed=0), tmp_path / "d.png", note="x")
    assert out.read_bytes().startswith(PNG)
    assert [p.name for p in tmp_path.iterdir()] == ["d.png"]


def test_slurry_major_and_single_parameter(tmp_path):
    space = default_space().fix({"c_rate": 1.0})
    design.pairplot(space, design.slurry_major(space, 3, 4, seed=0), tmp_path / "s.svg")
    assert (tmp_path / "s.svg").read_text().lstrip().startswith("<?xml")
    one = default_space().fix({"am_wt_pct": 90.0, "sc_wt_pct": 60.0, "c_rate": 1.0})
    design.pairplot(one, design.sobol(one, 8, seed=0), tmp_path / "one.pdf")
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF")


def test_errors(tmp_path):
    space = default_space()
    recipes = design.sobol(space, 8, seed=0)
    with pytest.raises(DesignError, match="unsupported plot format"):
        design.pairplot(space, recipes, tmp_path / "d.jpg2")
    with pytest.raises(DesignError, match="one label per recipe"):
        design.pairplot(space, recipes, tmp_path / "d.png", groups=[1, 2])
    assert list(tmp_path.iterdir()) == []
