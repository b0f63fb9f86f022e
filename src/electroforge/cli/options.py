"""Argument types and options shared by commands (space, bounds, fixed values, counts)."""

from __future__ import annotations

import argparse
import math
import shlex
from collections.abc import Sequence

from electroforge.errors import InputError
from electroforge.space import Space, default_space

__all__ = ["add_space_options", "check_dataset_output", "check_plot_output", "check_space_input",
           "command_line", "count", "finite_non_negative_at_most", "non_negative", "seed",
           "space_from_args", "workers"]

PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def _bounded(kind: type, minimum: float, maximum: float | None = None):
    """argparse type: a number of ``kind`` (int or float) in [minimum, maximum]; NaN and
    infinities fall outside every range."""
    noun = "an integer" if kind is int else "a number"
    allowed = (f"{noun} >= {minimum:g}" if maximum is None
               else f"{noun} from {minimum:g} to {maximum:g}")

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"value {text!r} is not {noun}; allowed: {allowed}") from None
        if not (minimum <= value and (maximum is None or value <= maximum)) or (
                kind is float and not math.isfinite(value)):
            shown = value if kind is int else repr(text)
            raise argparse.ArgumentTypeError(f"value {shown}; allowed: {allowed}")
        return value

    return parse


#: argparse type: an integer >= 1 (sizes, counts).
count = _bounded(int, 1)
#: argparse type: an integer >= 0 (seeds, worker counts where 0 means "in this process").
non_negative = _bounded(int, 0)
seed = non_negative
#: argparse type: local worker processes (0: in this process); more than 256 on one
#: machine only queue for its cores.
workers = _bounded(int, 0, 256)
#: argparse type: particle seeds for a seed-to-seed spread (0 or 1: none).
seed_count = _bounded(int, 0, 100)


def finite_non_negative_at_most(maximum: float):
    """argparse type: a number in [0, maximum] (intervals, durations)."""
    return _bounded(float, 0.0, maximum)


def check_space_input(args: argparse.Namespace) -> None:
    """``--space FILE``, if given, is a readable .toml or .json file."""
    from electroforge.paths import check_input_file

    if getattr(args, "space", None):
        check_input_file(args.space, option="--space", suffixes=(".toml", ".json"),
                         what="space file")


def check_dataset_output(path: str, *, inputs=(), option: str = "--out") -> None:
    """A .csv (and its .meta.json sidecar) or .parquet table can be written at ``path``."""
    from electroforge.datasets import SUFFIXES, metadata_path
    from electroforge.paths import check_output_file

    check_output_file(path, option=option, suffixes=SUFFIXES, inputs=inputs)
    if str(path).lower().endswith(".csv"):
        check_output_file(metadata_path(path), option=option, inputs=inputs)


def check_plot_output(path: str, *, inputs=(), option: str = "--plot") -> None:
    from electroforge.paths import check_output_file

    check_output_file(path, option=option, suffixes=PLOT_SUFFIXES, inputs=inputs)


def add_space_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--space", metavar="FILE",
                        help="parameter space as .toml or .json (default: the built-in "
                        "space: am_wt_pct, sc_wt_pct, cr_pct, c_rate)")
    parser.add_argument("--bounds", metavar="NAME=LOW:HIGH", nargs="+", action="extend", default=[],
                        help="override a parameter's bounds, e.g. --bounds cr_pct=10:40")
    parser.add_argument("--fix", metavar="NAME=VALUE", nargs="+", action="extend", default=[],
                        help="hold a parameter at one value, e.g. --fix c_rate=1")


def space_from_args(args: argparse.Namespace) -> Space:
    """The space named by ``--space`` (or the default), with ``--bounds`` and ``--fix`` applied."""
    space = Space.load(args.space) if args.space else default_space()
    bounds = {}
    for text in args.bounds:
        name, value = _split(text, "--bounds", "NAME=LOW:HIGH", space)
        parts = value.split(":")
        if len(parts) != 2:
            raise InputError("bounds must be LOW:HIGH", source="--bounds", field=name,
                             value=value, allowed="LOW:HIGH, e.g. 85:97")
        _once(name, bounds, "--bounds", text)
        if space[name].is_fixed:
            raise InputError("the space file holds this parameter fixed", source="--bounds",
                             field=name, value=text,
                             allowed=f"{name} = {space[name].fixed:g} (change the space file)")
        bounds[name] = (_number(parts[0], "--bounds", name), _number(parts[1], "--bounds", name))
    fixed = {}
    for text in args.fix:
        name, value = _split(text, "--fix", "NAME=VALUE", space)
        _once(name, fixed, "--fix", text)
        fixed[name] = _number(value, "--fix", name)
    try:
        return space.with_bounds(bounds).fix(fixed)
    except InputError as error:
        raise error.with_source("--fix" if error.field in fixed else "--bounds") from None


def _once(name: str, given: dict, option: str, text: str) -> None:
    if name in given:
        raise InputError(f"the parameter is given twice to {option}", source=option, field=name,
                         value=text, allowed="each parameter once")


def _split(text: str, option: str, form: str, space: Space) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep:
        raise InputError(f"expected {form}", source=option, value=text, allowed=form)
    if name not in space:
        raise InputError("unknown parameter", source=option, field=name,
                         allowed=", ".join(space.names))
    return name, value.strip()


def _number(text: str, option: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError("not a number", source=option, field=name, value=text,
                         allowed="a finite number") from None
    if not math.isfinite(value):
        raise InputError("not finite", source=option, field=name, value=text,
                         allowed="a finite number")
    return value


def command_line(argv: Sequence[str]) -> str:
    """The command as typed (arguments after ``electroforge``), for provenance metadata."""
    return shlex.join(["electroforge", *argv])
