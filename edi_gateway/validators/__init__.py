"""Validate stage: the official XSD, then the native rules, over one invoice at a time.

"The validator says valid or invalid; the policy says accept or reject" (after the KoSIT validator): this stage
only produces findings. `decide` in `policy.py` turns them into a decision.
"""

from .engine import CheckContext, Rule, all_rules, run_rules
from .xsd import check_schema, schema_for

__all__ = ["CheckContext", "Rule", "all_rules", "run_rules", "check_schema", "schema_for"]
