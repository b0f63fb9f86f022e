import numpy as np
import pandas as pd
import pytest

from electroforge.surrogates.validation import (interval, load_validation, save_validation,
                                                validate_symbolic)


def noisy(n, seed, multiplicative=False):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.uniform(1, 3, n), "b": rng.uniform(1, 3, n)})
    if multiplicative:     # a positive property over two decades, lognormal scatter
        y = np.exp(2.3 * X.a) * np.exp(rng.normal(0, 0.2, n))
    else:
        y = 2 * X.a + X.b + rng.normal(0, 0.3, n)
    return X, pd.DataFrame({"y": y})


@pytest.mark.parametrize("multiplicative", [False, True])
def test_the_interval_covers_fresh_data_near_its_nominal_95_percent(multiplicative):
    X, Y = noisy(200, 0, multiplicative)
    model, [result] = validate_symbolic(X, Y, n_splits=20, max_terms=2)
    assert result.interval_kind == ("multiplicative" if multiplicative else "additive")
    fresh_X, fresh_Y = noisy(4000, 1, multiplicative)
    low, high = interval(model.predict(fresh_X)["y"], result.interval_95, result.interval_kind)
    coverage = np.mean((fresh_Y["y"] >= low) & (fresh_Y["y"] <= high))
    assert 0.92 <= coverage <= 0.985
    # the width follows the noise: +-1.96 sd of N(0, 0.3), or a factor exp(+-1.96 * 0.2)
    width = result.interval_95[1] - result.interval_95[0]
    assert width == pytest.approx(2 * 1.96 * (0.2 if multiplicative else 0.3), rel=0.2)


def test_the_interval_is_kept_beside_the_model_and_a_broken_one_is_dropped(tmp_path):
    X, Y = noisy(120, 2)
    model, results = validate_symbolic(X, Y, n_splits=10, max_terms=1)
    path = model.save(tmp_path / "m.json")
    sidecar = save_validation(results, path)
    [row] = load_validation(path)
    assert row["interval_95"] == list(results[0].interval_95)
    sidecar.write_text(sidecar.read_text().replace('"additive"', '"sideways"'))
    assert load_validation(path)[0]["interval_95"] is None
