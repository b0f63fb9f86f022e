"""Fitted equations as a differentiable torch module (for BoTorch objectives and acquisition)."""

from __future__ import annotations

import torch

from electroforge.surrogates.derived import augment
from electroforge.surrogates.sisso import LinearModel

__all__ = ["EquationModule"]


class EquationModule(torch.nn.Module):
    """Evaluate fitted equations on a ``batch_shape x n x d`` tensor of inputs.

    Args:
        models: One :class:`~electroforge.surrogates.sisso.LinearModel` per output.
        feature_names: Input columns, in the order of the last dimension of ``X``.
        output_names: Output names, in the order of the last dimension of the result.

    ``forward(X)`` returns a ``batch_shape x n x k`` tensor in ``X``'s dtype (use float64).
    """

    def __init__(self, models: list[LinearModel], feature_names: list[str],
                 output_names: list[str], derived: list | None = None) -> None:
        super().__init__()
        self.models = list(models)
        self.derived = list(derived or [])
        self.feature_names = list(feature_names)
        self.output_names = list(output_names)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        flat = augment(X.reshape(-1, X.shape[-1]), self.derived)
        columns = [model.predict(flat) for model in self.models]
        return torch.stack(columns, dim=-1).reshape(*X.shape[:-1], len(self.models))
