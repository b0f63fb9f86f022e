"""The contract every surrogate backend meets (like scikit-learn's estimator checks)."""

import numpy as np
import pandas as pd
import pytest
import torch

from electroforge import Space, default_space, design
from electroforge.errors import BackendUnavailableError
from electroforge.surrogates import SurrogateError, SymbolicSurrogate, r2_score
from electroforge.surrogates.backends import available

OPTIONS = {"sisso": {"max_terms": 2}, "auto": {}, "operon": {"generations": 60,
                                                            "population_size": 300}}
BACKENDS = [name for name in OPTIONS if name == "auto" or available(name)]
SPACE = default_space().fix({"c_rate": 1.0})


def data(n=64):
    X = design.sobol(SPACE, n, seed=0)[["am_wt_pct", "sc_wt_pct", "cr_pct"]]
    Y = pd.DataFrame({"density_g_cm3": 1.2 + 0.03 * X.cr_pct + 0.004 * X.am_wt_pct,
                      "conductivity_s_m": 40.0 * (100 - X.am_wt_pct) / X.sc_wt_pct})
    return X, Y


@pytest.fixture(scope="module", params=BACKENDS)
def fitted(request):
    X, Y = data()
    model = SymbolicSurrogate(backend=request.param, seed=0, **OPTIONS[request.param]).fit(X, Y)
    return model, X, Y


def test_fit_returns_self_and_learns_state(fitted):
    model, X, Y = fitted
    assert model.feature_names_ == list(X.columns) and model.output_names_ == list(Y.columns)
    predicted = model.predict(X)
    assert list(predicted.columns) == list(Y.columns) and predicted.index.equals(X.index)
    for name in Y.columns:
        assert r2_score(Y[name], predicted[name]) > 0.99, name
    if model.backend_ == "sisso":   # both formulas lie in its feature space: exact
        np.testing.assert_allclose(predicted.to_numpy(), Y.to_numpy(), rtol=1e-8)


def test_equations_are_text_and_sympy(fitted):
    import sympy

    model, X, _ = fitted
    equations = model.equations()
    assert set(equations) == {"density_g_cm3", "conductivity_s_m"}
    expr = equations["density_g_cm3"].expression
    value = float(expr.subs({sympy.Symbol(n): X.iloc[0][n] for n in X.columns}))
    assert value == pytest.approx(model.predict(X.iloc[[0]]).iloc[0, 0])
    assert str(equations["density_g_cm3"]).startswith("density_g_cm3 = ")


def test_torch_module_is_differentiable_and_matches(fitted):
    model, X, _ = fitted
    module = model.to_torch()
    inputs = torch.tensor(X.to_numpy(), dtype=torch.float64, requires_grad=True)
    out = module(inputs.unsqueeze(0))       # batch x n x d
    assert out.shape == (1, len(X), 2) and out.dtype == torch.float64
    np.testing.assert_allclose(out[0].detach().numpy(), model.predict(X).to_numpy(), rtol=1e-12)
    out[..., 0].sum().backward()
    step = 1e-6
    shifted = torch.tensor(X.to_numpy(), dtype=torch.float64)
    shifted[:, 2] += step
    finite = (module(shifted)[:, 0] - out[0, :, 0].detach()) / step
    np.testing.assert_allclose(inputs.grad[:, 2].numpy(), finite.numpy(), rtol=1e-4, atol=1e-8)


def test_save_load_is_exact(fitted, tmp_path):
    model, X, _ = fitted
    path = model.save(tmp_path / "model.json")
    again = SymbolicSurrogate.load(path)
    assert again.predict(X).equals(model.predict(X))
    assert again.to_dict() == model.to_dict()
    # the training recipes come back bit for bit (the data's domain is computed from them)
    assert np.array_equal(again.training_inputs_, X[model.feature_names_].to_numpy())


def test_check_domain_accepts_a_sound_model_and_refuses_a_pole(fitted):
    model, X, _ = fitted
    assert model.check_domain(SPACE) is model
    x = pd.DataFrame({"x": np.linspace(1.0, 2.0, 40), "z": np.linspace(3.0, 4.0, 40) ** 0.5})
    pole = SymbolicSurrogate(max_terms=1).fit(x, pd.DataFrame({"y": 1.0 / x.x}))
    with pytest.raises(SurrogateError, match="x must be (nonzero|positive)") as info:
        pole.check_domain(Space.from_bounds({"x": (-1.0, 2.0), "z": (1.0, 2.0)}))
    assert "y" in str(info.value) and "x=" in str(info.value)
    with pytest.raises(SurrogateError, match="lacks an input"):
        pole.check_domain(Space.from_bounds({"x": (1.0, 2.0)}))


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_input_is_refused_clearly(backend):
    options = OPTIONS[backend]
    X, Y = data()
    bad = X.copy()
    bad.iloc[5, 1] = np.nan
    with pytest.raises(SurrogateError, match="row 6: field 'sc_wt_pct'"):
        SymbolicSurrogate(backend=backend, **options).fit(bad, Y)
    with pytest.raises(SurrogateError, match="constant input column"):
        SymbolicSurrogate(backend=backend, **options).fit(X.assign(sc_wt_pct=60.0), Y)
    with pytest.raises(SurrogateError, match="constant output column"):
        SymbolicSurrogate(backend=backend, **options).fit(X, Y.assign(density_g_cm3=2.0))
    with pytest.raises(SurrogateError, match="too few rows"):
        SymbolicSurrogate(backend=backend, **options).fit(X.iloc[:8], Y.iloc[:8])
    with pytest.raises(SurrogateError, match="different numbers of rows"):
        SymbolicSurrogate(backend=backend, **options).fit(X, Y.iloc[:10])
    with pytest.raises(SurrogateError, match="not fitted"):
        SymbolicSurrogate(backend=backend).predict(X)


def test_unknown_sisso_option():
    with pytest.raises(SurrogateError, match="unknown option"):
        SymbolicSurrogate(backend="sisso", depth=3).fit(*data())


@pytest.mark.parametrize(("option", "value", "allowed"), [
    ("max_terms", 5, "from 1 to 4"), ("exhaustive_terms", 0, "from 1 to 4"),
    ("n_folds", 1, ">= 2"), ("sis_size", 0, ">= 1"), ("beam_width", 0, ">= 1"),
    ("beam_width", 2.5, ">= 1")])
def test_sisso_options_out_of_range_name_themselves(option, value, allowed):
    with pytest.raises(SurrogateError, match=f"{option} out of range") as info:
        SymbolicSurrogate(backend="sisso", **{option: value}).fit(*data())
    assert info.value.field == option and allowed in str(info.value)


def test_backends():
    with pytest.raises(SurrogateError, match="unknown backend"):
        SymbolicSurrogate(backend="eureqa").fit(*data())
    assert SymbolicSurrogate().fit(*data()).backend_ == "sisso"     # auto: sisso comes first
    if available("operon"):
        with pytest.raises(SurrogateError, match="unknown option of the operon backend"):
            SymbolicSurrogate(backend="operon", max_terms=2).fit(*data())
    for name in ("operon", "pysr"):
        if not available(name):
            with pytest.raises(BackendUnavailableError, match="not available"):
                SymbolicSurrogate(backend=name).fit(*data())


def test_not_a_model_file(tmp_path):
    (tmp_path / "x.json").write_text('{"format": "other"}')
    with pytest.raises(SurrogateError, match="not a symbolic surrogate file"):
        SymbolicSurrogate.load(tmp_path / "x.json")


def test_derived_complements_read_as_expressions_of_the_recipe(tmp_path):
    X, Y = data()
    model = SymbolicSurrogate(max_terms=1).fit(X, Y[["conductivity_s_m"]])
    # 40 (100 - am) / sc: one term once the CBD fraction 1 - am/100 is offered, in the
    # dimensionless fractions (the raw wt% are no features of their own)
    assert len(model.models_["conductivity_s_m"].descriptors) == 1
    equation = model.equations()["conductivity_s_m"]
    assert equation.text == "40.0*cbd_fraction/solids_fraction"
    assert equation.where == {"cbd_fraction": "1 - am_wt_pct/100",
                              "solids_fraction": "sc_wt_pct/100"}
    assert str(equation).endswith("[S/m]   where cbd_fraction = 1 - am_wt_pct/100, "
                                  "solids_fraction = sc_wt_pct/100")
    assert set(model.primary_columns).isdisjoint({0, 1, 2})
    np.testing.assert_allclose(model.predict(X)["conductivity_s_m"], Y["conductivity_s_m"],
                               rtol=1e-10)
    again = SymbolicSurrogate.load(model.save(tmp_path / "m.json"))
    assert again.derived_ == model.derived_ and again.predict(X).equals(model.predict(X))
    plain = SymbolicSurrogate(max_terms=1, derived_features=False).fit(X, Y[["conductivity_s_m"]])
    assert plain.derived_ == [] and "100 -" not in plain.equations()["conductivity_s_m"].text


def test_fit_over_a_space_falls_back_on_the_next_best_equation():
    x = np.linspace(0.5, 2.0, 40)
    X, Y = pd.DataFrame({"x": x}), pd.DataFrame({"y": 0.2 + x})
    free = SymbolicSurrogate(derived_features=False).fit(X, Y)
    assert str(free.equations()["y"]) == "y = 1.0*x + 0.2" and free.info_["y"]["model"] == "1 terms"
    # over x in [-1, 2] the exact line turns negative (the data are all positive) and
    # every other model cross-validation ranks uses log x or sqrt x: the search is run
    # again without them and keeps a positive exp(...) form
    space = Space.from_bounds({"x": (-1.0, 2.0)})
    checked = SymbolicSurrogate(derived_features=False).fit(X, Y, space=space)
    assert checked.info_["y"]["domain"] == ("descriptors defined over the space: "
                                            + checked.info_["y"]["model"])
    assert checked.info_["y"]["model"].startswith("log")
    assert checked.check_domain(space) is checked
    assert r2_score(Y.y, checked.predict(X).y) > 0.99


def test_an_equation_that_runs_away_from_the_data_is_refused_by_the_domain_check():
    x = np.linspace(1.0, 2.0, 40)
    X, Y = pd.DataFrame({"x": x}), pd.DataFrame({"y": 1.0 + x})   # range [2, 3], span 1
    model = SymbolicSurrogate(max_terms=1, derived_features=False, log_target="never").fit(X, Y)
    assert model.check_domain(Space.from_bounds({"x": (0.5, 2.5)})) is model  # y in [1.5, 3.5]
    wide = Space.from_bounds({"x": (0.0, 10.0)})                                # y up to 11
    with pytest.raises(SurrogateError, match=r"reaches 11, beyond the data's range \[2; 3\] "
                                             r"widened by 1 x its span at x=10") as info:
        model.check_domain(wide)
    assert info.value.field == "y"
    # in fit it is a preference: every model runs away over this space, so the first
    # finite, positive one is kept, and the fit says how far it reaches
    kept = SymbolicSurrogate(max_terms=1, derived_features=False, log_target="never").fit(
        X, Y, space=wide)
    assert kept.equations()["y"].text == model.equations()["y"].text
    assert kept.info_["y"]["domain"] == ("as chosen; the equation reaches 11, beyond the "
                                         "data's range [2; 3] widened by 1 x its span")


def test_on_the_line_data_fit_prefers_an_equation_defined_over_the_whole_space():
    # the shipped line dataset (v4): cross-validation's conductivity equation on all 174
    # recipes divides by a root of the CR fraction, undefined at the space's edge CR 0 where
    # the data has no recipe; the space-aware fit falls back on the next best by CV
    from importlib.resources import as_file, files

    from electroforge.datasets import read_dataset

    with as_file(files("electroforge.data") / "line_174.parquet") as path:
        table = read_dataset(path)
    X, Y = table[["am_wt_pct", "sc_wt_pct", "cr_pct"]], table[["conductivity_s_m"]]
    free = SymbolicSurrogate().fit(X, Y)
    with pytest.raises(SurrogateError, match="cr_fraction.* must be nonzero .*cr_pct=0.*"
                       "where .*cr_fraction = cr_pct/100"):
        free.check_domain(SPACE)
    checked = SymbolicSurrogate().fit(X, Y, space=SPACE)
    assert checked.info_["conductivity_s_m"]["domain"].startswith("next best by CV")
    assert checked.check_domain(SPACE) is checked
    fitted = checked.predict(X).conductivity_s_m
    assert r2_score(Y.conductivity_s_m, fitted) > 0.9
