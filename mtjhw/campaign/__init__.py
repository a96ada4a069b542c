"""Campaigns: one file naming devices (wafer dies, switch-matrix crosspoints or bench files), procedures and their
parameter grids; :mod:`.spec` reads it, :mod:`.plan` expands it into the ordered runs with stable run directories."""

from .plan import PlannedRun, plan_hash, plan_runs
from .spec import CampaignError, CampaignFile, load_campaign

__all__ = ["CampaignError", "CampaignFile", "PlannedRun", "load_campaign", "plan_hash", "plan_runs"]
