"""GP-Hedge (ours) beside scikit-optimize, plain BoTorch qLogEI and Sobol' random search.

Problems: Branin (2-D, 30 calls, minimum 0.397887) and Hartmann-6 (6-D, 60 calls,
minimum -3.32237), each over 20 seeds (the regrets are heavy-tailed: one stuck seed moves
a 10-seed mean several-fold). Printed per problem and method: the simple regret (best
value found minus the true minimum) as median, mean and worst over the seeds, and the
wall time per run. Targets (issue 5): ours no worse than scikit-optimize's
``gp_minimize(acq_func="gp_hedge")`` in median and mean regret on both problems, better
on Hartmann-6. Then the CPU seconds of one iteration (propose and learn one point, one
thread, median of three) at 50 and 300 observations on Hartmann-6, ours beside
scikit-optimize's ``Optimizer``; target <= 1 s at 300.

Ours ends with one greedy call (the minimizer of the GP's posterior mean: with simple
regret as the measure, the last evaluation has nothing left to explore for);
``ours-no-greedy`` is the ablation that hedges to the end, as scikit-optimize does.

Every method runs with its own defaults, as a user would call it: scikit-optimize with
10 random initial points; qLogEI and ours with a Sobol' start of max(5, 2 d) points;
qLogEI with BoTorch's tutorial settings (10 restarts, 512 raw samples). One thread.

Run: .venv/bin/python benchmarks/optimizer_regret.py [--seeds 10] [--methods ours skopt ...]
(scikit-optimize: ``pip install "scikit-optimize==0.10.*"`` or the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
import torch

from electroforge.campaigns import GPHedge, gp_hedge_minimize
from electroforge.threads import single_threaded

HARTMANN_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                       [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
HARTMANN_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                              [2329, 4135, 8307, 3736, 1004, 9991],
                              [2348, 1451, 3522, 2883, 3047, 6650],
                              [4047, 8828, 8732, 5743, 1091, 381]])
HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def branin(x) -> float:
    x1, x2 = x
    return float((x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
                 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10)


def hartmann6(x) -> float:
    x = np.asarray(x, dtype=float)
    inner = (HARTMANN_A * (x - HARTMANN_P) ** 2).sum(axis=1)
    return float(-(HARTMANN_ALPHA * np.exp(-inner)).sum())


PROBLEMS = {
    "branin": (branin, [(-5.0, 10.0), (0.0, 15.0)], 30, 0.397887),
    "hartmann6": (hartmann6, [(0.0, 1.0)] * 6, 60, -3.32237),
}


def run_ours(func, bounds, n_calls, seed):
    return gp_hedge_minimize(func, bounds, n_calls=n_calls, seed=seed).fun


def run_ours_hedge_to_the_end(func, bounds, n_calls, seed):
    """Ours with the last call a hedge decision too, as in scikit-optimize (ablation)."""
    return gp_hedge_minimize(func, bounds, n_calls=n_calls, seed=seed, greedy_last=False).fun


def run_skopt(func, bounds, n_calls, seed):
    from skopt import gp_minimize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gp_minimize(func, bounds, n_calls=n_calls, acq_func="gp_hedge",
                           random_state=seed).fun


@single_threaded()
def run_qlogei(func, bounds, n_calls, seed):
    from botorch.acquisition import qLogExpectedImprovement
    from botorch.optim import optimize_acqf
    from scipy.stats import qmc

    from electroforge.campaigns.hedge import fit_gp

    box = torch.tensor(bounds, dtype=torch.float64).T
    d = box.shape[1]
    n_initial = min(n_calls, max(5, 2 * d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cube = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(seed)).random(n_initial)
    X = box[0] + torch.tensor(cube) * (box[1] - box[0])
    y = torch.tensor([func(x) for x in X.tolist()], dtype=torch.float64)
    torch.manual_seed(seed)
    while len(y) < n_calls:
        model = fit_gp(X, y, box)
        acquisition = qLogExpectedImprovement(model, best_f=float((-y).max()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            candidate, _ = optimize_acqf(acquisition, bounds=box, q=1, num_restarts=10,
                                         raw_samples=512)
        X = torch.cat([X, candidate])
        y = torch.cat([y, torch.tensor([func(candidate[0].tolist())], dtype=torch.float64)])
    return float(y.min())


def run_sobol(func, bounds, n_calls, seed):
    from scipy.stats import qmc

    box = np.array(bounds).T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cube = qmc.Sobol(len(bounds), scramble=True, rng=np.random.default_rng(seed)).random(n_calls)
    return min(func(x) for x in box[0] + cube * (box[1] - box[0]))


METHODS = {"ours": run_ours, "skopt": run_skopt, "qlogei": run_qlogei, "sobol": run_sobol,
           "ours-no-greedy": run_ours_hedge_to_the_end}
LABELS = {"ours": "ours (GP-Hedge)", "skopt": "scikit-optimize gp_hedge",
          "qlogei": "BoTorch qLogEI", "sobol": "Sobol' random",
          "ours-no-greedy": "ours, no greedy last call"}


def iteration_seconds(n_observations: int, method: str, repeats: int = 3) -> float:
    """CPU seconds to propose one point and learn its value after ``n_observations``:
    the median of ``repeats`` consecutive iterations (steady state: one iteration runs
    first, untimed, as in a running campaign)."""
    rng = np.random.default_rng(0)
    X = rng.random((n_observations - 1, 6))
    y = [hartmann6(x) for x in X]
    if method == "ours":
        optimizer = GPHedge([(0.0, 1.0)] * 6, seed=0)
        optimizer.tell(X.tolist(), y)

        def iteration():
            [x] = optimizer.ask()
            optimizer.tell([x], [hartmann6(x)])
    else:
        from skopt import Optimizer

        optimizer = Optimizer([(0.0, 1.0)] * 6, acq_func="gp_hedge", random_state=0,
                              n_initial_points=1)
        optimizer.tell(X.tolist(), y)

        def iteration():
            x = optimizer.ask()
            optimizer.tell(x, hartmann6(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iteration()
        seconds = []
        for _ in range(repeats):
            start = time.process_time()
            iteration()
            seconds.append(time.process_time() - start)
    return float(np.median(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--no-timing", action="store_true", help="skip the per-iteration CPU time")
    args = parser.parse_args()
    torch.set_num_threads(1)
    summary = {}
    for problem in args.problems:
        func, bounds, n_calls, minimum = PROBLEMS[problem]
        print(f"{problem}: {n_calls} calls, {args.seeds} seeds (0..{args.seeds - 1}); "
              f"simple regret = best found - {minimum}")
        print(f"  {'method':<26} {'median':>8} {'mean':>8} {'worst':>8} {'s/run':>7}   per seed")
        for method in args.methods:
            regrets, seconds = [], []
            for seed in range(args.seeds):
                start = time.perf_counter()
                regrets.append(METHODS[method](func, bounds, n_calls, seed) - minimum)
                seconds.append(time.perf_counter() - start)
            regrets = np.array(regrets)
            summary[problem, method] = regrets
            print(f"  {LABELS[method]:<26} {np.median(regrets):8.4f} {regrets.mean():8.4f} "
                  f"{regrets.max():8.4f} {np.mean(seconds):7.1f}   "
                  + " ".join(f"{r:.3f}" for r in regrets), flush=True)
        if ("ours" in args.methods) and ("skopt" in args.methods):
            ours, peer = summary[problem, "ours"], summary[problem, "skopt"]
            print(f"  ours / scikit-optimize: median {_ratio(ours, peer, np.median)}, "
                  f"mean {_ratio(ours, peer, np.mean)}")
    if not args.no_timing:
        print("CPU seconds per iteration (ask + tell one point, one thread, median of 3), "
              "Hartmann-6:")
        with single_threaded():
            for n in (50, 300):
                ours = iteration_seconds(n, "ours")
                line = f"  {n:>3} observations: ours {ours:.2f} s (target <= 1 s at 300)"
                if "skopt" in args.methods:
                    line += f"; scikit-optimize {iteration_seconds(n, 'skopt'):.2f} s"
                print(line, flush=True)


def _ratio(ours: np.ndarray, peer: np.ndarray, statistic) -> str:
    peer_value = statistic(peer)
    return f"{statistic(ours) / peer_value:.2f}" if peer_value > 0 else "n/a (peer at 0)"


if __name__ == "__main__":
    main()
