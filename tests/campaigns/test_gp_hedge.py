import numpy as np
import pytest
import torch

from electroforge.campaigns import gp_hedge_minimize
from electroforge.errors import InputError


def bowl(x):
    return float(sum((xi - 0.3) ** 2 for xi in x))


@pytest.fixture(scope="module")
def run():
    return gp_hedge_minimize(bowl, [(0.0, 1.0), (-1.0, 1.0)], n_calls=14, seed=3, decay=1.0)


def test_quadratic_bowl_is_minimized(run):
    assert run.fun < 2e-3
    assert np.allclose(run.x, [0.3, 0.3], atol=0.05)
    assert len(run.x_iters) == 14 and run.func_vals.shape == (14,)
    # x and fun: the evaluated point of best posterior mean, its posterior median inside
    # its interval; the best observation beside them
    assert run.rule == "best posterior mean among evaluated points" and run.x in run.x_iters
    assert run.interval[0] <= run.fun <= run.interval[1]
    assert run.fun_observed == run.func_vals.min()
    assert run.x_observed == run.x_iters[int(run.func_vals.argmin())]


def test_history_is_logged_and_reproducible(run):
    # 5 Sobol' points, 8 hedge decisions, and the last call greedy (no decision)
    assert len(run.steps) == len(run.probabilities) == 14 - 5 - 1
    for step in run.steps:
        assert set(step.candidates) == {"LCB", "EI", "PI", "NEI"}
        assert step.chosen in step.candidates
        assert sum(step.probabilities.values()) == pytest.approx(1.0)
    again = gp_hedge_minimize(bowl, [(0.0, 1.0), (-1.0, 1.0)], n_calls=14, seed=3, decay=1.0)
    assert again.x_iters == run.x_iters and again.probabilities == run.probabilities


def test_probabilities_move_toward_the_rewarded_acquisition(run):
    names = list(run.steps[0].gains)
    previous = np.zeros(len(names))
    for step, following in zip(run.steps, run.steps[1:]):
        gains = np.array([step.gains[n] for n in names])
        reward = gains - previous          # decay = 1: the gain grew by the reward
        best, worst = names[int(reward.argmax())], names[int(reward.argmin())]
        if reward.max() - reward.min() > 1e-9:
            assert following.probabilities[best] / following.probabilities[worst] > \
                step.probabilities[best] / step.probabilities[worst]
        previous = gains


def test_last_call_minimizes_the_posterior_mean(run):
    from botorch.acquisition import PosteriorMean
    from botorch.optim import optimize_acqf

    from electroforge.campaigns.hedge import fit_gp
    from electroforge.campaigns.warping import warp_from_dict

    bounds = torch.tensor([[0.0, -1.0], [1.0, 1.0]], dtype=torch.float64)
    X = torch.tensor(run.x_iters[:-1], dtype=torch.float64)
    y = torch.tensor(run.func_vals[:-1], dtype=torch.float64)
    # in the warp and with the kernel the run modelled the values with
    warp = warp_from_dict(run.optimizer._warp).fitted(y.numpy())
    model = fit_gp(X, torch.tensor(warp.forward(y.numpy())), bounds, start=None, fit=True,
                   kernel=run.optimizer._warp["kernel"])
    mean = PosteriorMean(model)      # the GP models -y: the highest mean is the lowest y
    last = torch.tensor([run.x_iters[-1]], dtype=torch.float64)
    found, _ = optimize_acqf(mean, bounds=bounds, q=1, num_restarts=8, raw_samples=256)
    with torch.no_grad():
        assert float(mean(last[:, None])) >= float(mean(found[:, None])) - 1e-3
        # ... and it beats every point told before it on the model's own scale
        assert float(mean(last[:, None])) >= float(mean(X[:, None]).max()) - 1e-6
    plain = gp_hedge_minimize(bowl, [(0.0, 1.0), (-1.0, 1.0)], n_calls=14, seed=3, decay=1.0,
                              greedy_last=False)
    assert plain.x_iters[:-1] == run.x_iters[:-1] and len(plain.steps) == 14 - 5


def test_eta_zero_chooses_uniformly():
    result = gp_hedge_minimize(bowl, [(0.0, 1.0)], n_calls=8, seed=0, eta=0.0)
    for probabilities in result.probabilities:
        assert list(probabilities.values()) == pytest.approx([1 / 4] * 4)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"bounds": [(1.0, 0.0)]}, "low < high"), ({"bounds": "x"}, "pairs"),
     ({"n_calls": 0}, "n_calls"), ({"n_initial": 50}, "n_initial"),
     ({"acquisitions": ["UCB2"]}, "unknown acquisition"), ({"eta": -1.0}, "eta"),
     ({"decay": 0.0}, "decay")],
)
def test_bad_arguments(kwargs, fragment):
    arguments = {"bounds": [(0.0, 1.0)], "n_calls": 6} | kwargs
    bounds = arguments.pop("bounds")
    with pytest.raises(InputError, match=fragment):
        gp_hedge_minimize(bowl, bounds, **arguments)


def test_non_finite_objective_is_reported():
    with pytest.raises(InputError, match="non-finite"):
        gp_hedge_minimize(lambda x: float("nan"), [(0.0, 1.0)], n_calls=3)


def test_runs_single_threaded_and_restores_the_setting():
    seen = []
    before = torch.get_num_threads()
    gp_hedge_minimize(lambda x: seen.append(torch.get_num_threads()) or bowl(x), [(0.0, 1.0)],
                      n_calls=3)
    assert seen == [1, 1, 1] and torch.get_num_threads() == before


def test_batches_fill_exactly_n_calls():
    result = gp_hedge_minimize(bowl, [(0.0, 1.0), (-1.0, 1.0)], n_calls=12, n_initial=5,
                               batch_size=3, seed=1)
    # batches of 3, 3 and a last one of 1, greedy (no hedge decision)
    assert len(result.x_iters) == 12 and len(result.steps) == 6
    assert [s.n_observations for s in result.steps] == [8, 8, 8, 11, 11, 11]
    assert result.fun < 0.02
