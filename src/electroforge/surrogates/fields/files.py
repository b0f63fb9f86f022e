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

__all__ = ["FORMAT", "load_checkpoint", "load_field_model", "save_checkpoint",
           "save_field_model"]

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


def save_checkpoint(path: str | os.PathLike[str], model: torch.nn.Module, optimizer,
                    epoch: int, header: dict[str, Any]) -> None:
    """Weights, Adam's state and the epoch reached, atomically (safetensors + JSON)."""
    from safetensors.torch import save_file

    from electroforge.atomic import atomic_path

    tensors = {f"model.{k}": v.detach().contiguous().cpu()
               for k, v in model.state_dict().items()}
    steps = {}
    for index, state in optimizer.state_dict()["state"].items():
        for name, value in state.items():
            if torch.is_tensor(value) and value.dim() > 0:
                tensors[f"optimizer.{index}.{name}"] = value.detach().contiguous().cpu()
            else:
                steps[f"{index}.{name}"] = float(value)
    content = {"format": FORMAT + "-checkpoint", "epoch": int(epoch), "steps": steps,
               "header": header}
    with atomic_path(Path(path)) as temporary:
        save_file(tensors, str(temporary), metadata={"electroforge": json.dumps(content)})


def load_checkpoint(path: str | os.PathLike[str], model: torch.nn.Module, optimizer,
                    header: dict[str, Any]) -> int:
    """Restore a checkpoint of the same training (same header); returns its epoch."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    try:
        with safe_open(str(path), framework="pt") as handle:
            content = json.loads((handle.metadata() or {}).get("electroforge", "{}"))
        tensors = load_file(str(path))
    except (OSError, SafetensorError, ValueError) as error:
        raise InputError(f"cannot read the checkpoint ({error})", source=str(path),
                         allowed="a checkpoint of this training (or delete it)") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT + "-checkpoint" \
            or content.get("header") != header:
        raise InputError("the checkpoint belongs to another training", source=str(path),
                         allowed="the same data, task and options (or delete the checkpoint)")
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    state = optimizer.state_dict()
    state["state"] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state["state"].setdefault(int(index), {})[name] = value
    for key, value in content["steps"].items():
        index, name = key.split(".", 1)
        state["state"].setdefault(int(index), {})[name] = torch.tensor(value)
    optimizer.load_state_dict(state)
    return int(content["epoch"])
