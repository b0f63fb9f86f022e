"""The surrogate contract for the GP and the MLP."""

import numpy as np
import pandas as pd
import pytest
import torch

from electroforge import default_space, design
from electroforge.surrogates import GPSurrogate, MLPSurrogate, SurrogateError, r2_score

SPACE = default_space().fix({"c_rate": 1.0})
COLUMNS = ["am_wt_pct", "sc_wt_pct", "cr_pct"]


def data(n, seed):
    X = design.sobol(SPACE, n, seed=seed)[COLUMNS]
    return X, pd.DataFrame({"density_g_cm3": 1.2 + 0.03 * X.cr_pct + 0.004 * X.am_wt_pct,
                            "conductivity_s_m": 40.0 * (100 - X.am_wt_pct) / X.sc_wt_pct})


@pytest.fixture(scope="module", params=[GPSurrogate, MLPSurrogate])
def fitted(request):
    X, Y = data(64, 0)
    return request.param(seed=0).fit(X, Y)


def test_predicts_unseen_recipes(fitted):
    X, Y = data(32, 7)
    predicted = fitted.predict(X)
    assert list(predicted.columns) == list(Y.columns)
    for name in Y.columns:
        assert r2_score(Y[name], predicted[name]) > 0.999


def test_torch_module_matches_and_differentiates(fitted):
    X, _ = data(16, 3)
    x = torch.tensor(X.to_numpy(), dtype=torch.float64, requires_grad=True)
    out = fitted.to_torch()(x.unsqueeze(0))
    assert out.shape == (1, 16, 2)
    np.testing.assert_allclose(out[0].detach().numpy(), fitted.predict(X).to_numpy(), rtol=1e-10)
    out[..., 0].sum().backward()
    # density rises with compression at ~0.03 g/cm3 per %
    assert np.allclose(x.grad[:, 2].numpy(), 0.03, atol=0.005)


def test_save_load(fitted, tmp_path):
    X, _ = data(16, 3)
    again = type(fitted).load(fitted.save(tmp_path / "m.json"))
    for name in fitted.output_names_:
        for key, value in fitted.state_[name].items():
            assert torch.equal(value, again.state_[name][key]), key   # parameters bit for bit
    np.testing.assert_allclose(again.predict(X).to_numpy(), fitted.predict(X).to_numpy(),
                               rtol=1e-10)
    assert again.to_dict() == fitted.to_dict()


def test_domain_and_description(fitted):
    assert fitted.check_domain(SPACE) is fitted
    assert fitted.equations()["density_g_cm3"].text


def test_same_seed_same_model():
    X, Y = data(32, 0)
    a = MLPSurrogate(seed=4, steps=50).fit(X, Y).predict(X)
    b = MLPSurrogate(seed=4, steps=50).fit(X, Y).predict(X)
    assert a.equals(b)


@pytest.mark.parametrize("kind", [GPSurrogate, MLPSurrogate])
def test_errors(kind, tmp_path):
    X, Y = data(32, 0)
    with pytest.raises(SurrogateError, match="not fitted"):
        kind().predict(X)
    with pytest.raises(SurrogateError, match="constant input column"):
        kind().fit(X.assign(cr_pct=10.0), Y)
    bad = Y.copy()
    bad.iloc[3, 0] = np.inf
    with pytest.raises(SurrogateError, match="row 4"):
        kind().fit(X, bad)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(SurrogateError, match="not a GP or MLP"):
        kind.load(tmp_path / "x.json")
