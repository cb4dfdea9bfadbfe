"""Billing frames ("cadres de facturation"): the circuit an invoice follows on the platform.

Each frame says who deposits it (the capacity a depositor must hold for the supplier: supplier, subcontractor,
co-contractor, project manager "MOE" or owner "MOA") and whether it is a works frame (a statement of works:
draft monthly or final statements, interim statements, general statements), which the recipient must have opened
its works-invoice space to receive. Source: `../shared/domain/chorus-pro-facts.md` §3.1 (the platform API's
`CadreFac` enumeration). A25's owner is given as MOE by the enumeration name and as MOA by another source: the
enumeration name is followed here (the conflict is listed in docs/routing.md).

The frame is read from BT-23 (UBL `cbc:ProfileID`, CII `BusinessProcessSpecifiedDocumentContextParameter`), or the
CSV `billing_frame` column; an invoice without one is an ordinary supplier invoice, A1.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPLIER, SUBCONTRACTOR, COCONTRACTOR, MOE, MOA = "supplier", "subcontractor", "cocontractor", "moe", "moa"


@dataclass(frozen=True, slots=True)
class BillingFrame:
    code: str  # A1…A25
    api_name: str  # the platform API's enumeration value
    capacity: str  # who deposits it: supplier, subcontractor, cocontractor, moe, moa
    works: bool  # a works statement: the recipient must receive works invoices; the MOE must be named
    label_en: str
    label_fr: str


def _frame(code: str, api_name: str, capacity: str, works: bool, label_en: str, label_fr: str) -> BillingFrame:
    return BillingFrame(code, api_name, capacity, works, label_en, label_fr)


FRAMES: dict[str, BillingFrame] = {f.code: f for f in (
    _frame("A1", "A1_FACTURE_FOURNISSEUR", SUPPLIER, False, "supplier invoice", "facture de fournisseur"),
    _frame("A2", "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE", SUPPLIER, False, "supplier invoice already paid",
           "facture de fournisseur déjà payée"),
    _frame("A3", "A3_MEMOIRE_JUSTICE", SUPPLIER, False, "justice-costs memorandum", "mémoire de frais de justice"),
    _frame("A4", "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR", SUPPLIER, True, "supplier's draft monthly statement",
           "projet de décompte mensuel du fournisseur"),
    _frame("A5", "A5_ETAT_ACOMPTE_FOURNISSEUR", SUPPLIER, True, "supplier's interim statement",
           "état d'acompte du fournisseur"),
    _frame("A6", "A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR", SUPPLIER, True, "supplier's validated interim statement",
           "état d'acompte validé du fournisseur"),
    _frame("A7", "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR", SUPPLIER, True, "supplier's draft final statement",
           "projet de décompte final du fournisseur"),
    _frame("A8", "A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR", SUPPLIER, True,
           "supplier's general and final statement", "décompte général et définitif du fournisseur"),
    _frame("A9", "A9_FACTURE_SOUSTRAITANT", SUBCONTRACTOR, False, "subcontractor invoice",
           "facture de sous-traitant"),
    _frame("A10", "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT", SUBCONTRACTOR, True,
           "subcontractor's draft monthly statement", "projet de décompte mensuel du sous-traitant"),
    _frame("A11", "A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT", SUBCONTRACTOR, True,
           "subcontractor's draft final statement", "projet de décompte final du sous-traitant"),
    _frame("A12", "A12_FACTURE_COTRAITANT", COCONTRACTOR, False, "co-contractor invoice", "facture de cotraitant"),
    _frame("A13", "A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT", COCONTRACTOR, True,
           "co-contractor's draft monthly statement", "projet de décompte mensuel du cotraitant"),
    _frame("A14", "A14_PROJET_DECOMPTE_FINAL_COTRAITANT", COCONTRACTOR, True,
           "co-contractor's draft final statement", "projet de décompte final du cotraitant"),
    _frame("A15", "A15_ETAT_ACOMPTE_MOE", MOE, True, "project manager's interim statement",
           "état d'acompte de la maîtrise d'œuvre"),
    _frame("A16", "A16_ETAT_ACOMPTE_VALIDE_MOE", MOE, True, "project manager's validated interim statement",
           "état d'acompte validé par la maîtrise d'œuvre"),
    _frame("A17", "A17_PROJET_DECOMPTE_GENERAL_MOE", MOE, True, "project manager's draft general statement",
           "projet de décompte général de la maîtrise d'œuvre"),
    _frame("A18", "A18_DECOMPTE_GENERAL_MOE", MOE, True, "project manager's general statement",
           "décompte général de la maîtrise d'œuvre"),
    _frame("A19", "A19_ETAT_ACOMPTE_VALIDE_MOA", MOA, True, "owner's validated interim statement",
           "état d'acompte validé par la maîtrise d'ouvrage"),
    _frame("A20", "A20_DECOMPTE_GENERAL_MOA", MOA, True, "owner's general statement",
           "décompte général de la maîtrise d'ouvrage"),
    _frame("A21", "A21_DEMANDE_REMBOURSEMENT_TIC", SUPPLIER, False, "energy excise (TIC) refund request",
           "demande de remboursement de la TIC"),
    _frame("A22", "A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE", SUPPLIER, True,
           "supplier's draft general statement, tacit procedure",
           "projet de décompte général du fournisseur, procédure tacite"),
    _frame("A23", "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR", SUPPLIER, True,
           "supplier's tacit general and final statement", "décompte général et définitif tacite du fournisseur"),
    _frame("A24", "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE", MOE, True,
           "project manager's tacit general and final statement",
           "décompte général et définitif tacite de la maîtrise d'œuvre"),
    _frame("A25", "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE", MOE, True,
           "general and final statement, project manager, tacit procedure",
           "décompte général et définitif de la maîtrise d'œuvre, procédure tacite"),
)}
DEFAULT_FRAME = "A1"
WORKS_FRAMES = frozenset(code for code, frame in FRAMES.items() if frame.works)


def frame_code(value: str | None) -> str:
    """The frame an invoice asks for: BT-23 as written (or its API name), A1 when it gives none."""
    if value is None or not value.strip() or is_process_identifier(value):
        return DEFAULT_FRAME
    text = value.strip().upper()
    for code, frame in FRAMES.items():
        if text == frame.api_name:
            return code
    return text


def is_process_identifier(value: str | None) -> bool:
    """Whether BT-23 holds a business process identifier (a URN such as Peppol's), not a billing frame."""
    return value is not None and ":" in value


def frame_of(value: str | None) -> BillingFrame | None:
    """The billing frame an invoice asks for, or None when BT-23 names no known frame."""
    return FRAMES.get(frame_code(value))
