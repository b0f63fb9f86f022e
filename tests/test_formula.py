"""The formula language: parsing, trees read from files, and that nothing is ever evaluated."""

import builtins
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from electroforge.formula import (
    FUNCTIONS, FormulaError, check_tree, evaluate, linear_form, names_in, parse, parse_comparison,
    to_sympy)
from electroforge.surrogates.expression_model import tree_from_srepr

INJECTIONS = [
    "__import__('os').system('touch PWNED') + cr_pct <= 110",
    "cr_pct + exec('x=1') <= 3",
    "eval('1') <= cr_pct",
    "cr_pct.__class__ <= 1",
    "cr_pct[0] <= 1",
    "lambda: 0 <= cr_pct",
    "cr_pct <= 1; import os",
    "getattr(cr_pct, 'x') <= 1",
    "cr_pct <= 1e999",
]


@pytest.fixture
def no_eval(no_commands, monkeypatch):
    """No command runs and nothing calls eval."""
    def forbidden(*args, **kwargs):
        raise AssertionError("evaluated user text")

    monkeypatch.setattr(builtins, "eval", forbidden)


def test_parse_precedence_and_values():
    tree = parse("1 + 2*3^2 - -4/2")
    assert evaluate(tree) == pytest.approx(1 + 2 * 9 + 2)
    assert evaluate(parse("2^-1")) == 0.5
    assert evaluate(parse("-2^2")) == -4.0            # power binds tighter than unary minus
    assert evaluate(parse("1e-3 + .5 + 2E2")) == pytest.approx(200.501)
    assert evaluate(parse("exp(log(3)) * sqrt(16)")) == pytest.approx(12.0)


def test_parse_names_and_columns():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    tree = parse("a*b + 1", ["a", "b"])
    assert names_in(tree) == {"a", "b"}
    np.testing.assert_allclose(evaluate(tree, variables={"a": X[:, 0], "b": X[:, 1]}), [3, 13])
    with pytest.raises(FormulaError, match="unknown parameter.*field 'c'|field 'c'.*unknown"):
        parse("a + c", ["a", "b"])


def test_comparison_and_linear_form():
    left, op, right = parse_comparison("am_wt_pct + 0.5*cr_pct <= 110 - (cr_pct - 10)/2")
    assert op == "<="
    form = linear_form(["sub", left, right])
    assert form == {"am_wt_pct": 1.0, "cr_pct": 1.0, None: -115.0}
    assert linear_form(parse("a*b")) is None
    assert linear_form(parse("a/b")) is None
    assert linear_form(parse("exp(a)")) is None
    assert linear_form(parse("a*log(1)")) == {"a": 0.0}


@pytest.mark.parametrize("text", INJECTIONS)
def test_injections_are_refused_without_running(text, no_eval):
    with pytest.raises(FormulaError):
        parse_comparison(text, ["am_wt_pct", "sc_wt_pct", "cr_pct", "c_rate"])


@pytest.mark.parametrize("text", [
    "Add(Symbol('x0'), Integer(__import__('os').system('touch PWNED')))",
    "Symbol('x0').__class__",
    "Add(Symbol('x0'), Function('system')(Symbol('x1')))",
    "Integer(1); import os",
    "Float('nan')",
    "Symbol('__builtins__')",
])
def test_srepr_conversion_refuses_code(text, no_eval):
    with pytest.raises(FormulaError):
        tree_from_srepr(text)


def test_srepr_conversion_reads_what_sympy_writes():
    import sympy

    x0, x1 = sympy.symbols("x0 x1")
    expression = 2.5 * x0 * sympy.exp(-x1 / 3) + sympy.log(x0) / x1 + sympy.Rational(1, 3)
    tree = tree_from_srepr(sympy.srepr(expression))
    X = np.array([[1.5, 2.0], [0.3, 7.0]])
    expected = [float(expression.subs({x0: a, x1: b})) for a, b in X]
    np.testing.assert_allclose(evaluate(tree, X), expected, rtol=1e-12)


@pytest.mark.parametrize("tree", [
    None, [], ["num"], ["num", "1"], ["num", float("nan")], ["num", True], ["x", -1], ["x", 1.0],
    ["x", 5], ["add", ["num", 1]], ["div", ["num", 1]], ["system", ["num", 1]],
    ["__import__", ["num", 1]], [3, 4], ["exp", ["num", 1], ["num", 2]],
])
def test_check_tree_refuses_malformed(tree):
    with pytest.raises(FormulaError):
        check_tree(tree, n_features=3, source="m.json")


def test_evaluate_torch_matches_numpy_and_differentiates():
    tree = parse("x0*exp(-x1/2) + sqrt(x0) + 1/x1")
    tree = _columns(tree)
    X = np.array([[1.0, 2.0], [4.0, 0.5]])
    t = torch.tensor(X, requires_grad=True)
    out = evaluate(tree, t)
    np.testing.assert_allclose(out.detach().numpy(), evaluate(tree, X), rtol=1e-12)
    out.sum().backward()
    assert torch.isfinite(t.grad).all()


def _columns(tree):
    """``var xN`` -> column N."""
    if tree[0] == "var":
        return ["x", int(tree[1][1:])]
    if tree[0] == "num":
        return tree
    return [tree[0], *(_columns(arg) for arg in tree[1:])]


# -- fuzz -------------------------------------------------------------------------------
_ALPHABET = "abcx01 .+-*/^()<=>e_,'\"[];:!@#$%&|~`\\{}\n\t" + "".join(FUNCTIONS)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_fuzz_parse_only_raises_formula_errors(text):
    try:
        tree = parse(text)
    except FormulaError:
        return
    check_tree(tree)                 # whatever parses is a valid tree


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_comparison_and_srepr_only_raise_formula_errors(text):
    for reader in (parse_comparison, tree_from_srepr):
        try:
            reader(text)
        except FormulaError:
            pass


_leaf = st.one_of(st.floats(-50, 50, allow_nan=False).map(lambda v: ["num", v]),
                  st.sampled_from(["a", "b"]).map(lambda n: ["var", n]))
_trees = st.recursive(_leaf, lambda inner: st.one_of(
    st.tuples(st.sampled_from(["add", "sub", "mul", "div"]), inner, inner).map(list),
    st.tuples(st.just("neg"), inner).map(list),
    st.tuples(st.sampled_from(["exp", "tanh", "sin", "abs"]), inner).map(list)), max_leaves=8)


def _text(tree) -> str:
    op = tree[0]
    if op == "num":
        return repr(float(tree[1]))
    if op == "var":
        return tree[1]
    symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
    if op in symbol:
        return f"({_text(tree[1])} {symbol[op]} {_text(tree[2])})"
    if op == "neg":
        return f"(-{_text(tree[1])})"
    return f"{op}({_text(tree[1])})"


@settings(max_examples=300, deadline=None)
@given(_trees, st.floats(-3, 3), st.floats(-3, 3))
def test_fuzz_text_round_trip_evaluates_the_same(tree, a, b):
    variables = {"a": np.float64(a), "b": np.float64(b)}
    with np.errstate(all="ignore"):
        expected = float(evaluate(tree, variables=variables))
        got = float(evaluate(parse(_text(tree)), variables=variables))
    if math.isfinite(expected):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)
    form = linear_form(tree)
    if form is not None and math.isfinite(expected) and abs(expected) < 1e12:
        linear = form.get(None, 0.0) + form.get("a", 0.0) * a + form.get("b", 0.0) * b
        assert linear == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_to_sympy_matches_evaluate():
    import sympy

    tree = parse("2*a - exp(-b/4) + a^2")
    expression = to_sympy(tree)
    a, b = sympy.symbols("a b")
    assert float(expression.subs({a: 1.5, b: 2.0})) == pytest.approx(
        evaluate(tree, variables={"a": 1.5, "b": 2.0}))
