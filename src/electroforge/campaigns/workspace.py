"""Where campaigns keep their files: a workspace folder, by default in the current directory."""

from __future__ import annotations

import os
from pathlib import Path

from electroforge.errors import InputError

__all__ = ["DEFAULT_WORKSPACE", "resolve_workspace"]

#: Folder name used when no ``--workspace`` is given.
DEFAULT_WORKSPACE = "electroforge-workspace"


def resolve_workspace(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    """The workspace folder: ``path``, or ``./electroforge-workspace``; created if asked.

    Example:
        >>> import os, tempfile
        >>> base = tempfile.mkdtemp()
        >>> resolve_workspace(os.path.join(base, "ws")).name
        'ws'
    """
    folder = Path(DEFAULT_WORKSPACE if path is None else path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise InputError("the workspace is not a folder", source=str(folder),
                         field="workspace", allowed="a folder path (created if absent)")
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"cannot create the workspace ({error.strerror})", source=str(folder),
                             field="workspace", allowed="a writable folder path") from None
    return folder
