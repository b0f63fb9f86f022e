import math

import pandas as pd
import pytest
import torch

from electroforge.errors import InputError
from electroforge.objectives import (
    REFERENCE_TARGETS, AugmentedChebyshev, Constraint, Desirability, ReferenceCost, Target,
    WeightedSum)

DATA = pd.DataFrame({"tortuosity_factor": [1.5, 3.5], "conductivity_s_m": [0.0, 100.0],
                     "active_surface_pct": [10.0, 50.0], "density_g_cm3": [1.5, 3.0],
                     "porosity": [0.2, 0.5]})


def cf():
    return ReferenceCost.from_data(REFERENCE_TARGETS, DATA)


def test_reference_cf_equals_eq3_by_hand():
    # tau 2.0 -> 0.25; sigma 75 -> 0.75; surface 20 -> 0.25; density 2.7 -> 0.8
    y = torch.tensor([[2.0, 75.0, 20.0, 2.7]], dtype=torch.float64)
    expected = 0.25 * (0.25**2 + (1 - 0.75) ** 2 + (1 - 0.25) ** 2 + (1 - 0.8) ** 2)
    assert cf()(y).item() == pytest.approx(expected, rel=1e-12)


def test_best_and_worst_corners():
    best = torch.tensor([[1.5, 100.0, 50.0, 3.0]], dtype=torch.float64)
    worst = torch.tensor([[3.5, 0.0, 10.0, 1.5]], dtype=torch.float64)
    expected_worst = {ReferenceCost: 1.0, WeightedSum: 1.0, Desirability: 1.0,
                      AugmentedChebyshev: 0.25 + 0.05 * 1.0}
    for kind, value in expected_worst.items():
        objective = kind.from_data(REFERENCE_TARGETS, DATA)
        assert objective(best).item() == pytest.approx(0.0, abs=1e-9), kind
        assert objective(worst).item() == pytest.approx(value, abs=1e-9), kind


def test_weights_and_targets():
    targets = [Target("density_g_cm3", "max", weight=3.0),
               Target("porosity", "target", value=0.30)]
    objective = WeightedSum.from_data(targets, DATA)
    y = torch.tensor([[3.0, 0.40]], dtype=torch.float64)   # density perfect, porosity 1/3 off
    assert objective(y).item() == pytest.approx(0.25 * (0.4 - 0.3) / 0.3)
    chebyshev = AugmentedChebyshev.from_data(targets, DATA, rho=0.0)
    assert chebyshev(y).item() == pytest.approx(0.25 * (0.1 / 0.3))


def test_batched_and_differentiable():
    y = torch.rand(5, 7, 4, dtype=torch.float64) * torch.tensor([2.0, 100.0, 40.0, 1.5]) \
        + torch.tensor([1.5, 0.0, 10.0, 1.5])
    y.requires_grad_(True)
    cost = cf()(y)
    assert cost.shape == (5, 7)
    cost.sum().backward()
    # lowering tortuosity (a "min" property) always lowers Cf
    assert (y.grad[..., 0] > 0).all() and (y.grad[..., 1] <= 0).all()


def test_constraints_and_tables():
    objective = ReferenceCost.from_data(REFERENCE_TARGETS, DATA,
                                        constraints=[Constraint.parse("porosity >= 0.25")])
    assert objective.columns[-1] == "porosity"
    frame = DATA.assign(porosity=[0.2, 0.5])
    costs = objective.evaluate(frame)
    # row 2: worst tortuosity, best of the rest: Cf = 1/4 (1^2)
    assert math.isnan(costs.iloc[0]) and costs.iloc[1] == pytest.approx(0.25)
    values = objective.constraint_values(torch.tensor(frame[list(objective.columns)].to_numpy()))
    assert values[:, 0].tolist() == pytest.approx([0.05, -0.25])


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: Target("x", "sideways"), "unknown direction"),
        (lambda: Target("x", weight=0.0), "positive"),
        (lambda: Target("x", weight=float("inf")), "finite"),
        (lambda: Target("x", "target"), "needs its value"),
        (lambda: Target("x", "min", value=1.0), "only a 'target'"),
        (lambda: Target("x", low=2.0, high=1.0), "low bound"),
        (lambda: Target("bad name"), "identifier"),
        (lambda: ReferenceCost([]), "at least one target"),
        (lambda: ReferenceCost([Target("x")]), "no scaling bounds"),
        (lambda: ReferenceCost([Target("x", low=0, high=1), Target("x", low=0, high=1)]), "twice"),
        (lambda: Constraint.parse("porosity > 0.2"), "cannot read"),
        (lambda: ReferenceCost.from_data([Target("capacity_mah_g")], DATA), "lack this property"),
        (lambda: cf()(torch.zeros(3, 2, dtype=torch.float64)), "wrong width"),
        (lambda: AugmentedChebyshev.from_data(REFERENCE_TARGETS, DATA, rho=2.0), "rho"),
    ],
)
def test_invalid_objectives(build, fragment):
    with pytest.raises(InputError, match=fragment):
        build()
