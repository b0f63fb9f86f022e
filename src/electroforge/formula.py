"""A small formula language, read by our own parser: user text is never evaluated.

Constraint strings of campaign and space files (``am_wt_pct + 0.5*cr_pct <= 110``) and
the equations that Operon hands back as text are read here. ``sympy.sympify`` and
``sympy.parse_expr`` are no option for anything a user wrote: both call Python's ``eval``
(``__import__('os').system(...)`` is a valid "expression" to them). This grammar knows
numbers, names, ``+ - * / ^ **``, parentheses, unary minus, the functions of
:data:`FUNCTIONS` and, at the top level only, one comparison::

    comparison := sum (("<=" | ">=") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom (("^" | "**") unary)?
    atom       := NUMBER | NAME | FUNCTION "(" sum ")" | "(" sum ")"

A formula is a *tree* of JSON-able lists, the same form model files store:
``["num", 1.5]``, ``["var", "cr_pct"]``, ``["x", 0]`` (input column 0 of a model),
``["add", a, b, ...]``, ``["mul", a, b, ...]``, ``["sub", a, b]``, ``["div", a, b]``,
``["neg", a]``, ``["pow", a, b]`` and ``[FUNCTION, a]``. :func:`check_tree` validates a
tree read from a file node by node (operators from a whitelist, arities, finite numbers,
column indices in range); :func:`evaluate` computes it on numpy arrays or torch tensors;
:func:`to_sympy` builds the sympy expression from sympy's constructors (no parsing).
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Mapping
from typing import Any

from electroforge.errors import InputError

__all__ = ["FUNCTIONS", "FormulaError", "parse", "parse_comparison", "check_tree", "evaluate",
           "to_sympy", "from_sympy", "linear_form", "names_in"]

#: Functions a formula may call (one argument each).
FUNCTIONS = ("exp", "log", "sqrt", "square", "sin", "cos", "tanh", "abs")
_NARY = ("add", "mul")
_BINARY = ("sub", "div", "pow")
#: The arithmetic of a tree, the same on floats, arrays, tensors and sympy expressions.
_ARITHMETIC = {"add": lambda *args: functools.reduce(operator.add, args),
               "mul": lambda *args: functools.reduce(operator.mul, args),
               "sub": operator.sub, "div": operator.truediv, "neg": operator.neg}
_MAX_LENGTH = 10_000
_MAX_DEPTH = 200

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>\*\*|<=|>=|[-+*/^()])
    )""", re.VERBOSE)


class FormulaError(InputError):
    """Text that is not a formula of this grammar, or a tree that is not a formula."""


def _tokens(text: str, what: str) -> list[tuple[str, str, int]]:
    if not isinstance(text, str):
        raise FormulaError(f"a {what} must be text", value=repr(text), allowed=_ALLOWED)
    if len(text) > _MAX_LENGTH:
        raise FormulaError(f"the {what} is too long", value=f"{len(text)} characters",
                           allowed=f"<= {_MAX_LENGTH} characters")
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            offending = text[position:].lstrip()[:1]
            raise FormulaError(f"cannot read the {what}: unexpected {offending!r} at character "
                               f"{len(text) - len(text[position:].lstrip()) + 1}",
                               value=repr(text), allowed=_ALLOWED)
        kind = match.lastgroup
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


_ALLOWED = ("numbers, parameter names, + - * / ^, parentheses and "
            + ", ".join(FUNCTIONS) + "(...)")


class _Parser:
    def __init__(self, text: str, what: str, names: tuple[str, ...] | None) -> None:
        self.text, self.what, self.names = text, what, names
        self.tokens = _tokens(text, what)
        self.i = 0
        self.depth = 0

    def fail(self, problem: str) -> FormulaError:
        return FormulaError(f"cannot read the {self.what}: {problem}", value=repr(self.text),
                            allowed=_ALLOWED)

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        if self.i >= len(self.tokens):
            raise self.fail("it ends too early")
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, symbol: str) -> None:
        kind, value, at = self.take()
        if value != symbol or kind != "op":
            raise self.fail(f"expected {symbol!r} at character {at + 1}, found {value!r}")

    def sum(self) -> list:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.fail(f"nested deeper than {_MAX_DEPTH}")
        node = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            right = self.product()
            node = ["add", node, right] if op == "+" else ["sub", node, right]
        self.depth -= 1
        return node

    def product(self) -> list:
        node = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            right = self.unary()
            node = ["mul", node, right] if op == "*" else ["div", node, right]
        return node

    def unary(self) -> list:
        if self.peek() in ("-", "+"):
            op = self.take()[1]
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.fail(f"nested deeper than {_MAX_DEPTH}")
            inner = self.unary()
            self.depth -= 1
            return ["neg", inner] if op == "-" else inner
        return self.power()

    def power(self) -> list:
        base = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            return ["pow", base, self.unary()]
        return base

    def atom(self) -> list:
        kind, value, at = self.take()
        if kind == "number":
            number = float(value)
            if not math.isfinite(number):
                raise self.fail(f"the number {value} is not finite")
            return ["num", number]
        if kind == "name":
            if self.peek() == "(":
                if value not in FUNCTIONS:
                    raise self.fail(f"unknown function {value!r}")
                self.take()
                argument = self.sum()
                self.expect(")")
                return [value, argument]
            if self.names is not None and value not in self.names:
                raise FormulaError(f"unknown parameter in the {self.what}", field=value,
                                   value=repr(self.text), allowed=", ".join(self.names))
            return ["var", value]
        if value == "(":
            inner = self.sum()
            self.expect(")")
            return inner
        raise self.fail(f"unexpected {value!r} at character {at + 1}")

    def done(self) -> None:
        if self.i < len(self.tokens):
            _, value, at = self.tokens[self.i]
            raise self.fail(f"unexpected {value!r} at character {at + 1}")


def parse(text: str, names: tuple[str, ...] | list[str] | None = None, *,
          what: str = "formula") -> list:
    """The tree of an expression; ``names``: the variable names allowed (None: any).

    Example:
        >>> parse("2*x0 - exp(-x1/4)")
        ['sub', ['mul', ['num', 2.0], ['var', 'x0']], ['exp', ['div', ['neg', ['var', 'x1']], ['num', 4.0]]]]
    """
    parser = _Parser(text, what, tuple(names) if names is not None else None)
    if not parser.tokens:
        raise parser.fail("it is empty")
    tree = parser.sum()
    parser.done()
    return tree


def parse_comparison(text: str, names: tuple[str, ...] | list[str] | None = None, *,
                     what: str = "constraint") -> tuple[list, str, list]:
    """``(left, op, right)`` of ``LEFT <= RIGHT`` or ``LEFT >= RIGHT``."""
    parser = _Parser(text, what, tuple(names) if names is not None else None)
    if not parser.tokens:
        raise parser.fail("it is empty")
    left = parser.sum()
    if parser.peek() not in ("<=", ">="):
        raise parser.fail("expected one '<=' or '>='" + (
            f", found {parser.peek()!r}" if parser.peek() is not None else ""))
    op = parser.take()[1]
    right = parser.sum()
    parser.done()
    return left, op, right


# -- trees read from files ---------------------------------------------------------------
def check_tree(tree: Any, *, n_features: int | None = None, names: tuple[str, ...] | None = None,
               source: str | None = None, field: str = "tree") -> list:
    """``tree`` if it is a well-formed formula tree (see module doc), else a
    :class:`FormulaError` naming ``source`` and ``field``. Nothing in it is evaluated."""
    def fail(problem: str, value: Any) -> FormulaError:
        text = repr(value)
        return FormulaError(problem, source=source, field=field,
                            value=text if len(text) <= 80 else text[:77] + "...",
                            allowed="a formula tree: [op, args...] with op in num, var, x, "
                            + ", ".join(_NARY + _BINARY) + ", neg, " + ", ".join(FUNCTIONS))

    def walk(node: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise fail(f"the tree is nested deeper than {_MAX_DEPTH}", "...")
        if not isinstance(node, list) or not node or not isinstance(node[0], str):
            raise fail("not a formula node", node)
        op, args = node[0], node[1:]
        if op == "num":
            if (len(args) != 1 or isinstance(args[0], bool)
                    or not isinstance(args[0], (int, float)) or not _finite(args[0])):
                raise fail("a number node holds one finite number", node)
        elif op == "x":
            if (len(args) != 1 or isinstance(args[0], bool) or not isinstance(args[0], int)
                    or args[0] < 0 or (n_features is not None and args[0] >= n_features)):
                raise fail("an input node holds a column index" + (
                    f" from 0 to {n_features - 1}" if n_features else ""), node)
        elif op == "var":
            if len(args) != 1 or not isinstance(args[0], str) or (
                    names is not None and args[0] not in names):
                raise fail("a name node holds a known name", node)
        elif op in _NARY:
            if len(args) < 2:
                raise fail(f"{op} takes two or more arguments", node)
        elif op in _BINARY:
            if len(args) != 2:
                raise fail(f"{op} takes two arguments", node)
        elif op == "neg" or op in FUNCTIONS:
            if len(args) != 1:
                raise fail(f"{op} takes one argument", node)
        else:
            raise fail(f"unknown operator {op!r}", node)
        if op not in ("num", "x", "var"):
            for arg in args:
                walk(arg, depth + 1)

    walk(tree, 0)
    return tree


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:          # an integer beyond a float's range
        return False


def names_in(tree: list) -> set[str]:
    """The variable names a tree uses."""
    if tree[0] == "var":
        return {tree[1]}
    if tree[0] in ("num", "x"):
        return set()
    return set().union(*(names_in(arg) for arg in tree[1:]))


def evaluate(tree: list, X: Any = None, variables: Mapping[str, Any] | None = None) -> Any:
    """Values of a tree: ``["x", i]`` reads column ``i`` of ``X`` (``n x d`` numpy array or
    torch tensor), ``["var", name]`` reads ``variables[name]``."""
    import numpy as np

    op = tree[0]
    if op == "num":
        value = np.float64(tree[1])      # numpy scalars: 1/0 is inf, not an exception
        return value if X is None else float(value) + 0.0 * X[:, 0]
    if op == "x":
        return X[:, tree[1]]
    if op == "var":
        return variables[tree[1]]
    args = [evaluate(arg, X, variables) for arg in tree[1:]]
    xp = _namespace(X, args)
    if op in _ARITHMETIC:
        return _ARITHMETIC[op](*args)
    if op == "pow":
        exponent = tree[2][1] if tree[2][0] == "num" else args[1]
        if exponent == 0.5:
            return xp.sqrt(args[0])
        return args[0] ** exponent
    if op == "square":
        return args[0] * args[0]
    function = {"exp": xp.exp, "log": xp.log, "sqrt": xp.sqrt, "sin": xp.sin, "cos": xp.cos,
                "tanh": xp.tanh, "abs": xp.abs}[op]
    return function(args[0] if not isinstance(args[0], (int, float)) else np.float64(args[0]))


def _namespace(X: Any, args: list) -> Any:
    import numpy as np

    for value in [X, *args]:
        if value is not None and not isinstance(value, (int, float, np.ndarray, np.generic)):
            import torch

            if isinstance(value, torch.Tensor):
                return torch
    return np


# -- sympy, for reading equations and for the backends' output ---------------------------
def to_sympy(tree: list, symbols: list | Mapping[str, Any] | None = None) -> Any:
    """The sympy expression of a tree, built from sympy's constructors (``["x", i]`` is
    ``symbols[i]``, default ``x{i}``; ``["var", n]`` is ``symbols[n]``, default ``Symbol(n)``)."""
    import sympy

    op = tree[0]
    if op == "num":
        value = tree[1]
        return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
    if op == "x":
        return symbols[tree[1]] if symbols is not None else sympy.Symbol(f"x{tree[1]}")
    if op == "var":
        if isinstance(symbols, Mapping) and tree[1] in symbols:
            return symbols[tree[1]]
        return sympy.Symbol(tree[1])
    args = [to_sympy(arg, symbols) for arg in tree[1:]]
    if op in _ARITHMETIC:
        return _ARITHMETIC[op](*args)
    if op == "pow":
        return sympy.Pow(args[0], args[1])
    if op == "square":
        return args[0] ** 2
    if op == "abs":
        return sympy.Abs(args[0])
    return getattr(sympy, op)(args[0])


def from_sympy(expression: Any) -> list:
    """The tree of a sympy expression (symbols named ``x{i}`` become ``["x", i]``); walks
    sympy's objects, parses no text."""
    import sympy

    if expression.is_Symbol:
        match = re.fullmatch(r"[xX](\d+)", expression.name)
        return ["x", int(match.group(1))] if match else ["var", expression.name]
    if expression.is_Integer:
        return ["num", int(expression)]
    if expression.is_Number:
        value = float(expression)
        if not math.isfinite(value):
            raise FormulaError("the expression holds a non-finite number", value=str(expression),
                               allowed="finite numbers")
        return ["num", value]
    args = [from_sympy(arg) for arg in expression.args]
    if isinstance(expression, sympy.Add):
        return ["add", *args]
    if isinstance(expression, sympy.Mul):
        return ["mul", *args]
    if isinstance(expression, sympy.Pow):
        return ["pow", *args]
    for kind, name in ((sympy.exp, "exp"), (sympy.log, "log"), (sympy.sin, "sin"),
                       (sympy.cos, "cos"), (sympy.tanh, "tanh"), (sympy.Abs, "abs")):
        if isinstance(expression, kind) and len(args) == 1:
            return [name, *args]
    raise FormulaError("the expression uses an operation formulas cannot hold",
                       value=type(expression).__name__, allowed=_ALLOWED)


# -- linear forms, for constraints -------------------------------------------------------
def linear_form(tree: list) -> dict[str | None, float] | None:
    """``{name: coefficient, None: constant}`` if the tree is linear in its names, else None
    (a product of two non-constant parts, a name divided by or raised to anything, a
    function of a name)."""
    op = tree[0]
    if op == "num":
        return {None: float(tree[1])}
    if op == "var":
        return {tree[1]: 1.0}
    forms = [linear_form(arg) if isinstance(arg, list) else None for arg in tree[1:]]
    if any(form is None for form in forms):
        return None
    if op in ("add", "sub"):
        total: dict[str | None, float] = {}
        for k, form in enumerate(forms):
            sign = -1.0 if op == "sub" and k > 0 else 1.0
            for key, value in form.items():
                total[key] = total.get(key, 0.0) + sign * value
        return total
    if op == "neg":
        return {key: -value for key, value in forms[0].items()}
    constant = [_constant(form) for form in forms]
    if op == "mul":
        total = {None: 1.0}
        for form, value in zip(forms, constant):
            if value is not None:
                total = {key: v * value for key, v in total.items()}
            elif _constant(total) is not None:
                scale = total[None]
                total = {key: v * scale for key, v in form.items()}
            else:
                return None
        return total
    if op == "div":
        if constant[1] is None or constant[1] == 0.0:
            return None
        return {key: value / constant[1] for key, value in forms[0].items()}
    if all(value is not None for value in constant):       # a function of numbers only
        with _quiet():
            number = float(evaluate([op, *(["num", c] for c in constant)]))
        return {None: number} if math.isfinite(number) else None
    return None


def _quiet():
    import numpy as np

    return np.errstate(all="ignore")


def _constant(form: dict[str | None, float]) -> float | None:
    if all(key is None or value == 0.0 for key, value in form.items()):
        return form.get(None, 0.0)
    return None
