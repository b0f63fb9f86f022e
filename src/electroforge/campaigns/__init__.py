"""Campaigns: named, persistent studies that propose recipes and record results.

This version provides the GP-Hedge optimizer (:func:`gp_hedge_minimize`, the call shape
of scikit-optimize's ``gp_minimize``) and the workspace where campaigns and demo outputs
are kept; the persistent store, ask/tell and schedules are not in this version yet.
"""

from electroforge.campaigns.gp_hedge import OptimizeResult, gp_hedge_minimize
from electroforge.campaigns.hedge import PORTFOLIO, GPHedge, HedgeStep
from electroforge.campaigns.workspace import DEFAULT_WORKSPACE, resolve_workspace

__all__ = ["DEFAULT_WORKSPACE", "GPHedge", "HedgeStep", "OptimizeResult", "PORTFOLIO", "gp_hedge_minimize",
           "resolve_workspace"]
