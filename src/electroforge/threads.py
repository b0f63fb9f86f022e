"""One thread for torch and BLAS inside a block: reproducible numbers, no oversubscription.

Multithreaded reductions add in a different order from run to run, and on a busy 2-core
machine extra threads are slower too. Optimizers and solvers that promise "the same seed
gives the same result" run inside :func:`single_threaded`; the previous settings come
back afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["single_threaded"]


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Pin torch's intra-op threads and the BLAS/OpenMP pools to one thread in this block.

    Example:
        >>> import torch
        >>> with single_threaded():
        ...     torch.get_num_threads()
        1
    """
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(previous)
