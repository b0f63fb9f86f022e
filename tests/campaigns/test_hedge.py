import json

import numpy as np
import pytest

from electroforge.campaigns import GPHedge
from electroforge.errors import InputError

BOUNDS = [(0.0, 1.0), (-1.0, 1.0)]


def bowl(x):
    return float(sum((xi - 0.3) ** 2 for xi in x))


def advance(optimizer, steps, n=1):
    for _ in range(steps):
        points = optimizer.ask(n)
        optimizer.tell(points, [bowl(x) for x in points])


def test_a_batch_spreads_out_around_pending_points():
    optimizer = GPHedge(BOUNDS, n_initial=5, seed=2)
    advance(optimizer, 5)
    batch = optimizer.ask(4)
    assert optimizer.pending == batch and len(optimizer.steps) == 0
    distances = [np.linalg.norm(np.subtract(a, b)) for i, a in enumerate(batch)
                 for b in batch[i + 1:]]
    assert min(distances) > 1e-3          # not the same recipe four times
    optimizer.tell(batch, [bowl(x) for x in batch])
    assert optimizer.pending == [] and len(optimizer.steps) == 4
    assert [s.n_observations for s in optimizer.steps] == [9] * 4


def test_greedy_ask_ends_a_batch_at_the_posterior_mean_minimum():
    optimizer = GPHedge(BOUNDS, n_initial=6, seed=4, kernel="product")
    advance(optimizer, 9)
    gains = optimizer.gains.copy()
    batch = optimizer.ask(2, greedy=True)
    assert ["decision" in p for p in optimizer._pending] == [True, False]
    # the bowl's bottom as the GP sees it, far below the best told so far (0.0026 < 0.030)
    assert bowl(batch[1]) < min(optimizer.y) / 10
    optimizer.tell(batch, [bowl(x) for x in batch])
    assert len(optimizer.steps) == 4          # only the hedge decision was rewarded
    assert not np.array_equal(optimizer.gains, gains)


def test_resuming_from_the_saved_state_continues_exactly():
    straight = GPHedge(BOUNDS, n_initial=4, seed=5)
    advance(straight, 9)
    interrupted = GPHedge(BOUNDS, n_initial=4, seed=5)
    advance(interrupted, 6)
    pending = interrupted.ask()                       # asked, then the process dies
    resumed = GPHedge.from_state(json.loads(json.dumps(interrupted.state())))
    assert resumed.pending == pending
    resumed.tell(pending, [bowl(x) for x in pending])
    advance(resumed, 2)
    assert resumed.X == straight.X and resumed.y == straight.y
    assert [s.probabilities for s in resumed.steps] == [s.probabilities for s in straight.steps]
    assert resumed.gains.tolist() == straight.gains.tolist()


def test_results_told_first_replace_the_initial_design():
    optimizer = GPHedge(BOUNDS, n_initial=4, seed=0)
    outside = [[0.1, 0.1], [0.9, -0.5], [0.5, 0.9], [0.2, 0.6]]
    optimizer.tell(outside, [bowl(x) for x in outside])   # recipes made outside the engine
    optimizer.ask()
    assert optimizer._n_sobol == 0 and optimizer._n_decisions == 1


def test_best_and_probabilities():
    optimizer = GPHedge(BOUNDS, n_initial=3, seed=0, eta=0.0)
    advance(optimizer, 3)
    x, value = optimizer.best()
    assert value == min(optimizer.y) and x == optimizer.X[int(np.argmin(optimizer.y))]
    assert list(optimizer.probabilities.values()) == pytest.approx([1 / 4] * 4)


@pytest.mark.parametrize(
    ("X", "y", "fragment"),
    [([[0.1, 0.2]], [1.0, 2.0], "differ in length"), ([[0.1]], [1.0], "wrong size"),
     ([[0.1, float("nan")]], [1.0], "not finite"), ([[0.1, 0.2]], [float("inf")], "non-finite")],
)
def test_bad_tell_records_nothing(X, y, fragment):
    optimizer = GPHedge(BOUNDS, seed=0)
    optimizer.tell([[0.5, 0.5]], [0.1])
    with pytest.raises(InputError, match=fragment):
        optimizer.tell([[0.2, 0.2]] + X, [0.3] + y)
    assert optimizer.X == [[0.5, 0.5]] and optimizer.y == [0.1]


def test_bad_settings_and_state():
    with pytest.raises(InputError, match="n_initial"):
        GPHedge(BOUNDS, n_initial=0)
    with pytest.raises(InputError, match="beta"):
        GPHedge(BOUNDS, beta=-1.0)
    with pytest.raises(InputError, match="positive count"):
        GPHedge(BOUNDS).ask(0)
    with pytest.raises(InputError, match="GP-Hedge state"):
        GPHedge.from_state({"format": "other"})


def test_linear_constraints_hold_for_every_point_asked():
    # x0 + x1 <= 1 written as -x0 - x1 >= -1; the bowl's optimum (1, 1) lies outside,
    # the constrained one is (0.5, 0.5)
    optimizer = GPHedge([(0.0, 1.0), (0.0, 1.0)], seed=0, n_initial=5,
                        linear_constraints=[([0, 1], [-1.0, -1.0], -1.0)])
    for _ in range(14):
        [x] = optimizer.ask()
        assert x[0] + x[1] <= 1 + 1e-6
        optimizer.tell([x], [(x[0] - 1) ** 2 + (x[1] - 1) ** 2])
    assert all(x[0] + x[1] <= 1 + 1e-6 for x in optimizer.ask(3))
    assert optimizer.best()[1] == pytest.approx(0.5, abs=0.01)
    resumed = GPHedge.from_state(json.loads(json.dumps(optimizer.state())))
    assert resumed.linear_constraints == optimizer.linear_constraints
    with pytest.raises(InputError, match="no room"):
        GPHedge([(0.0, 1.0)], linear_constraints=[([0], [1.0], 2.0)]).ask()
    with pytest.raises(InputError, match="index"):
        GPHedge([(0.0, 1.0)], linear_constraints=[([3], [1.0], 0.0)])


def test_one_settings_object_for_the_optimizer_the_minimizer_and_the_saved_state():
    from electroforge.campaigns import HedgeSettings, gp_hedge_minimize

    settings = HedgeSettings(eta=2.0, decay=0.8, n_initial=4, acquisitions=["EI", "PI"])
    assert settings.acquisitions == ("EI", "PI")
    opt = GPHedge([(0.0, 1.0)], seed=3, settings=settings, beta=1.0)   # a keyword overrides
    assert opt.settings == HedgeSettings(eta=2.0, decay=0.8, n_initial=4,
                                         acquisitions=("EI", "PI"), beta=1.0)
    assert (opt.eta, opt.decay, opt.beta, opt.n_initial) == (2.0, 0.8, 1.0, 4)
    resumed = GPHedge.from_state(json.loads(json.dumps(opt.state())))
    assert resumed.settings == opt.settings and resumed.seed == 3
    result = gp_hedge_minimize(lambda x: (x[0] - 0.3) ** 2, [(0.0, 1.0)], n_calls=6,
                               settings=settings)
    assert result.optimizer.settings.eta == 2.0 and result.optimizer.n_initial == 4
    with pytest.raises(InputError, match="optimizer.decay.*0 < decay <= 1"):
        HedgeSettings.from_dict({"decay": 0}, prefix="optimizer")
    with pytest.raises(InputError, match="optimizer.gamma.*unknown key"):
        HedgeSettings.from_dict({"gamma": 1}, prefix="optimizer")
    with pytest.raises(InputError, match="unknown key"):
        GPHedge([(0.0, 1.0)], gamma=1)


def test_a_campaign_definition_keeps_every_setting_of_its_optimizer():
    from electroforge.campaigns import HedgeSettings
    from electroforge.campaigns.definition import CampaignDefinition

    settings = HedgeSettings(acquisitions=("EI",), num_restarts=np.int64(2), eta=0.5)
    assert settings.num_restarts == 2 and type(settings.num_restarts) is int
    definition = CampaignDefinition(name="h", budget=3, evaluator="line", optimizer=settings)
    again = CampaignDefinition.from_dict(json.loads(json.dumps(definition.to_dict())))
    assert again.optimizer == settings and again == definition
