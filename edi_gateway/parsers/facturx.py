"""Factur-X / ZUGFeRD 2 PDF: the invoice is the CII XML embedded in a PDF/A-3; extract it with `factur-x`."""

from __future__ import annotations

import logging

from facturx import get_xml_from_pdf

from ..errors import ExtractionFailed

# factur-x logs every attachment it inspects at INFO/WARNING; the gateway reports extraction problems itself.
logging.getLogger("factur-x").setLevel(logging.ERROR)


def extract_invoice_xml(pdf: bytes) -> tuple[str, bytes]:
    """The (attachment name, XML bytes) of the invoice embedded in `pdf`. Raises ExtractionFailed (IRR_EXTRAC)."""
    try:
        name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    except Exception as exc:  # pypdf raises many kinds of errors on broken PDFs
        raise ExtractionFailed(f"The PDF cannot be read: {exc}", f"Le PDF est illisible : {exc}") from None
    if not xml:
        raise ExtractionFailed(
            "The PDF has no embedded Factur-X/ZUGFeRD invoice (factur-x.xml attachment)",
            "Le PDF ne contient pas de facture Factur-X/ZUGFeRD embarquée (pièce jointe factur-x.xml)",
        )
    return name, xml
