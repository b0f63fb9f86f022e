"""Checks of the files and folders a command reads and writes, made before any work.

Every command checks all its inputs and outputs first, so that bad paths are refused
with one line before minutes of fitting or a record in a campaign store: an input must
be an existing, readable file of an allowed kind; an output must not be a folder (a file)
or a file (a folder), must not be one of the command's inputs, and must sit under a
writable folder. A folder or file whose permission bits allow nobody to write is refused
even for root: a read-only mark says "do not write here" whoever runs the command.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_file(folder, option="--out")
    Traceback (most recent call last):
    ...
    electroforge.errors.InputError: ...: field '--out': the output is a folder; allowed: a file path
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from electroforge.errors import InputError

__all__ = ["check_input_file", "check_output_file", "check_output_dir", "writable"]


def _suffix_ok(path: Path, suffixes: Sequence[str] | None) -> bool:
    return suffixes is None or path.name.lower().endswith(tuple(s.lower() for s in suffixes))


def check_input_file(path: str | os.PathLike[str], *, option: str | None = None,
                     suffixes: Sequence[str] | None = None, what: str = "file") -> Path:
    """``path`` if it is an existing, readable file with one of ``suffixes``; errors name
    the file (and ``option``, the flag that gave it, if any)."""
    path = Path(path)
    text = str(path)
    allowed = "an existing " + (" or ".join(suffixes) + " file" if suffixes else "file")
    if not text.strip():
        raise InputError(f"the {what} path is empty", field=option, allowed=allowed)
    if not _suffix_ok(path, suffixes):
        raise InputError(f"unsupported {what} format", source=text, field=option,
                         value=repr(path.suffix or path.name), allowed=", ".join(suffixes or ()))
    if path.is_dir():
        raise InputError(f"cannot read the {what} (it is a folder)", source=text, field=option,
                         allowed=allowed)
    if path.exists() and not path.is_file():      # a FIFO would block, a device is no file
        raise InputError(f"cannot read the {what} (not a regular file)", source=text,
                         field=option, allowed=allowed)
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise InputError(f"cannot read the {what} ({error.strerror})", source=text,
                         field=option, allowed=allowed) from None
    return path


def check_output_file(path: str | os.PathLike[str], *, option: str,
                      suffixes: Sequence[str] | None = None,
                      inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """``path`` if a file can be written there without touching an input."""
    raw = os.fspath(path)
    path = Path(path)
    text = str(path)
    if not text.strip():
        raise InputError("the output path is empty", field=option, allowed="a file path")
    if path.is_dir() or raw.endswith(("/", os.sep)):
        raise InputError("the output is a folder", source=text, field=option,
                         allowed="a file path")
    if not _suffix_ok(path, suffixes):
        raise InputError("unsupported output format", source=text, field=option,
                         value=repr(path.suffix or path.name), allowed=", ".join(suffixes or ()))
    _not_an_input(path, option, inputs)
    if path.exists():
        if not path.is_file():
            raise InputError("the output exists and is not a regular file", source=text,
                             field=option, allowed="a file path")
        if not writable(path):
            raise InputError("the output file is read-only", source=text, field=option,
                             allowed="a writable file, or a new path")
    _check_parent(path.parent, option, text)
    return path


def check_output_dir(path: str | os.PathLike[str], *, option: str,
                     inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """``path`` if it is a writable folder, or one that can be created."""
    path = Path(path)
    text = str(path)
    if not text.strip():
        raise InputError("the output folder path is empty", field=option,
                         allowed="a folder path")
    _not_an_input(path, option, inputs)
    if path.exists():
        if not path.is_dir():
            raise InputError("the output folder is a file", source=text, field=option,
                             allowed="a folder path (created if absent)")
        if not writable(path):
            raise InputError("the output folder is read-only", source=text, field=option,
                             allowed="a writable folder")
        return path
    _check_parent(path.parent, option, text)
    return path



def _not_an_input(path: Path, option: str, inputs) -> None:
    for given in inputs:
        if given is None:
            continue
        other = Path(given)
        if _same(path, other):
            raise InputError("the output is an input of the command", source=str(path),
                             field=option, allowed=f"another path than {other}")


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.abspath(a) == os.path.abspath(b)


def _check_parent(parent: Path, option: str, text: str) -> None:
    """The nearest existing ancestor of ``parent`` must be a writable folder."""
    folder = parent if str(parent) else Path(".")
    while not folder.exists():
        if folder.is_symlink():
            raise InputError("the output's folder is a broken link", source=text,
                             field=option, allowed="a path under an existing folder")
        if folder.parent == folder:
            break
        folder = folder.parent
    if not folder.is_dir():
        raise InputError("the output's folder is a file", source=text, field=option,
                         allowed=f"a path under a folder ({folder} is a file)")
    if not writable(folder):
        raise InputError("the output's folder is read-only", source=text, field=option,
                         allowed=f"a path under a writable folder ({folder} is not)")


def writable(path: str | os.PathLike[str]) -> bool:
    """Writable by this process and not marked read-only for everyone (see module doc)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return False
    access = os.W_OK | (os.X_OK if path.is_dir() else 0)
    return os.access(path, access)
