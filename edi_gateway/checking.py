"""Checking one parsed document: every finding on it, the decision they lead to and, with a routing context, its
route. Pure: no ledger writes, no files.

Two steps, which the engines run apart: `check_alone` (in any process, in any order: what a worker runs) then
`settle_duplicates` (in document order, in the process that records the batch). `check_document` runs both.
This module imports only what checking needs, so that a worker process starts without the gateway's intake,
emitters and scheduling.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from .model import Decision, Verdict
from .parsers import ParsedDocument
from .policy import Policy
from .routing.router import route
from .validators import CheckContext, check_schema, run_rules
from .validators.engine import all_rules, reason_code
from .validators.official import official_validator
from .validators.rules.duplicates import DUPLICATE_RULES, DuplicateKey, duplicate_key


def check_document(document: ParsedDocument, context: CheckContext, policy: Policy, strict: bool = False
                   ) -> Verdict:
    """Every finding on one parsed document and the decision they lead to.

    With `strict`, the official artifacts (EN 16931 and the French CTC rules) run too, through Saxon, and their
    findings join the native ones, marked with their source. With `context.routing`, the routing and depositor
    rules run, and the verdict carries the invoice's route (and, when accepted, its bytes for delivery).
    Two steps, which the engines run apart: `check_alone` (anywhere, in any order) then `settle_duplicates` (in
    document order, where the batch is recorded).
    """
    return settle_duplicates(check_alone(document, context, policy, strict), context, policy)


def check_alone(document: ParsedDocument, context: CheckContext, policy: Policy, strict: bool = False
                ) -> Verdict:
    """The verdict on one document from everything but the duplicate rules, which depend on the documents
    before it (see `settle_duplicates`)."""
    findings = list(document.findings)
    invoice = document.invoice
    if document.tree is not None:
        findings += check_schema(document.tree, document.format, invoice.profile if invoice else None)
    if invoice is not None:
        findings += run_rules(invoice, context, _rules_alone())
    if strict and document.tree is not None:
        findings += official_validator().check(document.format, document.content, french=True)
    findings = policy.grade(findings)
    decision = policy.decide(findings)
    verdict = Verdict(document.origin, decision, findings, invoice, document.sha256, reason_code(findings))
    if context.routing is not None and invoice is not None:
        verdict.route = route(invoice, context.routing.structures)
        if decision is Decision.ACCEPTED and verdict.route is not None:
            verdict.raw = document.raw or document.content
    return verdict


def settle_duplicates(verdict: Verdict, context: CheckContext, policy: Policy) -> Verdict:
    """Add the duplicate rules' findings to a verdict, in document order: an invoice number already accepted in
    this lot (`context.accepted_in_lot`, which this fills) or in the ledger (`context.accepted_in_ledger`)."""
    invoice = verdict.invoice
    if invoice is None:
        return verdict
    duplicates = policy.grade(run_rules(invoice, context, _duplicate_rules()))
    if duplicates:
        verdict.findings = verdict.findings + duplicates
        verdict.decision = policy.decide(verdict.findings)
        verdict.reason_code = reason_code(verdict.findings)
        if verdict.decision is not Decision.ACCEPTED:
            verdict.raw = None
    if verdict.decision is Decision.ACCEPTED:
        key = duplicate_key(invoice)
        if key is not None:
            context.accepted_in_lot.setdefault(key, verdict.origin.label())
    return verdict


class UnwrittenKeys:
    """The duplicate keys of a lot's accepted invoices that the ledger does not hold yet, with each invoice's
    position and origin, in order.

    FR-DUP-01 looks for an invoice's key among those accepted before it in the lot: the ones the ledger has
    written already (it answers for them, `Ledger.accepted_before`) and these. A key is let go of once the ledger
    has written its invoice, so memory holds a few pages of keys, whatever the size of the lot."""

    __slots__ = ("_keys",)

    def __init__(self) -> None:
        self._keys: dict[DuplicateKey, tuple[int, str]] = {}

    def note(self, position: int, verdict: Verdict) -> None:
        """Remember the key of a settled verdict, if accepted (the first invoice with a key stays)."""
        if verdict.decision is Decision.ACCEPTED and verdict.invoice is not None:
            key = duplicate_key(verdict.invoice)
            if key is not None and key not in self._keys:
                self._keys[key] = (position, verdict.origin.label())

    def forget_through(self, position: int) -> None:
        """Let go of the keys of the invoices up to `position`, which the ledger has written."""
        while self._keys:
            key, (first_position, _origin) = next(iter(self._keys.items()))
            if first_position > position:
                return
            del self._keys[key]

    def origins(self, keys: Iterable[DuplicateKey]) -> dict[DuplicateKey, str]:
        """Those of `keys` held here, each with the origin of the invoice accepted with it."""
        return {key: self._keys[key][1] for key in keys if key in self._keys}

    def __len__(self) -> int:
        return len(self._keys)


@functools.cache
def _duplicate_rules() -> tuple:
    return tuple(r for r in all_rules() if r.id in DUPLICATE_RULES)


@functools.cache
def _rules_alone() -> tuple:
    return tuple(r for r in all_rules() if r.id not in DUPLICATE_RULES)
