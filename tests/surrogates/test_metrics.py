import numpy as np
import pytest

from electroforge.errors import InputError
from electroforge.surrogates import r2_score, rmse_pct


def test_rmse_pct_by_hand():
    # errors of +10 % and -20 %: sqrt((0.01 + 0.04) / 2) * 100
    assert rmse_pct([10.0, 5.0], [11.0, 4.0]) == pytest.approx(np.sqrt(0.025) * 100)


def test_r2_by_hand():
    truth, pred = [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0]
    assert r2_score(truth, pred) == pytest.approx(1 - 1 / 5)
    assert r2_score(truth, truth) == 1.0


def test_undefined_cases_are_errors():
    with pytest.raises(InputError, match="true value is 0"):
        rmse_pct([0.0, 1.0], [0.1, 1.0])
    with pytest.raises(InputError, match="constant true values"):
        r2_score([2.0, 2.0], [1.0, 3.0])
    with pytest.raises(InputError, match="same length"):
        r2_score([1.0, 2.0], [1.0])
    with pytest.raises(InputError, match="finite"):
        rmse_pct([1.0, np.nan], [1.0, 1.0])
