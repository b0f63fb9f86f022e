"""Non-symbolic surrogates behind the same interface: a Gaussian process (BoTorch) and an MLP.

Both take a DataFrame ``X`` and one column per output in ``Y``, store what they learned in
attributes ending in ``_``, predict DataFrames, give a differentiable float64 torch module
(``to_torch``), refuse a space where their predictions leave the data's sign
(``check_domain``), and round-trip exactly through JSON (weights as float hex). Neither
has a closed form: ``equations()`` describes the model instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from electroforge.atomic import atomic_write_text
from electroforge.seeds import check_seed
from electroforge.surrogates.symbolic import (
    Equation, SurrogateError, _check_values, _frame)

__all__ = ["GPSurrogate", "MLPSurrogate"]

_FORMAT = "electroforge-neural-surrogate"


class _TorchSurrogate:
    kind = ""

    def __init__(self, *, seed: int = 0, **options: Any) -> None:
        self.seed = seed
        self.options = options

    # -- shared -------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, Y: pd.DataFrame | pd.Series, *, space=None):
        """Fit one model per column of ``Y``; with ``space``, :meth:`check_domain` must pass."""
        inputs, outputs = _frame(X, "X"), _frame(Y, "Y")
        if len(inputs) != len(outputs):
            raise SurrogateError("X and Y have different numbers of rows", field="Y",
                                 value=len(outputs), allowed=f"{len(inputs)} rows, as X")
        _check_values(inputs, "X")
        _check_values(outputs, "Y")
        if len(inputs) < 5:
            raise SurrogateError("too few rows", field="X", value=len(inputs), allowed=">= 5 rows")
        for column in inputs.columns:
            if inputs[column].nunique() < 2:
                raise SurrogateError("constant input column: it cannot explain anything",
                                     field=column, value=inputs[column].iloc[0],
                                     allowed="varying values (drop fixed parameters first)")
        seed = check_seed(self.seed)
        self.feature_names_ = [str(c) for c in inputs.columns]
        self.output_names_ = [str(c) for c in outputs.columns]
        self.positive_ = {c: bool((outputs[c] > 0).all()) for c in self.output_names_}
        self.training_bounds_ = {c: (float(inputs[c].min()), float(inputs[c].max()))
                                 for c in self.feature_names_}
        self.output_bounds_ = {c: (float(outputs[c].min()), float(outputs[c].max()))
                               for c in self.output_names_}
        x = torch.tensor(inputs.to_numpy(dtype=float), dtype=torch.float64)
        self.state_ = {}
        for i, name in enumerate(self.output_names_):
            y = torch.tensor(outputs[name].to_numpy(dtype=float), dtype=torch.float64)
            with torch.random.fork_rng():
                torch.manual_seed(seed + i)
                self.state_[name] = self._fit_one(x, y)
        if space is not None:
            self.check_domain(space)
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_fitted()
        frame = _frame(X, "X")
        missing = [n for n in self.feature_names_ if n not in frame.columns]
        if missing:
            raise SurrogateError("missing input column", field=missing[0],
                                 allowed=", ".join(self.feature_names_))
        x = torch.tensor(frame[self.feature_names_].to_numpy(dtype=float), dtype=torch.float64)
        with torch.no_grad():
            out = self.to_torch()(x).numpy()
        return pd.DataFrame(out, columns=self.output_names_, index=frame.index)

    def check_domain(self, space):
        from scipy.stats import qmc

        self._check_fitted()
        cube = qmc.Sobol(space.dim, rng=0).random(4096)
        points = space.from_unit_cube(cube)
        predicted = self.predict(points)
        for name in self.output_names_:
            values = predicted[name].to_numpy()
            bad = ~np.isfinite(values) | ((values <= 0) if self.positive_[name] else False)
            if np.any(bad):
                where = points.iloc[int(np.argmax(bad))][self.feature_names_]
                text = ", ".join(f"{k}={v:.4g}" for k, v in where.items())
                raise SurrogateError(f"the {self.kind} prediction is not finite or leaves the "
                                     f"data's sign at {text}", field=name,
                                     allowed="predictions finite and of the data's sign "
                                     "over the whole space")
        return self

    def equations(self) -> dict[str, Equation]:
        self._check_fitted()
        return {name: Equation(name, self._describe(name), None) for name in self.output_names_}

    def to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        return {"format": _FORMAT, "kind": self.kind, "seed": self.seed, "options": self.options,
                "feature_names": self.feature_names_, "output_names": self.output_names_,
                "positive": self.positive_, "training_bounds": self.training_bounds_,
                "output_bounds": self.output_bounds_,
                "state": {name: _encode(state) for name, state in self.state_.items()}}

    def save(self, path: str | os.PathLike[str]) -> Path:
        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict(), sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]):
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
            raise SurrogateError(f"cannot read the model file ({error})", source=str(path)) from None
        kinds = {k.kind: k for k in (GPSurrogate, MLPSurrogate)}
        if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("kind") not in kinds:
            raise SurrogateError("not a GP or MLP surrogate file", source=str(path),
                                 allowed=f"a file written by {', '.join(kinds)} save()")
        try:
            model = kinds[data["kind"]](seed=data["seed"], **data["options"])
            model.feature_names_ = [str(name) for name in data["feature_names"]]
            model.output_names_ = [str(name) for name in data["output_names"]]
            model.positive_ = {str(k): bool(v) for k, v in dict(data["positive"]).items()}
            model.training_bounds_ = {k: _pair(v) for k, v in
                                      data.get("training_bounds", {}).items()}
            model.output_bounds_ = {k: _pair(v) for k, v in data.get("output_bounds", {}).items()}
            model.state_ = {name: _decode(data["state"][name]) for name in model.output_names_}
        except SurrogateError:
            raise
        except KeyError as error:
            raise SurrogateError("the model file lacks a key", source=str(path),
                                 field=str(error.args[0]),
                                 allowed=f"a file written by {', '.join(kinds)} save()") from None
        except (TypeError, ValueError, AttributeError, IndexError, RuntimeError) as error:
            raise SurrogateError(f"malformed model file ({str(error)[:120]})", source=str(path),
                                 allowed=f"a file written by {', '.join(kinds)} save()") from None
        return model

    def _check_fitted(self) -> None:
        if not hasattr(self, "state_"):
            raise SurrogateError("the surrogate is not fitted yet", allowed="call fit(X, Y) first")


class GPSurrogate(_TorchSurrogate):
    """One BoTorch ``SingleTaskGP`` per output (Matern 5/2, inputs normalized to the unit
    cube, outcomes standardized), hyperparameters by maximum marginal likelihood."""

    kind = "gp"

    def _fit_one(self, x: torch.Tensor, y: torch.Tensor) -> dict:
        from botorch.fit import fit_gpytorch_mll
        from gpytorch.mlls import ExactMarginalLogLikelihood

        gp = _gp(x, y.unsqueeze(-1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(gp.likelihood, gp))
        return {"train_x": x, "train_y": y, **{k: v.detach().clone()
                                               for k, v in gp.state_dict().items()}}

    def to_torch(self) -> torch.nn.Module:
        self._check_fitted()
        models = []
        for name in self.output_names_:
            state = dict(self.state_[name])
            gp = _gp(state.pop("train_x"), state.pop("train_y").unsqueeze(-1))
            gp.load_state_dict(state)
            gp.eval()
            models.append(gp)
        return _Stack(models, lambda model, x: model.posterior(x).mean[..., 0])

    def _describe(self, name: str) -> str:
        return f"Gaussian process on {len(self.state_[name]['train_y'])} points (posterior mean)"


class MLPSurrogate(_TorchSurrogate):
    """One small multilayer perceptron per output (tanh, inputs scaled to [0, 1], outputs
    standardized), trained by L-BFGS on the mean squared error.

    Options: ``hidden`` (units per layer, default 32), ``layers`` (default 2),
    ``steps`` (L-BFGS iterations, default 500), ``weight_decay`` (default 1e-4).
    """

    kind = "mlp"

    def _fit_one(self, x: torch.Tensor, y: torch.Tensor) -> dict:
        hidden, layers = int(self.options.get("hidden", 32)), int(self.options.get("layers", 2))
        low, high = x.min(0).values, x.max(0).values
        mean, std = y.mean(), y.std()
        net = _mlp(x.shape[1], hidden, layers)
        target = (y - mean) / std
        inputs = (x - low) / (high - low)
        decay = float(self.options.get("weight_decay", 1e-4))
        optimizer = torch.optim.LBFGS(net.parameters(), max_iter=int(self.options.get("steps", 500)),
                                      line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            loss = torch.mean((net(inputs)[:, 0] - target) ** 2)
            loss = loss + decay * sum(p.pow(2).sum() for p in net.parameters())
            loss.backward()
            return loss

        optimizer.step(closure)
        return {"low": low, "high": high, "mean": mean, "std": std,
                **{k: v.detach().clone() for k, v in net.state_dict().items()}}

    def to_torch(self) -> torch.nn.Module:
        self._check_fitted()
        hidden, layers = int(self.options.get("hidden", 32)), int(self.options.get("layers", 2))
        nets = []
        for name in self.output_names_:
            state = dict(self.state_[name])
            scale = {k: state.pop(k) for k in ("low", "high", "mean", "std")}
            net = _mlp(len(self.feature_names_), hidden, layers)
            net.load_state_dict(state)
            nets.append((net, scale))
        return _Stack(nets, lambda item, x: item[0]((x - item[1]["low"]) / (
            item[1]["high"] - item[1]["low"]))[..., 0] * item[1]["std"] + item[1]["mean"])

    def _describe(self, name: str) -> str:
        return (f"MLP, {self.options.get('layers', 2)} x {self.options.get('hidden', 32)} tanh "
                "units")


class _Stack(torch.nn.Module):
    """``batch x n x d`` -> ``batch x n x k`` from one model per output."""

    def __init__(self, models: list, evaluate) -> None:
        super().__init__()
        self.items = models
        self.modules_list = torch.nn.ModuleList(
            [m if isinstance(m, torch.nn.Module) else m[0] for m in models])
        self.evaluate = evaluate

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        flat = X.reshape(-1, X.shape[-1]).to(torch.float64)
        columns = [self.evaluate(item, flat) for item in self.items]
        return torch.stack(columns, dim=-1).reshape(*X.shape[:-1], len(self.items))


def _gp(x: torch.Tensor, y: torch.Tensor):
    from botorch.models import SingleTaskGP
    from botorch.models.transforms import Normalize, Standardize

    return SingleTaskGP(x, y, input_transform=Normalize(d=x.shape[-1]),
                        outcome_transform=Standardize(m=1))


def _mlp(d: int, hidden: int, layers: int) -> torch.nn.Module:
    parts, width = [], d
    for _ in range(layers):
        parts += [torch.nn.Linear(width, hidden, dtype=torch.float64), torch.nn.Tanh()]
        width = hidden
    parts.append(torch.nn.Linear(width, 1, dtype=torch.float64))
    return torch.nn.Sequential(*parts)


def _encode(state: dict[str, torch.Tensor]) -> dict[str, Any]:
    return {k: {"shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch."),
                "values": [float(x).hex() for x in v.reshape(-1).double().tolist()]}
            for k, v in state.items()}


_DTYPES = {"float64": torch.float64, "float32": torch.float32, "int64": torch.int64,
           "bool": torch.bool}


def _decode(state: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Tensors from their hex values; the dtype is looked up in a whitelist."""
    out = {}
    for k, v in state.items():
        dtype = v.get("dtype", "float64")
        if dtype not in _DTYPES:
            raise ValueError(f"tensor {k!r} has dtype {dtype!r}; allowed: {', '.join(_DTYPES)}")
        values = torch.tensor([float.fromhex(x) for x in v["values"]], dtype=torch.float64)
        out[k] = values.reshape(v["shape"]).to(_DTYPES[dtype])
    return out


def _pair(value: Any) -> tuple[float, float]:
    low, high = (float(v) for v in value)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"bounds {value!r} are not two finite numbers")
    return low, high
