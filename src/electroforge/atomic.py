"""Atomic file writes: a temporary file in the same folder, fsynced, then renamed.

A reader sees the old file or the new one, never half of one, even if the process is
killed mid-write; on an error the temporary file is removed and the old file is kept.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "staged_folder"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The caller writes the whole file to the yielded path (with any library that takes
    a path). The parent folder is created if needed.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_text("done")
        >>> target.read_text()
        'done'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def staged_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a hidden folder beside ``path`` to write a command's outputs into; on success
    its files move into ``path`` (created if needed), each by a rename, on any error the
    hidden folder is removed: a command's outputs appear together or not at all, and a
    failure leaves ``path`` as it was.

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
        >>> try:
        ...     with staged_folder(out) as stage:
        ...         _ = (stage / "a.txt").write_text("a")
        ...         raise RuntimeError("a plot failed")
        ... except RuntimeError:
        ...     pass
        >>> out.exists()
        False
    """
    import shutil

    target = Path(path).absolute()
    created = None                  # the topmost folder this call makes, removed on failure
    for folder in (target.parent, *target.parent.parents):
        if folder.exists():
            break
        created = folder
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".staged",
                                  dir=target.parent))
    try:
        yield stage
        target.mkdir(exist_ok=True)
        files = [item for item in sorted(stage.rglob("*")) if item.is_file()]
        for item in files:              # before any move: a folder in the way fails it all
            destination = target / item.relative_to(stage)
            if destination.is_dir():
                raise IsADirectoryError(21, "Is a directory", str(destination))
        for item in files:
            destination = target / item.relative_to(stage)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(item, destination)
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
