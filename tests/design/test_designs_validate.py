"""Property: every design of every valid space passes dataset validation against it."""

import warnings

from hypothesis import given, settings
from hypothesis import strategies as st

from electroforge import Space, design
from electroforge.datasets import validate_dataset

bounds = st.tuples(st.floats(-1e4, 1e4), st.floats(1e-2, 1e4)).map(lambda p: (p[0], p[0] + p[1]))
spaces = st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), bounds,
                         min_size=2, max_size=5).map(Space.from_bounds)


@settings(max_examples=40, deadline=None)
@given(spaces, st.integers(2, 64), st.integers(0, 2**63 - 1),
       st.sampled_from(["sobol", "lhs", "random", "saltelli", "slurry-major"]))
def test_designs_lie_in_their_space_and_are_unique(space, n, seed, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "slurry-major":
            recipes = design.slurry_major(space, 2, n, seed=seed,
                                          slurry_parameters=[space.names[0]])
        else:
            recipes = getattr(design, method)(space, n, seed=seed)
    # Saltelli designs of two free parameters repeat rows by construction (AB_1 == BA_0).
    result = validate_dataset(recipes, space=space, allow_duplicates=method == "saltelli")
    assert result.dropped == ()
    assert len(result.frame) == len(recipes)
