import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.seeds import check_seed, generator, spawn


def test_zero_is_a_seed_like_any_other():
    assert generator(0).random() == np.random.default_rng(0).random()


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True, 2**63])
def test_bad_seeds_are_refused(bad):
    with pytest.raises(InputError, match="seed"):
        check_seed(bad)


def test_spawned_streams_are_reproducible_and_distinct():
    first = [rng.random(3) for rng in spawn(5, 3)]
    again = [rng.random(3) for rng in spawn(5, 3)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], first[1])
