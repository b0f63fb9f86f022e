"""Field models on disk: the weights as a safetensors file whose metadata holds one JSON
header (format, architecture, and whatever the trainer records: normalization, line
version, training data hash, the command that made it). Nothing is unpickled: a shared
model file is data.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from electroforge.errors import InputError

__all__ = ["FORMAT", "load_field_model", "save_field_model"]

FORMAT = "electroforge-field-model"
_ARCHITECTURES = ("FiLMUNet3d",)


def save_field_model(model: torch.nn.Module, path: str | os.PathLike[str],
                     header: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s state_dict and a JSON header (with its architecture and config)
    to ``path`` (.safetensors), atomically."""
    from safetensors.torch import save_file

    from electroforge.atomic import atomic_path

    path = Path(path)
    content = {"format": FORMAT, "version": 1, "architecture": type(model).__name__,
               "config": dict(model.config), **(header or {})}
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    with atomic_path(path) as temporary:
        save_file(state, str(temporary), metadata={"electroforge": json.dumps(content)})
    return path


def load_field_model(path: str | os.PathLike[str]) -> tuple[torch.nn.Module, dict[str, Any]]:
    """The model of a file written by :func:`save_field_model` and its header."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from electroforge.surrogates.fields.unet import FiLMUNet3d

    path = Path(path)
    allowed = "a .safetensors field model written by electroforge"
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        state = load_file(str(path))
    except (OSError, SafetensorError, ValueError) as error:
        raise InputError(f"cannot read the field model ({error})", source=str(path),
                         allowed=allowed) from None
    try:
        header = json.loads(metadata["electroforge"])
        if header.get("format") != FORMAT or header.get("architecture") not in _ARCHITECTURES:
            raise ValueError("format")
        model = FiLMUNet3d(**header["config"])
        model.load_state_dict(state)
    except (KeyError, ValueError, TypeError, RuntimeError) as error:
        raise InputError(f"not a field model of this electroforge ({type(error).__name__})",
                         source=str(path), allowed=allowed) from None
    return model.eval(), header
