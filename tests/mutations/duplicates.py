"""Mutations for the duplicate rules: the invoice is unchanged, what changes is what the gateway already accepted.

The base "fr-ubl" is invoice BD-2026-0142 of SIRET 32456789000011, issued in 2026.
"""

from __future__ import annotations

from . import mutation

KEY = ("32456789000011", "BD-2026-0142", 2026, "invoice")

MUTATIONS = [
    mutation("FR-DUP-01", why="accepted-earlier-in-the-lot", accepted_in_lot={KEY: "lot.zip!premiere.xml"}),
    mutation("FR-DUP-02", why="accepted-in-an-earlier-flow", accepted_in_ledger={KEY}),
]
