"""A general closed-form model: what Operon and PySR return, held as a formula tree.

The expression is kept as an :mod:`electroforge.formula` tree over the input columns
(``["x", i]``), exact floats, and stored in model files as that tree in JSON: a model file
is data, read node by node against a whitelist of operators (:func:`~electroforge.formula.
check_tree`), never parsed by sympy (``sympify`` evaluates Python). The same tree predicts
on numpy, differentiates inside BoTorch on torch and reads as a sympy equation.

Model files of format version 1 held sympy's ``srepr`` text instead; :func:`tree_from_srepr`
reads that text with a grammar of its own (calls of whitelisted sympy classes on numbers,
strings and calls) and refuses anything else, so old files convert without running them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from electroforge.formula import FormulaError, check_tree, evaluate, from_sympy, to_sympy

__all__ = ["ExpressionModel", "tree_from_srepr"]


def _frozen(tree: Any) -> Any:
    return tuple(_frozen(t) for t in tree) if isinstance(tree, list) else tree


def _thawed(tree: Any) -> Any:
    return [_thawed(t) for t in tree] if isinstance(tree, tuple) else tree


@dataclass(frozen=True)
class ExpressionModel:
    """``y = f(x0, ..., x{d-1})`` for a formula tree ``f`` (nested tuples, hashable)."""

    tree: tuple
    n_features: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "tree", _frozen(check_tree(_thawed(self.tree),
                                                            n_features=self.n_features)))

    @classmethod
    def from_expression(cls, expression: Any, n_features: int) -> ExpressionModel:
        """From a sympy expression over ``x0 .. x{d-1}`` (a backend's output, not user text)."""
        return cls(_frozen(from_sympy(expression)), n_features)

    @property
    def expression(self) -> Any:
        return to_sympy(self.tree)

    def _symbols(self) -> list:
        import sympy

        return list(sympy.symbols(f"x0:{self.n_features}"))

    def predict(self, X: Any) -> Any:
        return evaluate(self.tree, X)   # reads tuples as they are: no copy per call

    def to_sympy(self, symbols: list) -> Any:
        return to_sympy(self.tree, symbols)

    def text(self, symbols: list, digits: int = 6) -> str:
        import sympy

        return str(sympy.N(self.to_sympy(symbols), digits))

    def constraints(self) -> list[tuple[str, Callable[[Any], Any], Any]]:
        """(domain, evaluator, sub-tree): log arguments and square roots > 0 ("positive" for
        log, "nonnegative" for roots), divisors != 0."""
        found = []

        def walk(node: list) -> None:
            op = node[0]
            if op in ("num", "x"):
                return
            if op == "log":
                found.append(("positive", node[1]))
            elif op == "sqrt":
                found.append(("nonnegative", node[1]))
            elif op == "div":
                found.append(("nonzero", node[2]))
            elif op == "pow" and node[2][0] == "num":
                exponent = node[2][1]
                if exponent < 0:
                    found.append(("nonzero", node[1]))
                if exponent != int(exponent):
                    found.append(("nonnegative", node[1]))
            for arg in node[1:]:
                walk(arg)

        walk(_thawed(self.tree))
        return [(domain, (lambda X, a=arg: evaluate(a, X)), to_sympy(arg))
                for domain, arg in found]

    @property
    def terms(self) -> int:
        import sympy

        return sympy.count_ops(self.expression)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "expression", "tree": _thawed(self.tree), "n_features": self.n_features}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | None = None) -> ExpressionModel:
        """From :meth:`to_dict`'s form, or a version-1 ``srepr`` entry (converted safely)."""
        n_features = data.get("n_features")
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
            raise FormulaError("not a number of input columns", source=source,
                               field="n_features", value=repr(n_features),
                               allowed="an integer >= 1")
        if "tree" in data:
            tree = data["tree"]
        elif "srepr" in data:
            tree = tree_from_srepr(data["srepr"], source=source)
        else:
            raise FormulaError("the expression has no tree", source=source, field="tree",
                               allowed="a formula tree (see electroforge.formula)")
        check_tree(tree, n_features=n_features, source=source)
        return cls(_frozen(tree), n_features)


# -- version-1 files: sympy's srepr, read without sympy ------------------------------------
_SREPR_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<string>'[^'\\]*')"
                          r"|(?P<int>-?\d+)|(?P<punct>[(),=]))")
_SREPR_NARY = {"Add": "add", "Mul": "mul"}
_SREPR_FUNCTIONS = {"exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tanh": "tanh",
                    "Abs": "abs"}
_SREPR_CONSTANTS = {"Zero": 0, "One": 1, "NegativeOne": -1, "Half": 0.5}


def tree_from_srepr(text: Any, *, source: str | None = None) -> list:
    """The formula tree of a sympy ``srepr`` string of the classes sympy writes for our
    models (Add, Mul, Pow, Symbol, Integer, Float, Rational, exp, log, sin, cos, tanh, Abs
    and the number singletons); anything else is refused. Nothing is evaluated."""
    def fail(problem: str) -> FormulaError:
        shown = repr(text) if len(repr(text)) <= 80 else repr(text)[:77] + "..."
        return FormulaError(f"cannot convert the version-1 expression: {problem}",
                            source=source, field="srepr", value=shown,
                            allowed="sympy srepr of Add, Mul, Pow, Symbol('x<i>'), Integer, "
                            "Float, Rational, exp, log, sin, cos, tanh, Abs")

    if not isinstance(text, str) or len(text) > 100_000:
        raise fail("not a string of at most 100000 characters")
    tokens, position = [], 0
    while text[position:].strip():
        match = _SREPR_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise fail(f"unexpected text at character {position + 1}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    index = 0

    def take(kind: str | None = None, value: str | None = None) -> str:
        nonlocal index
        if index >= len(tokens):
            raise fail("it ends too early")
        got_kind, got = tokens[index]
        if (kind and got_kind != kind) or (value and got != value):
            raise fail(f"expected {value or kind}, found {got!r}")
        index += 1
        return got

    def node(depth: int) -> Any:
        if depth > 200:
            raise fail("nested too deeply")
        name = take("name")
        take("punct", "(")
        args: list[Any] = []
        keywords: dict[str, Any] = {}
        while tokens[index][1] != ")" if index < len(tokens) else False:
            kind, value = tokens[index]
            if kind == "name" and index + 1 < len(tokens) and tokens[index + 1][1] == "=":
                index_keyword = take("name")
                take("punct", "=")
                keywords[index_keyword] = atom(depth)
            else:
                args.append(atom(depth))
            if index < len(tokens) and tokens[index][1] == ",":
                take("punct", ",")
        take("punct", ")")
        return build(name, args, keywords)

    def atom(depth: int) -> Any:
        kind, value = tokens[index] if index < len(tokens) else (None, None)
        if kind == "string":
            take("string")
            return ("str", value[1:-1])
        if kind == "int":
            take("int")
            return ("int", int(value))
        if kind == "name":
            return node(depth + 1)
        raise fail(f"unexpected {value!r}")

    def number(arg: Any) -> float:
        if isinstance(arg, tuple) and arg[0] == "str":
            try:
                value = float(arg[1])
            except ValueError:
                raise fail(f"not a number: {arg[1]!r}") from None
        elif isinstance(arg, tuple) and arg[0] == "int":
            value = arg[1]
        else:
            raise fail("a number was expected")
        if not math.isfinite(value):
            raise fail(f"the number {value} is not finite")
        return value

    def build(name: str, args: list, keywords: dict) -> list:
        if any(isinstance(a, tuple) for a in args) and name not in (
                "Symbol", "Integer", "Float", "Rational"):
            raise fail(f"{name} of a literal")
        if name == "Symbol":
            if len(args) != 1 or not isinstance(args[0], tuple) or args[0][0] != "str":
                raise fail("Symbol takes one name")
            match = re.fullmatch(r"x(\d+)", args[0][1])
            if not match:
                raise fail(f"unknown symbol {args[0][1]!r}")
            return ["x", int(match.group(1))]
        if name == "Integer" and len(args) == 1:
            return ["num", int(number(args[0]))]
        if name == "Float" and len(args) == 1:
            return ["num", float(number(args[0]))]
        if name == "Rational" and len(args) == 2:
            denominator = number(args[1])
            if denominator == 0:
                raise fail("a zero denominator")
            return ["num", number(args[0]) / denominator]
        if name in _SREPR_CONSTANTS and not args:
            return ["num", _SREPR_CONSTANTS[name]]
        if name in _SREPR_NARY and len(args) >= 2:
            return [_SREPR_NARY[name], *args]
        if name == "Pow" and len(args) == 2:
            return ["pow", *args]
        if name in _SREPR_FUNCTIONS and len(args) == 1:
            return [_SREPR_FUNCTIONS[name], *args]
        raise fail(f"{name} with {len(args)} arguments is not allowed")

    tree = node(0)
    if index != len(tokens):
        raise fail("text after the expression")
    return tree

