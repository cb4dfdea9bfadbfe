"""The rule registry and the engine that runs it.

A rule is a small function over the model, registered with its metadata by the `@rule` decorator: id, business
terms, severity, messages in French and English, a hint, and the platform reason code its rejection carries.
It yields a `Violation` per problem found; the engine turns violations into Findings, resolving each field path
to its source location. `edi-gateway rules` and docs/rules.md are generated from the same registry.

Rules never parse anything and never touch the ledger: what they need beyond the invoice (numbers already
accepted, today's date) comes in the `CheckContext`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ..model import Finding, Invoice, Severity

if TYPE_CHECKING:
    from ..routing.router import RoutingContext


@dataclass(slots=True)
class Violation:
    """One problem a rule found: on which field (a model field path), with which value."""

    field: str
    value: Any = None
    params: dict[str, Any] = field(default_factory=dict)  # extra placeholders for the rule's messages


@dataclass(slots=True)
class CheckContext:
    """What rules may know besides the invoice. Filled by the pipeline; rules only read it.

    `accepted_in_lot` maps (supplier, number, year, family) to the label of the invoice of the same lot accepted with
    that key (for the keys of the invoices being checked: the pipeline fills it a chunk at a time, from the
    ledger for the invoices of the lot it has written and from memory for the others); `accepted_in_ledger` holds
    the keys of the invoices being checked that other batches have accepted (looked up in bulk, a chunk at a
    time). `routing` (the batch's depositor and the directory entries of the recipients) is None when nothing is
    routed, e.g. a dry run: the routing rules are then silent.
    """

    today: date = field(default_factory=date.today)
    accepted_in_lot: dict[tuple[str, str, int, str], str] = field(default_factory=dict)
    accepted_in_ledger: set[tuple[str, str, int, str]] = field(default_factory=set)
    routing: RoutingContext | None = None


Check = Callable[[Invoice, CheckContext], Iterable[Violation]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    group: str
    severity: Severity
    bt: tuple[str, ...]
    en: str
    fr: str
    hint: str
    reason_code: str
    check: Check

    def finding(self, invoice: Invoice, violation: Violation) -> Finding:
        value = violation.value
        params = {"value": value, **violation.params}
        return Finding(
            rule=self.id, severity=self.severity, bt=", ".join(self.bt), field=violation.field,
            location=invoice.where(violation.field), value=None if value is None else str(value)[:200],
            message_en=self.en.format(**params), message_fr=self.fr.format(**params), hint=self.hint.format(**params),
        )


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, *, group: str, bt: tuple[str, ...], en: str, fr: str, hint: str,
         severity: Severity = Severity.FATAL, reason_code: str = "REJ_SEMAN") -> Callable[[Check], Check]:
    """Register `check` as rule `rule_id`. Messages and hint may use {value} and the violation's params."""

    def register(check: Check) -> Check:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} registered twice")
        REGISTRY[rule_id] = Rule(rule_id, group, Severity(severity), bt, en, fr, hint, reason_code, check)
        return check

    return register


def all_rules() -> list[Rule]:
    """Every registered rule, in registration order (the rule modules are imported here, once)."""
    from . import rules  # noqa: F401  (importing the package registers its rules)
    from ..routing import rules as routing_rules  # noqa: F401  (the routing and depositor rules)

    return list(REGISTRY.values())


def reason_code(findings: Iterable[Finding]) -> str | None:
    """The platform reason a rejection carries: that of the first fatal finding (None when nothing is fatal).

    Registered rules give their own; unreadable documents carry their IRR_* code; anything else (XSD, values
    that cannot be read) is a semantic rejection, REJ_SEMAN.
    """
    for finding in findings:
        if finding.severity is not Severity.FATAL:
            continue
        known = REGISTRY.get(finding.rule)
        if known is not None:
            return known.reason_code
        return finding.rule if finding.rule.startswith("IRR_") else "REJ_SEMAN"
    return None


def run_rules(invoice: Invoice, context: CheckContext, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Run every rule (or the given ones) over one invoice."""
    findings = []
    for registered in rules if rules is not None else all_rules():
        for violation in registered.check(invoice, context):
            findings.append(registered.finding(invoice, violation))
    return findings
