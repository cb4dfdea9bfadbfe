"""From findings to a decision: "the validator says valid or invalid, the configuration says accept or reject".

Rules carry a default severity; the configuration may re-grade a rule (`fatal`, `warning`) or switch it off
(`off`), e.g. to phase in a new control as a warning first. Findings of an official artifact (strict mode) may
be re-graded as a whole by their source, e.g. the French 2026 CTC rules reported as warnings only. A grade for
the rule id wins over a grade for the source. An invoice is rejected when any finding is fatal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from .model import Decision, Finding, Severity

OFF = "off"


@dataclasses.dataclass(frozen=True, slots=True)
class Policy:
    overrides: Mapping[str, str] = dataclasses.field(default_factory=dict)  # rule id -> fatal | warning | off
    by_source: Mapping[str, str] = dataclasses.field(default_factory=dict)  # finding source -> grade

    def grade(self, findings: list[Finding]) -> list[Finding]:
        if not self.overrides and not self.by_source:
            return findings
        graded = []
        for finding in findings:
            override = self.overrides.get(finding.rule) or self.by_source.get(finding.source)
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
