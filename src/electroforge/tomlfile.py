"""Read a TOML file into a table, with errors that name the file."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from electroforge.errors import InputError

__all__ = ["read_toml"]


def read_toml(path: str | os.PathLike[str], *, what: str) -> dict[str, Any]:
    """The file's table; ``what`` names the file in errors ("objective file").

    Example:
        >>> read_toml("missing.toml", what="campaign file")
        Traceback (most recent call last):
        ...
        electroforge.errors.InputError: missing.toml: cannot read the campaign file (No such file or directory)
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read the {what} ({error.strerror})", source=str(path)) from None
    except UnicodeDecodeError as error:
        raise InputError(f"the {what} is not UTF-8 text (byte {error.start + 1})",
                         source=str(path), allowed="a UTF-8 TOML file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML: {error}", source=str(path)) from None
