"""From findings to a decision: "the validator says valid or invalid, the configuration says accept or reject".

Rules carry a default severity; the configuration may re-grade a rule (`fatal`, `warning`) or switch it off
(`off`), e.g. to phase in a new control as a warning first. An invoice is rejected when any finding is fatal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from .model import Decision, Finding, Severity

OFF = "off"


@dataclasses.dataclass(frozen=True, slots=True)
class Policy:
    overrides: Mapping[str, str] = dataclasses.field(default_factory=dict)  # rule id -> fatal | warning | off

    def grade(self, findings: list[Finding]) -> list[Finding]:
        if not self.overrides:
            return findings
        graded = []
        for finding in findings:
            override = self.overrides.get(finding.rule)
            if override == OFF:
                continue
            if override is not None and override != finding.severity.value:
                finding = dataclasses.replace(finding, severity=Severity(override))
            graded.append(finding)
        return graded

    @staticmethod
    def decide(findings: list[Finding]) -> Decision:
        if any(f.severity is Severity.FATAL for f in findings):
            return Decision.REJECTED
        return Decision.ACCEPTED
