"""The pairwise scatter with marginal histograms of a design (the reference's Figure 2)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from electroforge.atomic import atomic_path
from electroforge.design._common import check_space
from electroforge.errors import DesignError
from electroforge.space import Space

__all__ = ["pairplot"]

_FORMATS = ("png", "pdf", "svg")


def pairplot(space: Space, recipes: pd.DataFrame, path: str | os.PathLike[str], *,
             title: str | None = None, groups: pd.Series | None = None,
             note: str | None = None) -> Path:
    """Draw every pair of free parameters as a scatter, each one's histogram on the diagonal.

    Args:
        space: The space the recipes belong to; the axes span its bounds.
        recipes: The design.
        path: Output file, ``.png``, ``.pdf`` or ``.svg`` (written atomically).
        title: Figure title; by default the design's method, size and seed.
        groups: Optional label per row to colour points by (e.g. the slurry of a
            slurry-major design, which is used by default for such designs).

    Returns:
        The path written.
    """
    from matplotlib.figure import Figure

    space = check_space(space)
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in _FORMATS:
        raise DesignError("unsupported plot format", field="plot", value=str(path),
                          allowed=", ".join(f".{f}" for f in _FORMATS))
    space.to_unit_cube(recipes)  # raises a clear error for a missing parameter column
    meta = recipes.attrs.get("design", {})
    if groups is None and meta.get("method") == "slurry-major":
        groups = recipes.groupby(meta["slurry_parameters"], sort=False).ngroup()
    colors = _colors(groups, len(recipes))

    free = space.free
    d = len(free)
    fig = Figure(figsize=(2.3 * d + 0.6, 2.3 * d + 0.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(d, d, squeeze=False))
    for i, row in enumerate(free):
        for j, col in enumerate(free):
            ax = axes[i, j]
            if i < j:
                ax.set_axis_off()
                continue
            if i == j:
                ax.hist(recipes[col.name], bins=_bins(len(recipes)), range=(col.low, col.high),
                        color="#4c72b0", edgecolor="white", linewidth=0.5)
                ax.set_yticks([])
            else:
                ax.scatter(recipes[col.name], recipes[row.name], s=9, c=colors, linewidths=0)
                ax.set_ylim(*_padded(row.low, row.high))
            ax.set_xlim(*_padded(col.low, col.high))
            if i == d - 1:
                ax.set_xlabel(f"{col.name} [{col.unit}]")
            if j == 0 and i != j:
                ax.set_ylabel(f"{row.name} [{row.unit}]")
            ax.tick_params(labelsize=7)
    if note and d > 1:
        axes[0, d - 1].text(1.0, 1.0, textwrap.fill(note, 40), ha="right", va="top",
                            fontsize=9, transform=axes[0, d - 1].transAxes)
    if title is None:
        title = f"{meta.get('method', 'design')} design: n={len(recipes)}"
        if "seed" in meta:
            title += f", seed={meta['seed']}"
    fig.suptitle(title)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=120)
    return path


def _padded(low: float, high: float) -> tuple[float, float]:
    # A little room, so that points on a bound stay visible.
    pad = 0.02 * (high - low)
    return low - pad, high + pad


def _bins(n: int) -> int:
    # A power of two, so that a balanced Sobol' design of 2^m points shows flat histograms.
    return int(np.clip(2 ** np.floor(np.log2(np.sqrt(n))), 4, 32))


def _colors(groups: pd.Series | None, n: int) -> list | str:
    if groups is None:
        return "#4c72b0"
    codes = pd.factorize(pd.Series(groups).reset_index(drop=True))[0]
    if len(codes) != n:
        raise DesignError("groups must have one label per recipe", field="groups",
                          value=len(codes), allowed=str(n))
    from matplotlib import colormaps

    cmap = colormaps["tab20" if codes.max() >= 10 else "tab10"]
    return [cmap(code % cmap.N) for code in codes]
