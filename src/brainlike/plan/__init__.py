"""From the config to the jobs: the schema (every default), typed specs, path patterns and the
plan that ``rules/common.smk`` builds once."""

from brainlike.plan.plan import Plan, PlanError
from brainlike.plan.schema import SCHEMA_PATH

__all__ = ["SCHEMA_PATH", "Plan", "PlanError"]
