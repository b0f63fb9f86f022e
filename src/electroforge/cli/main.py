"""Entry point of the ``electroforge`` command: parsing, dispatch and error reporting.

Bad input exits with status 2 and one line naming the file, field, value and what is
allowed (``electroforge: error: ...``), never a traceback. Warnings print as one
``electroforge: warning: ...`` line each.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from electroforge.cli import campaign, data, demo, doe, fit, line, optimize, sensitivity
from electroforge.errors import BackendUnavailableError, ElectroforgeWarning, InputError

__all__ = ["main", "build_parser"]

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> Parser:
    from electroforge import __version__

    parser = Parser(
        prog="electroforge",
        description="Inverse design of lithium-ion battery electrode manufacturing: "
        "designs of experiments, datasets and (in later versions) surrogates, "
        "optimization and campaigns.",
    )
    parser.add_argument("--version", action="version", version=f"electroforge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    for module in (doe, data, line, fit, optimize, sensitivity, campaign, demo):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(words)
    args.argv = words
    previous = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        return int(args.handler(args) or 0)
    except (InputError, BackendUnavailableError) as error:
        print(f"electroforge: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("electroforge: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = previous


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, ElectroforgeWarning):
        print(f"electroforge: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
