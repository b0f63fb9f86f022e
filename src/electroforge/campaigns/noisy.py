"""Noisy observations for GP-Hedge: replicate groups, per-recipe noise, and the value of
a replicate against a new recipe.

Noise models (``HedgeSettings.noise``):

- ``inferred``: one noise level, learned with the GP's other hyperparameters (replicates
  are simply repeated rows).
- ``replicates``: heteroskedastic, from the replicates: each recipe's values are averaged
  and its noise variance is its sample variance shrunk toward the pooled one,
  ``v_g = (nu0 s_pool^2 + (n_g - 1) s_g^2) / (nu0 + n_g - 1)`` (a scaled-inverse-chi^2
  prior with ``nu0 = 4`` degrees of freedom; a recipe made once gets ``s_pool^2``), and
  the GP is given ``v_g / n_g`` as the fixed noise of the mean.
- ``known``: the variances told with the values (a lab's known repeatability), averaged
  per recipe and divided by its count; values told without one get the median of those
  told.
- ``auto``: ``known`` if any variance was told, else ``replicates`` once the replicates
  give at least ``MIN_REPLICATE_DOF`` degrees of freedom, else ``inferred``.

Told variances are carried into the warped space by the delta method
(``Var T(y) = T'(y)^2 Var y``); replicate variances are estimated in the warped space
directly.

The value of information (:func:`discrete_knowledge_gradient`) is the discrete knowledge
gradient of Frazier, Powell and Dayanik (2009) over the evaluated recipes and the
candidate: how much the best posterior mean among them is expected to rise after one more
observation at a point. A replicate of an evaluated recipe has value only through the
noise (with none, the posterior there is already exact, and its value is 0).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["NOISES", "MIN_REPLICATE_DOF", "discrete_knowledge_gradient", "replicate_groups",
           "training_targets"]

NOISES = ("auto", "inferred", "replicates", "known")
#: Degrees of freedom the replicates need before ``auto`` trusts per-recipe variances.
MIN_REPLICATE_DOF = 2
PRIOR_DOF = 4.0
#: Standard normal nodes (equal weights) for the knowledge gradient's expectation.
_NODES = 64


def replicate_groups(X: list[list[float]], span: np.ndarray) -> list[np.ndarray]:
    """Indices of the points that are the same recipe (within 1e-9 of each range), in order
    of first appearance."""
    if not X:
        return []
    keys = np.round(np.asarray(X, dtype=float) / span, 9)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(first)
    return [np.flatnonzero(inverse == g) for g in order]


def noise_mode(setting: str, groups: list[np.ndarray], variances: list[float | None]) -> str:
    if setting != "auto":
        return setting
    if any(v is not None for v in variances):
        return "known"
    dof = sum(len(g) - 1 for g in groups)
    return "replicates" if dof >= MIN_REPLICATE_DOF else "inferred"


def training_targets(X: list[list[float]], z: np.ndarray, dz_dy: np.ndarray,
                     variances: list[float | None], groups: list[np.ndarray], mode: str
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The GP's rows for a noise ``mode``: ``(X, z, Yvar or None)``, ``z`` warped values."""
    X = np.asarray(X, dtype=float)
    if mode == "inferred":
        return X, z, None
    if mode == "known":
        told = [v for v in variances if v is not None]
        if not told:
            from electroforge.errors import InputError

            raise InputError("noise 'known' needs variances told with the values",
                             field="noise", value="known",
                             allowed="tell(X, y, variances=...), or noise auto/inferred/"
                             "replicates")
        fill = float(np.median(told))
        var_z = np.array([fill if v is None else v for v in variances]) * dz_dy ** 2
        per_group = [var_z[g].mean() for g in groups]
    elif mode == "replicates":
        replicated = [g for g in groups if len(g) > 1]
        dof = sum(len(g) - 1 for g in replicated)
        if dof < 1:
            return X, z, None
        pooled = sum(((z[g] - z[g].mean()) ** 2).sum() for g in replicated) / dof
        per_group = [(PRIOR_DOF * pooled + ((z[g] - z[g].mean()) ** 2).sum())
                     / (PRIOR_DOF + len(g) - 1) for g in groups]
    else:
        raise ValueError(mode)
    X_g = np.array([X[g[0]] for g in groups])
    z_g = np.array([z[g].mean() for g in groups])
    yvar = np.array([max(v, 1e-12 * (z.std() ** 2 + 1e-300)) / len(g)
                     for v, g in zip(per_group, groups)])
    return X_g, z_g, yvar


def discrete_knowledge_gradient(model, options: torch.Tensor, reference: torch.Tensor,
                                noise_var: torch.Tensor) -> np.ndarray:
    """Expected rise of the best posterior mean over ``reference`` and the option after one
    observation at each option (noise variance ``noise_var`` per option, model units).

    ``mu_{n+1}(s) = mu(s) + Cov(s, x) / sqrt(Var(x) + noise) Z`` for ``Z ~ N(0, 1)``, for
    ``s`` in ``reference`` and ``x`` itself; the expectation of the maximum is taken on
    ``_NODES`` equal-weight normal quantiles.
    """
    from scipy.stats import norm

    n_ref = len(reference)
    with torch.no_grad():
        posterior = model.posterior(torch.cat([reference, options]))
        mu = posterior.mean.squeeze(-1)
        cov = posterior.distribution.covariance_matrix
    z = torch.tensor(norm.ppf((np.arange(_NODES) + 0.5) / _NODES), dtype=mu.dtype)
    var = torch.diagonal(cov)[n_ref:].clamp_min(0)
    scale = torch.sqrt(var + noise_var.to(mu.dtype)).clamp_min(1e-300)
    slope_ref = cov[:n_ref, n_ref:] / scale                 # (reference, options)
    slope_own = var / scale                                  # (options,)
    mu_ref, mu_own = mu[:n_ref], mu[n_ref:]
    after = torch.maximum(
        (mu_ref[:, None, None] + slope_ref[:, :, None] * z).max(dim=0).values,
        mu_own[:, None] + slope_own[:, None] * z)           # (options, nodes)
    before = torch.maximum(mu_ref.max(), mu_own)
    return (after.mean(dim=1) - before).clamp_min(0).numpy()
