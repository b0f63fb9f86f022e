"""The baselines of the calendering surrogate (electroforge.surrogates.fields.baselines)."""

import sys
from pathlib import Path

import numpy as np
import pytest

from electroforge.surrogates.fields.baselines import affine_z, copy_previous, film_height
from electroforge.surrogates.fields.metrics import voxel_r2
from electroforge.surrogates.fields.phases import AM, VOID

sys.path.insert(0, str(Path(__file__).parent))
from test_fields import FILM, calender, dried  # noqa: E402


def test_the_affine_baseline_is_exact_on_an_affine_calendering():
    structure = dried(np.random.default_rng(5))
    assert film_height(structure) == FILM
    for cr in (0.1, 0.25, 0.4):
        squeezed = affine_z(structure, 1 - cr)
        assert np.array_equal(squeezed, calender(structure, cr))
        assert film_height(squeezed) == round(FILM * (1 - cr))
        # nearest layers keep the AM volume to within a layer's worth
        layer = structure[0].size
        assert abs(int((squeezed == AM).sum()) - (1 - cr) * int((structure == AM).sum())) \
            < layer
        assert voxel_r2(squeezed, calender(structure, cr)) == 1.0


def test_copying_the_previous_frame_predicts_every_frame_but_the_first():
    frames = np.stack([np.full((4, 2, 2), k % 4) for k in range(5)]).astype(np.uint8)
    predicted = copy_previous(frames)
    assert predicted.shape == (4, 4, 2, 2) and np.array_equal(predicted, frames[:-1])
    with pytest.raises(ValueError, match="thickness_ratio"):
        affine_z(frames[0], 0.0)
    assert film_height(np.full((3, 2, 2), VOID)) == 0
