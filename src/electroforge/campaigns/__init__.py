"""Campaigns: named, persistent studies that propose recipes and record results.

This version provides the workspace where campaigns and demo outputs are kept
(:mod:`electroforge.campaigns.workspace`); the optimizer and the persistent store
are not in this version yet.
"""

from electroforge.campaigns.workspace import DEFAULT_WORKSPACE, resolve_workspace

__all__ = ["DEFAULT_WORKSPACE", "resolve_workspace"]
