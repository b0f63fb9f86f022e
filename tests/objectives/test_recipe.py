"""RecipeProblem with an analytic stand-in for a fitted surrogate (known predictions)."""

import pytest
import torch

from electroforge.campaigns import gp_hedge_minimize
from electroforge.errors import InputError
from electroforge.objectives import Target
from electroforge.objectives.recipe import RecipeProblem
from electroforge.objectives.spec import ObjectiveSpec
from electroforge.space import default_space


class Analytic(torch.nn.Module):
    """tortuosity = 1 + cr / 25; density = 2 + cr / 50; energy = 600 - 100 c_rate."""

    def forward(self, X):
        am, sc, cr, rate = X.unbind(-1)
        return torch.stack([1 + cr / 25, 2 + cr / 50, 600 - 100 * rate + 0 * am * sc], dim=-1)


class Model:
    feature_names_ = ["am_wt_pct", "sc_wt_pct", "cr_pct", "c_rate"]
    output_names_ = ["tortuosity_factor", "density_g_cm3", "energy_wh_kg"]
    output_bounds_ = {"tortuosity_factor": (1.0, 3.0), "density_g_cm3": (2.0, 3.0),
                      "energy_wh_kg": (200.0, 575.0)}

    def to_torch(self):
        return Analytic()


SPEC = ObjectiveSpec(targets=(Target("tortuosity_factor", "min"), Target("density_g_cm3", "max")),
                     c_rate_value=1.0)


def test_cost_is_eq3_of_the_predictions():
    problem = RecipeProblem(Model(), SPEC, default_space())
    assert problem.names == ["am_wt_pct", "sc_wt_pct", "cr_pct"]
    assert problem.fixed == {"c_rate": 1.0}
    # cr 25: tortuosity 2 -> scaled 0.5; density 2.5 -> 0.5: Cf = (0.25 + 0.25) / 2
    assert problem([90.0, 60.0, 25.0]) == pytest.approx(0.25, rel=1e-12)
    frame = problem.predict([[90.0, 60.0, 25.0]])
    assert frame.loc[0, "energy_wh_kg"] == pytest.approx(500.0)
    assert frame.loc[0, "specific_power_w_kg"] == pytest.approx(500.0)
    assert "fixed at 1 C (context)" in problem.rate_note


def test_constraints_penalize_infeasible_recipes():
    spec = ObjectiveSpec(targets=SPEC.targets, constraints=("tortuosity_factor <= 1.5",),
                         c_rate_value=1.0)
    problem = RecipeProblem(Model(), spec, default_space())
    feasible, infeasible = problem([90, 60, 10.0]), problem([90, 60, 25.0])
    assert feasible < 1 < infeasible
    # violation 0.5 over a scale of 2: 1 + Cf + 0.25
    assert infeasible == pytest.approx(1 + 0.25 + 0.25)
    assert not problem.predict([[90, 60, 25.0]]).loc[0, "feasible"]


def test_a_free_rate_is_traded_against_power():
    spec = ObjectiveSpec(targets=(Target("specific_power_w_kg", "max"),), c_rate="free")
    problem = RecipeProblem(Model(), spec, default_space())
    assert problem.names[-1] == "c_rate" and "C-rate free" in problem.rate_note
    # power (600 - 100 r) r peaks at r = 3 C, not at the lowest rate
    rates = torch.linspace(0.25, 4.0, 16, dtype=torch.float64)
    X = torch.stack([torch.full_like(rates, 90.0), torch.full_like(rates, 60.0),
                     torch.full_like(rates, 20.0), rates], dim=-1)
    cost = problem.cost(X)
    assert rates[int(cost.argmin())].item() == pytest.approx(3.0)
    assert cost.min().item() == pytest.approx(0.0, abs=1e-12)
    result = gp_hedge_minimize(problem, problem.bounds, n_calls=20, seed=0)
    assert 2.5 < result.x[-1] < 3.5


class PowerModel(Model):
    """Predicts specific power itself (no energy column): 3 x the energy model's power."""

    output_names_ = ["tortuosity_factor", "density_g_cm3", "specific_power_w_kg"]
    output_bounds_ = {"tortuosity_factor": (1.0, 3.0), "density_g_cm3": (2.0, 3.0),
                      "specific_power_w_kg": (0.0, 3000.0)}

    def to_torch(self):
        class Power(torch.nn.Module):
            def forward(self, X):
                am, sc, cr, rate = X.unbind(-1)
                return torch.stack([1 + cr / 25, 2 + cr / 50,
                                    3 * (600 - 100 * rate) * rate + 0 * am * sc], dim=-1)
        return Power()


def test_a_model_that_predicts_power_needs_no_energy_column():
    spec = ObjectiveSpec(targets=(Target("specific_power_w_kg", "max"),), c_rate="free")
    problem = RecipeProblem(PowerModel(), spec, default_space())
    X = torch.tensor([[90.0, 60.0, 20.0, 3.0]], dtype=torch.float64)
    assert problem.columns(X)["specific_power_w_kg"].item() == pytest.approx(2700.0)
    with pytest.raises(InputError, match="needs energy_wh_kg") as error:
        RecipeProblem(type("NoPower", (Model,), {"output_names_": ["tortuosity_factor"]})(),
                      spec, default_space())
    assert "specific_power_w_kg" not in str(error.value).split("allowed:")[1]


def test_errors():
    space = default_space()
    with pytest.raises(InputError, match="unknown property"):
        RecipeProblem(Model(), ObjectiveSpec(targets=(Target("wetting", "min"),),
                                             c_rate_value=1.0), space)
    with pytest.raises(InputError, match="needs a value"):
        RecipeProblem(Model(), ObjectiveSpec(targets=SPEC.targets), space)
    with pytest.raises(InputError, match="c_rate free in the space"):
        RecipeProblem(Model(), ObjectiveSpec(targets=(Target("c_rate", "max"),), c_rate="free"),
                      space.fix({"c_rate": 1.0}))
    with pytest.raises(InputError, match="lacks an input"):
        RecipeProblem(Model(), SPEC, space.__class__.from_bounds({"am_wt_pct": (85, 97)}))
