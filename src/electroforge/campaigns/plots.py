"""Figures of an optimization run: convergence with the hedge's odds (the reference's
Figure S2) and 2-D partial-dependence maps of the GP with the optimum marked (Figure 3).

Partial dependence of a pair (i, j): the GP's posterior mean of the cost on a grid of
(x_i, x_j), averaged over Sobol' points of the other parameters (Friedman 2001); with two
parameters it is the posterior mean itself.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from electroforge.atomic import atomic_path

__all__ = ["convergence_plot", "partial_dependence", "partial_dependence_plot"]

_GRID = 40
_BACKGROUND = 64


def convergence_plot(costs: Sequence[float], probabilities: Sequence[dict[str, float]],
                     path: str | os.PathLike[str], *, n_initial: int,
                     label: str = "cost") -> Path:
    """Cost of every evaluation and the best so far; below, the hedge's odds per step."""
    from matplotlib.figure import Figure

    costs = np.asarray(costs, dtype=float)
    fig = Figure(figsize=(7.0, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    calls = np.arange(1, len(costs) + 1)
    top.scatter(calls, costs, s=9, color="0.55", label="evaluated")
    top.plot(calls, np.minimum.accumulate(costs), color="#c44e52", linewidth=2,
             label="best so far")
    top.axvline(n_initial + 0.5, color="0.3", linestyle=":", linewidth=1)
    top.text(n_initial + 0.5, 0.98, " GP-Hedge from here", transform=top.get_xaxis_transform(),
             va="top", fontsize=8, color="0.3")
    top.set_ylabel(label)
    top.legend(loc="upper right", fontsize=8)
    if probabilities:
        names = list(probabilities[0])
        steps = calls[-len(probabilities):] if len(probabilities) <= len(calls) else \
            np.arange(n_initial + 1, n_initial + 1 + len(probabilities))
        odds = np.array([[p[name] for name in names] for p in probabilities])
        bottom.stackplot(steps, odds.T, labels=names, alpha=0.85,
                         colors=["#4c72b0", "#dd8452", "#55a868", "#8172b3"][:len(names)])
        bottom.set_ylim(0, 1)
        bottom.legend(loc="upper left", fontsize=8, ncols=len(names))
    bottom.set_ylabel("hedge odds")
    bottom.set_xlabel("evaluation")
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, format=path.suffix.lstrip(".") or "png")
    return path


def partial_dependence(X: np.ndarray, y: np.ndarray, bounds: Sequence[tuple[float, float]],
                       *, seed: int = 0, model=None
                       ) -> dict[tuple[int, int], tuple[np.ndarray, ...]]:
    """``{(i, j): (grid_i, grid_j, mean)}`` for every pair, ``mean`` of shape ``(G, G)``;
    ``model``: a GP of ``-y`` already fitted (:func:`~electroforge.campaigns.hedge.fit_gp`)."""
    from scipy.stats import qmc

    from electroforge.campaigns.hedge import fit_gp
    from electroforge.threads import single_threaded

    box = np.asarray(bounds, dtype=float).T
    d = box.shape[1]
    with single_threaded(), torch.random.fork_rng():
        torch.manual_seed(seed)
        if model is None:
            model = fit_gp(torch.tensor(X, dtype=torch.float64),
                           torch.tensor(y, dtype=torch.float64),
                           torch.tensor(box, dtype=torch.float64))
        background = box[0] + qmc.Sobol(d, rng=seed).random(_BACKGROUND) * (box[1] - box[0])
        maps = {}
        for i, j in itertools.combinations(range(d), 2):
            gi = np.linspace(box[0, i], box[1, i], _GRID)
            gj = np.linspace(box[0, j], box[1, j], _GRID)
            # with two parameters there is nothing to average over: one background point
            others = background if d > 2 else background[:1]
            points = np.broadcast_to(others, (_GRID, _GRID, *others.shape)).copy()
            points[..., i] = gi[:, None, None]
            points[..., j] = gj[None, :, None]
            with torch.no_grad():   # one point per batch: means only, no joint covariance
                mean = -model.posterior(torch.tensor(points.reshape(-1, 1, d))).mean
            maps[i, j] = (gi, gj, mean.reshape(_GRID, _GRID, -1).mean(dim=-1).numpy())
    return maps


def partial_dependence_plot(X: np.ndarray, y: np.ndarray, names: Sequence[str],
                            bounds: Sequence[tuple[float, float]], optimum: Sequence[float],
                            path: str | os.PathLike[str], *, seed: int = 0,
                            label: str = "cost", model=None) -> Path | None:
    """One map per pair of parameters, evaluations as dots, the optimum as a star.

    Returns None (and writes nothing) with fewer than two parameters.
    """
    if len(names) < 2:
        return None
    from matplotlib.figure import Figure

    maps = partial_dependence(np.asarray(X), np.asarray(y), bounds, seed=seed, model=model)
    n = len(maps)
    columns = min(n, 3)
    rows = -(-n // columns)
    fig = Figure(figsize=(4.0 * columns, 3.5 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    X = np.asarray(X)
    low = min(float(m[2].min()) for m in maps.values())
    high = max(float(m[2].max()) for m in maps.values())
    if not high > low:          # a flat map (one evaluation, or a constant cost)
        high = low + max(abs(low), 1.0) * 1e-9
    for ax, ((i, j), (gi, gj, mean)) in zip(axes, maps.items()):
        image = ax.contourf(gi, gj, mean.T, levels=np.linspace(low, high, 16), cmap="viridis")
        ax.scatter(X[:, i], X[:, j], s=5, color="white", alpha=0.6, linewidths=0)
        ax.scatter([optimum[i]], [optimum[j]], marker="*", s=160, color="#c44e52",
                   edgecolors="white", linewidths=0.8, label="optimum", clip_on=False,
                   zorder=5)
        ax.set_xlabel(names[i])
        ax.set_ylabel(names[j])
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.colorbar(image, ax=axes[:n].tolist(), label=f"partial dependence of the {label}")
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, format=path.suffix.lstrip(".") or "png")
    return path
