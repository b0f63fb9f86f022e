"""Entry point of the ``electroforge`` command: parsing, dispatch and error reporting.

One error path for every command: bad input (any :class:`ElectroforgeError`) and any OS
error on a user's path (missing, a folder, no permission, disk full) exit with status 2
and one line naming the file, field, value and what is allowed (``electroforge: error:
...``); a corrupted campaign store exits 2 naming it. Anything unexpected exits 1 with one
line and a pointer to ``--debug``, which prints the traceback instead. Warnings print as
one ``electroforge: warning: ...`` line each.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import traceback
import warnings
from collections.abc import Sequence

from electroforge.cli import (campaign, data, demo, doe, fit, line, optimize, sensitivity,
                              surrogate)
from electroforge.errors import ElectroforgeError, ElectroforgeWarning

__all__ = ["main", "build_parser"]

EXIT_USAGE = 2
EXIT_INTERNAL = 1
#: Arguments that name files or folders: an empty one is an error, never "not given".
PATH_ARGUMENTS = ("out", "plot", "space", "objective", "workspace", "frames_dir", "cache_dir",
                  "file", "design", "data", "model", "results", "scheduler")


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
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of an unexpected error")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    for module in (doe, data, line, fit, optimize, sensitivity, surrogate, campaign, demo):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(words)
    args.argv = words
    with warnings.catch_warnings():           # restores the filters and showwarning
        # a library's deprecation notes (e.g. torch.jit.script's, when gpytorch is first
        # imported) are for its callers' developers: hidden, as Python hides them outside
        # __main__, also where a test runner or PYTHONWARNINGS turned them on
        # (electroforge's own still show; --debug leaves the filters as they were)
        if not args.debug:
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
            warnings.filterwarnings("default", category=DeprecationWarning,
                                    module=r"electroforge(\.|$)")
        warnings.showwarning = _show_warning
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        _check_empty_paths(args)
        return int(args.handler(args) or 0)
    except ElectroforgeError as error:
        return _fail(str(error), args)
    except OSError as error:
        return _fail(_os_error(error), args)
    except sqlite3.DatabaseError as error:
        return _fail(f"{_store_path(args)}the campaign store is unreadable ({_one_line(error)}); "
                     "allowed: an electroforge.db written by electroforge (campaign status "
                     "--check)", args)
    except KeyboardInterrupt:
        print("electroforge: interrupted", file=sys.stderr)
        return 130
    except RecursionError:
        return _fail("the input is nested too deeply to read", args)
    except Exception as error:  # noqa: BLE001 - the one place that reports the unexpected
        if args.debug:
            traceback.print_exc()
        print(f"electroforge: internal error: {type(error).__name__}: {_one_line(error)} "
              "(run again with --debug for the traceback, and please report it)",
              file=sys.stderr)
        return EXIT_INTERNAL


def _check_empty_paths(args: argparse.Namespace) -> None:
    from electroforge.errors import InputError

    for dest in PATH_ARGUMENTS:
        value = getattr(args, dest, None)
        if isinstance(value, str) and not value.strip():
            option = dest if dest in ("file", "design", "data", "model", "results") else \
                "--" + dest.replace("_", "-")
            raise InputError("an empty path", field=option, value=repr(value),
                             allowed="a file or folder name")


def _fail(message: str, args: argparse.Namespace) -> int:
    """Report the error being handled in one line (its traceback first with --debug)."""
    if args.debug:
        traceback.print_exc()
    print(f"electroforge: error: {_one_line(message)}", file=sys.stderr)
    return EXIT_USAGE


def _store_path(args: argparse.Namespace) -> str:
    """``WORKSPACE/electroforge.db: `` for a command that has a workspace, else ``""``."""
    if not hasattr(args, "workspace"):
        return ""
    from electroforge.campaigns.store import STORE_FILE
    from electroforge.campaigns.workspace import resolve_workspace

    return f"{resolve_workspace(args.workspace, create=False) / STORE_FILE}: "


def _os_error(error: OSError) -> str:
    """``PATH: reason; allowed: ...`` for an OS error on a user's path."""
    reason = error.strerror or type(error).__name__
    text = f"{os.fsdecode(error.filename)}: " if error.filename is not None else ""
    if error.filename2 is not None:
        text += f"-> {os.fsdecode(error.filename2)}: "
    allowed = {
        "ENOSPC": "free disk space", "EDQUOT": "free disk space",
        "EACCES": "a path this user may read and write", "EPERM": "a path this user may write",
        "EROFS": "a path on a writable file system", "EISDIR": "a file path, not a folder",
        "ENOTDIR": "a path whose folders are folders", "ENOENT": "an existing path",
    }.get(_errno_name(error.errno), "a readable and writable path")
    return f"{text}{reason}; allowed: {allowed}"


def _errno_name(number: int | None) -> str:
    import errno

    return errno.errorcode.get(number or 0, "")


def _one_line(error: object) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 2000 else text[:1997] + "..."


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, ElectroforgeWarning):
        print(f"electroforge: warning: {_one_line(message)}", file=sys.stderr)
    else:
        print(f"electroforge: warning: {category.__name__}: {_one_line(message)}",
              file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
