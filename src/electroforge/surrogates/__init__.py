"""Surrogate models of the electrode properties, and how they are validated.

This version has the validation metrics of the reference study
(:mod:`electroforge.surrogates.metrics`). The symbolic (SISSO), GP and neural
surrogates are not in this version yet.
"""

from electroforge.surrogates.metrics import r2_score, rmse_pct

__all__ = ["r2_score", "rmse_pct"]
