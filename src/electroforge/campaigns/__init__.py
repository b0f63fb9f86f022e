"""Campaigns: named, persistent studies that propose recipes and record results.

- the GP-Hedge optimizer: :class:`GPHedge` (ask/tell), :func:`gp_hedge_minimize` (the call
  shape of scikit-optimize's ``gp_minimize``), their options as one :class:`HedgeSettings`;
- :mod:`~electroforge.campaigns.campaign` (a persistent campaign in a workspace's
  :mod:`~electroforge.campaigns.store`), its :mod:`~electroforge.campaigns.definition`,
  :mod:`~electroforge.campaigns.evaluators` (surrogate, line, lab), the closed loop
  (:mod:`~electroforge.campaigns.loop`), schedules and reports.
"""

from electroforge.campaigns.gp_hedge import OptimizeResult, gp_hedge_minimize
from electroforge.campaigns.hedge import PORTFOLIO, GPHedge, HedgeSettings, HedgeStep
from electroforge.campaigns.workspace import DEFAULT_WORKSPACE, resolve_workspace

__all__ = ["DEFAULT_WORKSPACE", "GPHedge", "HedgeSettings", "HedgeStep", "OptimizeResult",
           "PORTFOLIO", "gp_hedge_minimize", "resolve_workspace"]
