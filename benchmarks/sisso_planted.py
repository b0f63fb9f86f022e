"""Our SISSO on planted formulas, beside Operon (pyoperon), measured in one run.

Each problem: 150 scrambled-Sobol' points in 3-4 inputs on [1, 5] plus distractor
columns, a planted formula, 20 % held out. Printed per problem: whether our SISSO
recovered the exact form (sympy-equal after rounding constants to 1e-8), the test R2 of
ours and of Operon, and our fit time. Targets (issue 4): exact form in most cases, never
more than 0.01 R2 behind Operon.

Operon is the peer only if installed (``pip install pyoperon==0.6.2``); it is run with
its scikit-learn interface, 1 thread, a fixed seed, and its default selection (MDL).

Run: .venv/bin/python benchmarks/sisso_planted.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import sympy
from scipy.stats import qmc

from electroforge.surrogates.metrics import r2_score
from electroforge.surrogates.sisso import fit_sisso

A, B, C, D = sympy.symbols("a b c d")
PROBLEMS = [
    ("2ab + 3/c", lambda x: 2 * x[:, 0] * x[:, 1] + 3 / x[:, 2], 2 * A * B + 3 / C),
    ("a^2 / b", lambda x: x[:, 0] ** 2 / x[:, 1], A**2 / B),
    ("5 + sqrt(a) c / 2", lambda x: 5 + 0.5 * np.sqrt(x[:, 0]) * x[:, 2], 5 + sympy.sqrt(A) * C / 2),
    ("b exp(-a) + 1", lambda x: np.exp(-x[:, 0]) * x[:, 1] + 1, B * sympy.exp(-A) + 1),
    ("log(a) + b^3 / 10", lambda x: np.log(x[:, 0]) + x[:, 1] ** 3 / 10, sympy.log(A) + B**3 / 10),
    ("1.5 abc", lambda x: 1.5 * x[:, 0] * x[:, 1] * x[:, 2], sympy.Rational(3, 2) * A * B * C),
    ("a/b + c d", lambda x: x[:, 0] / x[:, 1] + x[:, 2] * x[:, 3], A / B + C * D),
    ("3 a - 2 b + c^2", lambda x: 3 * x[:, 0] - 2 * x[:, 1] + x[:, 2] ** 2, 3 * A - 2 * B + C**2),
]


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = qmc.scale(qmc.Sobol(6, rng=5).random(150), [1] * 6, [5] * 6)  # e, f: distractors
    order = np.random.default_rng(0).permutation(150)
    test, train = order[:30], order[30:]
    try:
        from pyoperon.sklearn import SymbolicRegressor
    except ImportError:
        SymbolicRegressor = None
    print(f"{'problem':<20} {'exact':>6} {'R2 ours':>9} {'R2 Operon':>10} {'ours-Operon':>12} "
          f"{'s ours':>7} {'s Operon':>9}")
    exact_count, worst_gap = 0, np.inf
    for name, formula, expected in PROBLEMS:
        y = formula(X)
        start = time.perf_counter()
        model, _ = fit_sisso(X[train], y[train], seed=0)
        ours_s = time.perf_counter() - start
        expression = sympy.simplify(model.to_sympy(list(sympy.symbols("a b c d e f", positive=True))))
        found = sympy.nsimplify(expression, tolerance=1e-8, rational=False)
        positive = {s: sympy.Symbol(s.name, positive=True) for s in (A, B, C, D)}
        exact = sympy.simplify(found - expected.subs(positive)) == 0
        exact_count += exact
        ours = r2_score(y[test], model.predict(X[test]))
        peer, peer_s = float("nan"), float("nan")
        if SymbolicRegressor is not None:
            start = time.perf_counter()
            operon = SymbolicRegressor(random_state=0, n_threads=1, generations=200,
                                       allowed_symbols="add,sub,mul,div,exp,log,sqrt,square,constant,variable")
            operon.fit(X[train], y[train])
            peer_s = time.perf_counter() - start
            peer = r2_score(y[test], operon.predict(X[test]))
            worst_gap = min(worst_gap, ours - peer)
        print(f"{name:<20} {'yes' if exact else 'no':>6} {ours:>9.5f} {peer:>10.5f} "
              f"{ours - peer:>12.5f} {ours_s:>7.1f} {peer_s:>9.1f}")
    print(f"exact form recovered: {exact_count} of {len(PROBLEMS)}; "
          + (f"worst R2 gap to Operon: {worst_gap:+.5f} (target >= -0.01)"
             if SymbolicRegressor is not None else "Operon not installed: no peer"))


if __name__ == "__main__":
    main()
