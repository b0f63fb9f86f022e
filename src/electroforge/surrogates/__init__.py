"""Surrogate models of the electrode properties, and how they are validated.

- :class:`SymbolicSurrogate`: one closed-form equation per property (our SISSO,
  :mod:`electroforge.surrogates.sisso`), with ``to_torch`` for BoTorch and exact JSON
  persistence;
- :func:`validate_symbolic`: the reference's Table 1 (test RMSE%, R2, CI95 of R2 over
  re-splits); :mod:`electroforge.surrogates.metrics` has the metrics themselves.

- :class:`GPSurrogate` (BoTorch) and :class:`MLPSurrogate` (torch) behind the same
  interface, to compare and choose; :func:`load_surrogate` reads any of their files; the symbolic backends are in
  :mod:`electroforge.surrogates.backends` (Operon, PySR) besides our SISSO.
"""

from electroforge.surrogates.files import load_surrogate
from electroforge.surrogates.metrics import r2_score, rmse_pct
from electroforge.surrogates.neural import GPSurrogate, MLPSurrogate
from electroforge.surrogates.symbolic import Equation, SurrogateError, SymbolicSurrogate
from electroforge.surrogates.validation import SurrogateValidation, validate_symbolic

__all__ = ["Equation", "GPSurrogate", "MLPSurrogate", "SurrogateError", "SurrogateValidation",
           "SymbolicSurrogate", "load_surrogate", "r2_score", "rmse_pct", "validate_symbolic"]
