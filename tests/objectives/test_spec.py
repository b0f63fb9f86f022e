import pytest

from electroforge.errors import InputError
from electroforge.objectives import REFERENCE_TARGETS, ReferenceCost, Target
from electroforge.objectives.spec import ObjectiveSpec

TOML = '''
scalarization = "chebyshev"
rho = 0.1
constraints = ["porosity >= 0.25"]

[c_rate]
mode = "free"

[[targets]]
name = "specific_power_w_kg"
direction = "max"

[[targets]]
name = "tortuosity_factor"
direction = "min"
weight = 2.0
low = 1.0
high = 4.0
'''


def test_defaults_are_the_reference_study():
    spec = ObjectiveSpec()
    assert spec.targets == REFERENCE_TARGETS and spec.scalarization == "reference"
    assert spec.c_rate == "context"
    objective = spec.build({t.name: (0.0, 1.0) for t in REFERENCE_TARGETS})
    assert isinstance(objective, ReferenceCost)


def test_toml_round_trip(tmp_path):
    path = tmp_path / "objective.toml"
    path.write_text(TOML)
    spec = ObjectiveSpec.load(path)
    assert spec.c_rate == "free" and spec.rewards_rate and spec.rho == 0.1
    assert spec.targets[1] == Target("tortuosity_factor", "min", 2.0, None, 1.0, 4.0)
    assert [str(c) for c in spec.constraints] == ["porosity >= 0.25"]
    assert spec.columns == ("specific_power_w_kg", "tortuosity_factor", "porosity")
    assert ObjectiveSpec.load(spec.save(tmp_path / "again.toml")) == spec
    objective = spec.build({"specific_power_w_kg": (10.0, 500.0)})
    assert objective.rho.item() == 0.1 and objective.targets[0].low == 10.0
    assert "C-rate free" in spec.describe()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("scalarization = 'product'", "unknown scalarization"),
     ("colour = 1", "field 'colour'"),
     ("[c_rate]\nmode = 'free'", "rate-rewarding target"),
     ("[c_rate]\nmode = 'fast'", "unknown C-rate mode"),
     ("[c_rate]\nvalue = -1", "positive"),
     ("[c_rate]\nmode = 'free'\nvalue = 1", "free C-rate takes no value"),
     ("targets = []", "at least one target"),
     ("[[targets]]\nname = 'porosity'\ndirection = 'up'", "unknown direction"),
     ("[[targets]]\nname = 'porosity'\nweight = 0", "weights must be positive"),
     ("[[targets]]\nname = 'porosity'\nweight = nan", "finite"),
     ("[[targets]]\ndirection = 'max'", "needs a name"),
     ("[[targets]]\nname = 'porosity'\n[[targets]]\nname = 'porosity'", "twice"),
     ("[[targets]]\nname = 'porosity'\nsize = 3", r"targets\[0\]\.size"),
     ("constraints = ['porosity > 0.25']", "cannot read the constraint"),
     ("constraints = 'porosity >= 0.25'", "list of strings"),
     ("scalarization = ", "not valid TOML")],
)
def test_bad_files_name_the_file_and_field(tmp_path, text, fragment):
    path = tmp_path / "objective.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment) as info:
        ObjectiveSpec.load(path)
    assert str(path) in str(info.value)


def test_missing_file_and_missing_bounds(tmp_path):
    with pytest.raises(InputError, match="cannot read the objective file"):
        ObjectiveSpec.load(tmp_path / "none.toml")
    with pytest.raises(InputError, match="no scaling bounds"):
        ObjectiveSpec().build({})
