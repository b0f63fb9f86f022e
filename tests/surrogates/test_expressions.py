import numpy as np
import sympy
import torch

from electroforge.surrogates.expressions import binary, feature, from_dict, unary

X = np.array([[1.0, 2.0], [3.0, 0.5], [2.0, 4.0]])


def test_numpy_torch_and_sympy_agree():
    d = binary("div", unary("sqrt", feature(0)), unary("sq", feature(1)))
    expected = np.sqrt(X[:, 0]) / X[:, 1] ** 2
    np.testing.assert_allclose(d.evaluate(X), expected, rtol=1e-15)
    np.testing.assert_allclose(d.evaluate(torch.tensor(X)).numpy(), expected, rtol=1e-15)
    a, b = sympy.symbols("a b")
    assert sympy.simplify(d.to_sympy([a, b]) - sympy.sqrt(a) / b**2) == 0


def test_every_operator_and_round_trip():
    for op, reference in [("sq", X[:, 0] ** 2), ("cube", X[:, 0] ** 3), ("log", np.log(X[:, 0])),
                          ("exp", np.exp(X[:, 0])), ("inv", 1 / X[:, 0]), ("id", X[:, 0])]:
        d = unary(op, feature(0))
        np.testing.assert_allclose(d.evaluate(X), reference, rtol=1e-15)
        assert from_dict(d.to_dict()) == d


def test_constraints_name_the_arguments_that_must_be_positive_or_nonzero():
    d = binary("mul", unary("log", feature(0)), binary("div", feature(1), unary("sq", feature(0))))
    domains = sorted((domain, str(arg)) for domain, arg in d.constraints())
    assert domains == [("nonzero", "x0**2"), ("positive", "x0")]
    assert d.leaves() == {0, 1}
