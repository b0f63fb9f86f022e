"""Shared fixtures: the default space, the CLI run in-process, an analytic surrogate."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd
import pytest

from electroforge import default_space, design
from electroforge.cli import main
from electroforge.surrogates import SymbolicSurrogate

os.environ.setdefault("MPLBACKEND", "Agg")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def no_commands(monkeypatch, tmp_path):
    """Fail if anything runs a command (the payload of injection attempts), in a fresh
    working directory that must not gain the file ``PWNED``."""
    import subprocess

    def forbidden(*args, **kwargs):
        raise AssertionError("user input ran a command")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "system", forbidden)
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    yield
    assert not (tmp_path / "PWNED").exists()


@pytest.fixture
def space():
    return default_space()


@pytest.fixture
def cli(capsys, tmp_path, monkeypatch):
    """Run ``electroforge ARGS`` in-process inside ``tmp_path``; returns code, stdout, stderr."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> CliResult:
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse usage errors and --help
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


# A surrogate of analytic properties with a known optimum (optimize, sensitivity, campaigns).
# Linear properties, scaled over the data: tortuosity and density pull cr_pct in opposite
# directions, conductivity and active surface pull am_wt_pct, sc_wt_pct does nothing: Cf
# (Eq. 3) is a bowl with its minimum at the middle of both ranges, am_wt_pct = 91 and
# cr_pct = 25.
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    X = design.lhs(default_space().fix({"c_rate": 1.0}), 40, seed=3)[
        ["am_wt_pct", "sc_wt_pct", "cr_pct"]]
    # with the box's corners, the scaling bounds are exactly the ranges of the box
    corners = pd.DataFrame({"am_wt_pct": [85.0, 97.0], "sc_wt_pct": [55.0, 72.0],
                            "cr_pct": [0.0, 50.0]})
    X = pd.concat([X, corners], ignore_index=True)
    Y = pd.DataFrame({"tortuosity_factor": 1 + X.cr_pct / 25, "density_g_cm3": 2 + X.cr_pct / 50,
                      "conductivity_s_m": 100 - X.am_wt_pct, "active_surface_pct": X.am_wt_pct - 50})
    path = tmp_path_factory.mktemp("model") / "model.json"
    SymbolicSurrogate(max_terms=1).fit(X, Y).save(path)
    return path
