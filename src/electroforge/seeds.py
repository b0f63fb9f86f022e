"""Seeds: explicit, validated, turned into generators locally (never a global seed).

``seed=0`` is a seed like any other (no ``if seed:`` here). Independent streams for
the parts of one computation come from :func:`spawn`, which uses numpy's
``SeedSequence`` so that the streams do not overlap.
"""

from __future__ import annotations

import numbers

import numpy as np

from electroforge.errors import InputError

__all__ = ["check_seed", "generator", "spawn"]

_MAX_SEED = 2**63 - 1


def check_seed(seed: object, *, field: str = "seed") -> int:
    """Return ``seed`` as a non-negative ``int`` or raise an :class:`InputError`.

    Example:
        >>> check_seed(0), check_seed(np.int64(7))
        (0, 7)
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InputError(
            "a seed must be an integer",
            field=field,
            value=repr(seed),
            allowed=f"an integer from 0 to {_MAX_SEED}",
        )
    value = int(seed)
    if not 0 <= value <= _MAX_SEED:
        raise InputError(
            "a seed must be non-negative",
            field=field,
            value=value,
            allowed=f"an integer from 0 to {_MAX_SEED}",
        )
    return value


def generator(seed: object) -> np.random.Generator:
    """A fresh ``numpy.random.Generator`` (PCG64) for a validated seed."""
    return np.random.default_rng(check_seed(seed))


def spawn(seed: object, n: int) -> list[np.random.Generator]:
    """``n`` independent generators derived from one seed, reproducibly.

    Example:
        >>> a, b = spawn(3, 2)
        >>> bool(a.random() != b.random())
        True
    """
    children = np.random.SeedSequence(check_seed(seed)).spawn(n)
    return [np.random.default_rng(child) for child in children]
