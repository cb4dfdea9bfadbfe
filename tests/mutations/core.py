"""Mutations for the EN 16931 core rules (BR-01 … BR-65) and the calculation rules (BR-CO-xx)."""

from __future__ import annotations

from . import mutation, remove, set_text

UBL_TOTAL = "/ubl:Invoice/cac:LegalMonetaryTotal"

MUTATIONS = [
    mutation("BR-02", remove("/ubl:Invoice/cbc:ID")),
    mutation("BR-03", remove("/ubl:Invoice/cbc:IssueDate")),
    mutation("BR-CO-15", set_text(f"{UBL_TOTAL}/cbc:TaxInclusiveAmount", "1.00")),
]
